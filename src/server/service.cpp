#include "service.hpp"

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <sstream>
#include <thread>

#include "access.hpp"
#include "http_errors.hpp"
#include "multipart.hpp"

namespace rmbg::server {
namespace {

using Clock = std::chrono::steady_clock;

// Threads beyond the inference slots and queue places, so that the page, health checks and
// metrics are still answered while every place in the queue is taken.
constexpr int kSpareThreads = 8;

// Where the pre-routing hook keeps a form's own content type (see there).
constexpr const char* kFormContentType = "X-Rmbg-Form-Content-Type";

// Served with every response: the page and the API load nothing from anywhere but rmbg itself.
const httplib::Headers kDefaultHeaders{
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; "
     "frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
};

// When the request handled on this thread arrived. httplib handles a connection on one thread from
// its first byte to its last, so the pre-routing hook can hand the time to the later hooks this way.
thread_local std::optional<Clock::time_point> request_started;
// Likewise the request's id, for the access log.
thread_local std::string current_request_id;

// Headers a page of an allowed origin may send.
constexpr const char* kCorsRequestHeaders = "Content-Type, Accept, Authorization, X-Api-Key, X-Request-Id";

// A path segment that stands for a value: "{id}".
bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

constexpr std::size_t kMaxParameterLength = 64;

bool is_parameter_value(std::string_view segment) {
  return !segment.empty() && segment.size() <= kMaxParameterLength &&
         std::all_of(segment.begin(), segment.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

// "/api/jobs/{id}" as "", "api", "jobs", "{id}".
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// httplib routes are regular expressions; ours are plain paths whose "{name}" segments match a
// short token (bounded, so that matching cannot recurse deeply on a long path), handed to the
// handler as request.matches[1], [2]...
std::string path_regex(std::string_view path) {
  std::string pattern;
  const std::vector<std::string_view> parts = segments(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view segment = parts[i];
    if (i > 0) pattern += '/';
    if (is_parameter(segment)) {
      pattern += "([A-Za-z0-9_-]{1," + std::to_string(kMaxParameterLength) + "})";
      continue;
    }
    for (char c : segment) {
      if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) pattern += '\\';
      pattern += c;
    }
  }
  return pattern;
}

// Whether the request path `path` is one that `route` (with "{name}" segments) answers.
bool path_matches(std::string_view route, std::string_view path) {
  const std::vector<std::string_view> expected = segments(route), got = segments(path);
  if (expected.size() != got.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (is_parameter(expected[i]) ? !is_parameter_value(got[i]) : expected[i] != got[i]) return false;
  return true;
}

std::string megabytes(std::size_t bytes) {
  std::ostringstream text;
  text << static_cast<double>(bytes) / (1024 * 1024);
  return text.str();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Error model_loading() {
  return Error(ErrorCode::not_ready, "the model is still loading; try again in a few seconds");
}

}  // namespace

Service::Service(const ServerConfig& config) : config_(config), queue_(config.concurrency, config.queue) {
  const auto threads = static_cast<size_t>(
      std::max(config.max_connections, config.concurrency + config.queue + kSpareThreads));
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_read_timeout(config.read_timeout);
  http_.set_write_timeout(config.read_timeout);
  http_.set_keep_alive_timeout(config.idle_timeout.count());
  http_.set_payload_max_length(config.max_upload_bytes);
  http_.set_default_headers(kDefaultHeaders);
  // httplib's default also sets SO_REUSEPORT, with which a second server on the same port
  // starts without complaint and silently takes half of the connections.
  http_.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    // The request is ours to change here (its path under --base-path, a form's content type);
    // httplib only hands it over as const.
    return admit(const_cast<httplib::Request&>(request), response) ? httplib::Server::HandlerResponse::Unhandled
                                                                   : httplib::Server::HandlerResponse::Handled;
  });
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        send_error(response, error_of_status(request, response.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_expect_100_continue_handler([this](const httplib::Request& request, httplib::Response& response) {
    const std::optional<Error> refusal = refusal_before_upload(request);
    if (!refusal) return 100;
    answer_error(response, *refusal, send_error);
    return response.status;
  });
  // Counted before the response is sent, so that a client reading /metrics right after an
  // answer finds that answer counted.
  http_.set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    count(request, response);
  });
  http_.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    log(request, response);
  });
}

void Service::route(const std::string& method, const std::string& path, Handler handler, RouteOptions options) {
  routes_[path].push_back({method, options});
  auto guarded = [this, handler = std::move(handler), write_error = options.write_error](
                     const httplib::Request& request, httplib::Response& response) {
    try {
      handler(request, response);
    } catch (const Error& e) {
      answer_error(response, e, write_error);
    } catch (const std::exception& e) {
      send_internal_error(response, e.what());
    }
  };
  if (method == "POST")
    http_.Post(path_regex(path), guarded);
  else if (method == "DELETE")
    http_.Delete(path_regex(path), guarded);
  else
    http_.Get(path_regex(path), guarded);
}

void Service::listen_on(const std::string& host, int port) {
  if (!http_.bind_to_port(host, port))
    throw Error(ErrorCode::io_error, "cannot listen on " + host + ":" + std::to_string(port) +
                                         " (is another server using that port?)");
}

void Service::run() { http_.listen_after_bind(); }

// httplib ignores a stop that comes before it is listening, so this waits for that first.
void Service::stop(const std::stop_token& stopped) {
  while (!http_.is_running() && !stopped.stop_requested())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  http_.stop();
}

void Service::load_model() {
  const auto started = Clock::now();
  engine_ = std::make_unique<Engine>(config_.model, config_.engine);
  // Without the face detector the server still removes backgrounds; ID photos say what is missing.
  try {
    faces_ = std::make_unique<FaceDetector>(config_.face_model, config_.engine);
  } catch (const Error& e) {
    faces_problem_ = std::make_unique<Error>(e);
    std::fprintf(stderr, "rmbg: no ID photos: %s\n", e.what());
  }
  ready_ = true;
  std::fprintf(stderr, "rmbg: model %s ready in %.1f s; %s\n", config_.model.name.c_str(),
               seconds_since(started), engine_->device().summary.c_str());
}

Engine& Service::engine() {
  if (!ready_) throw model_loading();
  return *engine_;
}

FaceDetector& Service::face_detector() {
  if (!ready_) throw model_loading();
  if (faces_problem_) throw *faces_problem_;
  return *faces_;
}

void Service::run_inference(const std::function<void()>& work) {
  queue_.run(work, config_.request_timeout);
  // glibc keeps freed memory in the arena of the thread that freed it; with a pool of HTTP
  // threads taking turns, resident memory would creep up towards every thread's own peak.
  ::malloc_trim(0);
}

void Service::run_video_frame(const std::function<void()>& work) { queue_.run_in_turn(work); }

int Service::images_in_progress() const {
  const auto counts = queue_.counts();
  return counts.running + counts.waiting;
}

bool Service::wants_json(const httplib::Request& request) {
  return request.get_header_value("Accept").find("application/json") != std::string::npos;
}

httplib::MultipartFormDataMap Service::form_of(const httplib::Request& request) {
  const std::string form_type = request.get_header_value(kFormContentType);
  if (form_type.starts_with("application/x-www-form-urlencoded")) {
    httplib::Params fields;
    httplib::detail::parse_query_text(request.body, fields);
    httplib::MultipartFormDataMap form;
    for (const auto& [name, value] : fields) form.emplace(name, httplib::MultipartFormData{name, value, "", ""});
    return form;
  }
  return form_type.empty() ? httplib::MultipartFormDataMap{}
                           : parse_multipart(request.body, multipart_boundary(form_type));
}

bool Service::admit(httplib::Request& request, httplib::Response& response) const {
  request_started = Clock::now();
  current_request_id = request_id(request);
  response.set_header("X-Request-Id", current_request_id);
  const AccessConfig& access = config_.access;
  add_cors_headers(request, response, access);
  if (!access.base_path.empty()) {
    const std::string_view path = request.path;
    const bool under = path.starts_with(access.base_path) &&
                       (path.size() == access.base_path.size() || path[access.base_path.size()] == '/');
    if (!under) {
      send_error(response, Error(ErrorCode::not_found, "this server answers under " + access.base_path + "/"));
      return false;
    }
    if (path.size() == access.base_path.size()) {
      // The page's links are relative: they resolve under the base path only from its folder.
      response.set_redirect(access.base_path + "/", 308);
      return false;
    }
    request.path = std::string(path.substr(access.base_path.size()));
  }
  const auto route = route_of(request.path);
  const ErrorWriter write_error = route == routes_.end() ? send_error : route->second.front().options.write_error;
  const auto refuse = [&](const Error& error) {
    answer_error(response, error, write_error);
    // The body, if any, is left unread: the connection cannot carry another request.
    response.set_header("Connection", "close");
    return false;
  };
  if (const std::optional<Error> refusal = host_refusal(request)) return refuse(*refusal);
  if (route == routes_.end()) return true;  // httplib answers 404
  const std::string allowed = allowed_methods(route->second);
  if (request.method == "OPTIONS") {
    response.status = 204;
    response.set_header("Allow", allowed);
    if (response.has_header("Access-Control-Allow-Origin")) {
      response.set_header("Access-Control-Allow-Methods", allowed);
      response.set_header("Access-Control-Allow-Headers", kCorsRequestHeaders);
      response.set_header("Access-Control-Max-Age", "600");
    }
    return false;
  }
  const Registered* target = registered(route->second, request.method == "HEAD" ? "GET" : request.method);
  if (!target) {
    response.set_header("Allow", allowed);
    return refuse(Error(ErrorCode::method_not_allowed,
                        request.path + " does not answer " + request.method.substr(0, 16) + "; it answers " + allowed));
  }
  if (const std::optional<Error> refusal = access_refusal(request, target->options.access)) return refuse(*refusal);
  // Forms are read by form_of, not by httplib: it gets them as a plain body. (httplib refuses
  // urlencoded forms over 8 KB, and remove.bg's clients send whole images in them.)
  const std::string type = request.get_header_value("Content-Type");
  if (type.starts_with("multipart/form-data") || type.starts_with("application/x-www-form-urlencoded")) {
    request.headers.erase("Content-Type");
    request.headers.emplace("Content-Type", "application/octet-stream");
    request.headers.emplace(kFormContentType, type);
  }
  return true;
}

Service::Routes::const_iterator Service::route_of(std::string_view path) const {
  if (const auto exact = routes_.find(std::string(path)); exact != routes_.end()) return exact;
  return std::find_if(routes_.begin(), routes_.end(), [path](const auto& route) { return path_matches(route.first, path); });
}

const Service::Registered* Service::registered(const std::vector<Registered>& route, const std::string& method) {
  for (const Registered& r : route)
    if (r.method == method) return &r;
  return nullptr;
}

std::string Service::allowed_methods(const std::vector<Registered>& route) {
  std::string allowed;
  for (const Registered& r : route) allowed += r.method + ", ";
  return allowed + "OPTIONS";
}

std::optional<Error> Service::host_refusal(const httplib::Request& request) const {
  const AccessConfig& access = config_.access;
  if (!is_loopback(config_.host) && access.hosts.empty()) return std::nullopt;  // any name may reach it
  const std::string host = host_name(request);
  if (host.empty() || is_loopback(host) || std::find(access.hosts.begin(), access.hosts.end(), host) != access.hosts.end())
    return std::nullopt;
  return Error(ErrorCode::forbidden, "this server does not answer to the host name '" + host.substr(0, 64) +
                                         "' (start it with --allowed-host NAME to allow a name)");
}

std::optional<Error> Service::access_refusal(const httplib::Request& request, Access access) const {
  const AccessConfig& config = config_.access;
  if (access == Access::open) return std::nullopt;
  const std::string key = presented_key(request);
  if (access == Access::status) {
    if (config.status_loopback_only && !is_loopback(client_address(request, config.trusted_proxies)))
      return Error(ErrorCode::forbidden, request.path + " answers loopback clients only");
    if (!config.status_key.empty()) {
      if (key_matches({config.status_key}, key)) return std::nullopt;
      return Error(ErrorCode::unauthorized, request.path + " needs the status key, as X-Api-Key or Authorization: Bearer");
    }
  }
  if (config.api_keys.empty() || key_matches(config.api_keys, key)) return std::nullopt;
  return Error(ErrorCode::unauthorized, key.empty() ? "this server needs an API key: send it as X-Api-Key or "
                                                      "Authorization: Bearer"
                                                    : "the API key is not one this server accepts");
}

std::optional<Error> Service::refusal_before_upload(const httplib::Request& request) const {
  const auto route = route_of(request.path);
  const Registered* target = route == routes_.end() ? nullptr : registered(route->second, request.method);
  if (!target || target->options.work != Work::inference) return std::nullopt;
  if (!ready_) return model_loading();
  if (queue_.full()) return JobQueue::full_error();
  return std::nullopt;
}

void Service::answer_error(httplib::Response& response, const Error& error, ErrorWriter write_error) const {
  write_error(response, error);
  if (error.code() == ErrorCode::overloaded)
    response.set_header("Retry-After", std::to_string(queue_.retry_after_seconds()));
  if (error.code() == ErrorCode::not_ready) response.set_header("Retry-After", kRetryWhileLoading);
}

// The error behind a status that httplib set itself, before any handler of ours ran.
Error Service::error_of_status(const httplib::Request& request, int status) const {
  const ErrorCode code = code_of_status(status);
  switch (code) {
    case ErrorCode::not_found:
      return Error(code, "there is nothing at " + request.method + " " + request.path);
    case ErrorCode::upload_too_large:
      return Error(code, "the upload is larger than this server's limit of " +
                             megabytes(config_.max_upload_bytes) + " MB");
    default:
      return Error(code, "the request is malformed (a broken HTTP request or multipart body)");
  }
}

void Service::count(const httplib::Request& request, const httplib::Response& response) {
  const auto route = route_of(request.path);  // a route with {id} is counted once, not per id
  std::optional<double> seconds;
  if (request_started) seconds = seconds_since(*request_started);
  metrics_.record_request(route != routes_.end() ? route->first : "other", response.status, seconds);
}

void Service::log(const httplib::Request& request, const httplib::Response& response) const {
  const std::optional<Clock::time_point> started = std::exchange(request_started, std::nullopt);
  const AccessRecord record{client_address(request, config_.access.trusted_proxies), request.method, request.path,
                            current_request_id, response.status, response.body.size(),
                            started ? seconds_since(*started) : 0.0};
  std::fprintf(stderr, "%s\n", access_log_line(record, config_.access.json_log).c_str());
}

}  // namespace rmbg::server
