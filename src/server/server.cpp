#include "server.hpp"

#include <httplib.h>
#include <malloc.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "embedded_files.hpp"
#include "form_fields.hpp"
#include "http_errors.hpp"
#include "idphoto_request.hpp"
#include "job_queue.hpp"
#include "multipart.hpp"
#include "remove_request.hpp"
#include "rmbg/error.hpp"
#include "rmbg/idphoto.hpp"
#include "rmbg/print_sheet.hpp"
#include "rmbg/remover.hpp"
#include "service_metrics.hpp"
#include "system_usage.hpp"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace rmbg::server {
namespace {

// Threads beyond the inference slots and queue places, so that the page, health checks and
// metrics are still answered while every place in the queue is taken.
constexpr int kSpareThreads = 8;

// Seconds a client is asked to wait while the model loads: loading takes a few seconds.
constexpr const char* kRetryWhileLoading = "2";

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
// its first byte to its last, so the pre-routing hook can hand the time to the logger this way.
thread_local std::optional<Clock::time_point> request_started;

// The signal that asked the server to stop, set by the signal handler.
std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int signal) { stop_signal = signal; }

// httplib routes are regular expressions; ours are plain paths.
std::string exact_path(std::string_view path) {
  std::string pattern;
  for (char c : path) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) pattern += '\\';
    pattern += c;
  }
  return pattern;
}

double one_decimal(double value) { return std::round(value * 10) / 10; }

std::string megabytes(std::size_t bytes) {
  std::ostringstream text;
  text << static_cast<double>(bytes) / (1024 * 1024);
  return text.str();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string base64(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t left = std::min<size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k)
      group = group << 8 | (k < left ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= left ? kDigits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

json range_json(const std::optional<Range>& range) {
  return range ? json{{"min", range->min}, {"max", range->max}} : json(nullptr);
}

// The size table as GET /api/idphoto/sizes sends it, with pixels at `dpi`.
json idphoto_sizes(int dpi) {
  json sizes = json::array();
  for (const PhotoStandard& s : photo_standards()) {
    const PixelSize px = pixel_size(s, dpi);
    sizes.push_back({{"name", s.name},
                     {"title", s.title},
                     {"width_mm", s.width_mm},
                     {"height_mm", s.height_mm},
                     {"width_px", px.width},
                     {"height_px", px.height},
                     {"head_height_mm", range_json(s.head_height_mm)},
                     {"top_margin_mm", range_json(s.top_margin_mm)},
                     {"eye_line_mm", range_json(s.eye_line_mm)},
                     {"source", s.source}});
  }
  json sheets = json::array();
  for (const SheetSize& sheet : sheet_sizes())
    sheets.push_back({{"name", sheet.name}, {"title", sheet.title}, {"width_mm", sheet.short_mm},
                      {"height_mm", sheet.long_mm}});
  return {{"dpi", dpi},
          {"sizes", sizes},
          {"sheets", sheets},
          {"backgrounds", {{"white", "#ffffff"}, {"blue", "#438edb"}, {"red", "#ff0000"}}}};
}

// A client that asks for JSON gets the photo, the sheet and the measurements in one answer.
bool wants_json(const httplib::Request& request) {
  return request.get_header_value("Accept").find("application/json") != std::string::npos;
}

class Service {
 public:
  explicit Service(const ServerConfig& config)
      : config_(config), queue_(config.concurrency, config.queue) {
    const auto threads = static_cast<size_t>(config.concurrency + config.queue + kSpareThreads);
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
    http_.set_pre_routing_handler([](const httplib::Request& request, httplib::Response&) {
      request_started = Clock::now();
      // Forms are read by parse_multipart, not by httplib: it gets them as a plain body. The
      // request is ours to change here; httplib only hands it over as const.
      const std::string type = request.get_header_value("Content-Type");
      if (type.starts_with("multipart/form-data")) {
        auto& headers = const_cast<httplib::Request&>(request).headers;
        headers.erase("Content-Type");
        headers.emplace("Content-Type", "application/octet-stream");
        headers.emplace(kFormContentType, type);
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http_.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& request, httplib::Response& response) {
          if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          send_error(response, error_of_status(request, response.status));
          return httplib::Server::HandlerResponse::Handled;
        }));
    http_.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
      log(request, response);
    });
    add_routes();
  }

  void listen_on(const std::string& host, int port) {
    if (!http_.bind_to_port(host, port))
      throw Error(ErrorCode::io_error, "cannot listen on " + host + ":" + std::to_string(port) +
                                           " (is another server using that port?)");
  }

  // Returns once stop() was called and every request received before it has been answered.
  void run() { http_.listen_after_bind(); }

  // httplib ignores a stop that comes before it is listening, so this waits for that first.
  void stop(const std::stop_token& stopped) {
    while (!http_.is_running() && !stopped.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    http_.stop();
  }

  void load_model() {
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

  int images_in_progress() const {
    const auto counts = queue_.counts();
    return counts.running + counts.waiting;
  }

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Every handler answers an error as JSON with the status its code calls for; nothing escapes.
  void route(const std::string& method, const std::string& path, Handler handler) {
    routes_.push_back(path);
    auto guarded = [this, handler = std::move(handler)](const httplib::Request& request,
                                                        httplib::Response& response) {
      try {
        handler(request, response);
      } catch (const Error& e) {
        send_error(response, e);
        if (e.code() == ErrorCode::overloaded)
          response.set_header("Retry-After", std::to_string(queue_.retry_after_seconds()));
        if (e.code() == ErrorCode::not_ready) response.set_header("Retry-After", kRetryWhileLoading);
      } catch (const std::exception& e) {
        send_internal_error(response, e.what());
      }
    };
    if (method == "POST")
      http_.Post(exact_path(path), guarded);
    else
      http_.Get(exact_path(path), guarded);
  }

  void add_routes() {
    route("POST", "/remove-bg", [this](const auto& request, auto& response) {
      remove_background(request, response);
    });
    route("POST", "/api/idphoto", [this](const auto& request, auto& response) { make_id_photo(request, response); });
    route("GET", "/api/idphoto/sizes", [](const auto& request, auto& response) {
      const int dpi = request.has_param("dpi") ? parse_int(request.get_param_value("dpi")) : kDefaultDpi;
      if (dpi < kMinDpi || dpi > kMaxDpi)
        throw Error(ErrorCode::invalid_argument, "dpi must be between " + std::to_string(kMinDpi) + " and " +
                                                     std::to_string(kMaxDpi));
      response.set_content(idphoto_sizes(dpi).dump(), "application/json");
    });
    route("GET", "/api/health", [this](const auto&, auto& response) {
      response.status = ready_ ? 200 : 503;
      if (!ready_) response.set_header("Retry-After", kRetryWhileLoading);
      const json body{{"status", ready_ ? "ready" : "loading"}, {"model", config_.model.name}};
      response.set_content(body.dump(), "application/json");
    });
    route("GET", "/api/system", [this](const auto&, auto& response) {
      response.set_content(system_report().dump(), "application/json");
    });
    route("GET", "/metrics", [this](const auto&, auto& response) {
      const auto counts = queue_.counts();
      const Gauges gauges{counts.running, counts.waiting, queue_.capacity(), ready_};
      response.set_content(metrics_.prometheus_text(gauges), "text/plain; version=0.0.4");
    });
    for (const EmbeddedFile& file : embedded_files()) {
      route("GET", std::string(file.url), [file](const auto&, auto& response) {
        response.set_content(file.content.data(), file.content.size(), std::string(file.content_type));
        response.set_header("Cache-Control", "no-cache");
      });
    }
  }

  void remove_background(const httplib::Request& http_request, httplib::Response& response) {
    if (!ready_)
      throw Error(ErrorCode::not_ready, "the model is still loading; try again in a few seconds");
    const httplib::MultipartFormDataMap form = form_of(http_request);
    const RemoveRequest request = parse_remove_request(form, config_.model.name);
    const CutOptions options{request.preset.value_or(config_.preset),
                             request.output.kind == OutputKind::foreground, std::nullopt};
    std::string body;
    queue_.run([&] { body = cut_out(request, options); }, config_.request_timeout);
    // glibc keeps freed memory in the arena of the thread that freed it; with a pool of HTTP
    // threads taking turns, resident memory would creep up towards every thread's own peak.
    ::malloc_trim(0);
    response.body = std::move(body);
    response.set_header("Content-Type", std::string(media_type(request.output.format)));
  }

  // The fields of a multipart form, read by rmbg (see the pre-routing hook); none for anything else.
  static httplib::MultipartFormDataMap form_of(const httplib::Request& http_request) {
    const std::string form_type = http_request.get_header_value(kFormContentType);
    return form_type.empty() ? httplib::MultipartFormDataMap{}
                             : parse_multipart(http_request.body, multipart_boundary(form_type));
  }

  void make_id_photo(const httplib::Request& http_request, httplib::Response& response) {
    if (!ready_)
      throw Error(ErrorCode::not_ready, "the model is still loading; try again in a few seconds");
    if (faces_problem_) throw *faces_problem_;
    const httplib::MultipartFormDataMap form = form_of(http_request);
    const IdPhotoRequest request = parse_idphoto_request(form);
    IdPhoto photo;
    queue_.run([&] { photo = IdPhotoMaker(*engine_, *faces_).make(decode_image(request.image, config_.limits),
                                                                  request.options, {config_.preset, true, std::nullopt}); },
               config_.request_timeout);
    ::malloc_trim(0);  // as for /remove-bg
    const EncodedPhoto encoded = encode_photo(photo.image, request.format, request.max_bytes);
    std::optional<SheetLayout> layout;
    std::string sheet;
    if (request.sheet) {
      layout = plan_sheet(*request.sheet, photo.image.width(), photo.image.height(), request.options.dpi);
      sheet = encode_photo(render_sheet(photo.image, *layout), request.format).bytes;
    }
    const std::string type(media_type(request.format));
    if (!wants_json(http_request)) {
      response.body = request.sheet ? std::move(sheet) : encoded.bytes;
      response.set_header("Content-Type", type);
      return;
    }
    const HeadPlacement& p = photo.placement;
    json body{{"size", {{"name", request.options.standard.name},
                        {"title", request.options.standard.title},
                        {"dpi", request.options.dpi}}},
              {"photo", {{"media_type", type},
                         {"width", photo.image.width()},
                         {"height", photo.image.height()},
                         {"bytes", encoded.bytes.size()},
                         {"quality", encoded.quality == 0 ? json(nullptr) : json(encoded.quality)},
                         {"base64", base64(encoded.bytes)}}},
              {"placement", {{"head_height_mm", p.head_height_mm},
                             {"top_margin_mm", p.top_margin_mm},
                             {"eye_line_mm", p.eye_line_mm},
                             {"roll_degrees", p.roll_degrees},
                             {"enlargement", p.enlargement},
                             {"continued_mm", p.continued_mm}}},
              {"sheet", nullptr}};
    if (layout)
      body["sheet"] = {{"name", request.sheet->name},
                       {"title", request.sheet->title},
                       {"copies", layout->photos.size()},
                       {"media_type", type},
                       {"width", layout->width},
                       {"height", layout->height},
                       {"bytes", sheet.size()},
                       {"base64", base64(sheet)}};
    response.set_content(body.dump(), "application/json");
  }

  std::string cut_out(const RemoveRequest& request, const CutOptions& options) {
    const Image image = decode_image(request.image, config_.limits);
    StageTimes times;
    const Cutout cutout = Remover(*engine_).cut(image, options, &times);
    metrics_.record_inference(times.inference);
    return encode(render(image, cutout, request.output), request.output);
  }

  json system_report() {
    const SystemUsage usage = system_.usage();
    const auto counts = queue_.counts();
    const DeviceReport* device = ready_ ? &engine_->device() : nullptr;  // known once loaded
    json gpu = nullptr;
    if (device && device->provider == "cuda")  // how busy the GPU is is not measured
      gpu = {{"description", device->summary}, {"percent", nullptr}};
    return {
        {"version", RMBG_VERSION},
        {"cpu",
         {{"cores", usage.cores},
          {"machine_percent", one_decimal(usage.machine_cpu_percent)},
          {"process_percent", one_decimal(usage.process_cpu_percent)}}},
        {"memory",
         {{"machine_bytes", usage.machine_memory_bytes},
          {"machine_available_bytes", usage.machine_available_bytes},
          {"process_rss_bytes", usage.process_rss_bytes},
          {"process_peak_rss_bytes", usage.process_peak_rss_bytes}}},
        {"gpu", gpu},
        {"queue",
         {{"running", counts.running},
          {"waiting", counts.waiting},
          {"capacity", queue_.capacity()},
          {"concurrency", queue_.concurrency()}}},
        {"model",
         {{"name", config_.model.name},
          {"ready", device != nullptr},
          {"execution_provider", device ? json(device->provider) : json(nullptr)},
          {"device", device ? json(device->summary) : json(nullptr)}}},
        {"limits",
         {{"max_upload_bytes", config_.max_upload_bytes},
          {"max_pixels", config_.limits.max_pixels}}},
    };
  }

  // The error behind a status that httplib set itself, before any handler of ours ran.
  Error error_of_status(const httplib::Request& request, int status) const {
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

  std::string route_label(const std::string& path) const {
    return std::find(routes_.begin(), routes_.end(), path) != routes_.end() ? path : "other";
  }

  void log(const httplib::Request& request, const httplib::Response& response) {
    std::optional<double> seconds;
    if (const auto started = std::exchange(request_started, std::nullopt)) seconds = seconds_since(*started);
    metrics_.record_request(route_label(request.path), response.status, seconds);
    // Page loads and polling of /api/system would drown the lines that matter.
    if (request.method == "GET" && response.status < 400) return;
    std::fprintf(stderr, "rmbg: %s %s %d %.2f s\n", request.method.c_str(), request.path.c_str(),
                 response.status, seconds.value_or(0));
  }

  const ServerConfig& config_;
  httplib::Server http_;
  std::vector<std::string> routes_;
  JobQueue queue_;
  ServiceMetrics metrics_;
  SystemMonitor system_;
  std::unique_ptr<Engine> engine_;  // set once by load_model, read only after ready_
  std::unique_ptr<FaceDetector> faces_;  // likewise; null when it could not be loaded,
  std::unique_ptr<Error> faces_problem_;  // and this says why
  std::atomic<bool> ready_{false};
};

}  // namespace

int serve(const ServerConfig& config) {
  init_vips();
  // A client that hangs up while its reply is being written must not end the process.
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Service service(config);
  service.listen_on(config.host, config.port);
  std::fprintf(stderr, "rmbg: listening on http://%s:%d/ (loading model %s)\n", config.host.c_str(),
               config.port, config.model.name.c_str());

  std::atomic<bool> load_failed{false};
  std::jthread loader([&] {
    try {
      service.load_model();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rmbg: %s\n", e.what());
      load_failed = true;
    }
  });
  std::jthread stopper([&](std::stop_token stopped) {
    while (stop_signal == 0 && !load_failed && !stopped.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_signal != 0)
      std::fprintf(stderr, "rmbg: stopping; finishing %d images in progress\n", service.images_in_progress());
    service.stop(stopped);
  });
  service.run();
  stopper.request_stop();
  stopper.join();
  loader.join();  // a stop asked for while the model loads waits for the load to end
  if (!load_failed) std::fprintf(stderr, "rmbg: stopped\n");
  return load_failed ? 1 : 0;
}

}  // namespace rmbg::server
