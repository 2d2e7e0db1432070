#include "access.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace rmbg::server {
namespace {

constexpr std::size_t kMaxRequestIdLength = 128;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool listed(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

// Control characters and spaces of a decoded path would break a text log line in two.
std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) c = '?';
  return text;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char with_millis[40];
  std::snprintf(with_millis, sizeof with_millis, "%s.%03dZ", text, static_cast<int>(millis));
  return with_millis;
}

}  // namespace

bool is_loopback(std::string_view host) {
  const std::string name = lower(std::string(host));
  return name == "localhost" || name.ends_with(".localhost") || name.starts_with("127.") || name == "::1" ||
         name == "[::1]";
}

std::string presented_key(const httplib::Request& request) {
  if (request.has_header("X-Api-Key")) return request.get_header_value("X-Api-Key");
  const std::string authorization = request.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  return authorization.starts_with(kBearer) ? trimmed(std::string_view(authorization).substr(kBearer.size())) : "";
}

bool key_matches(const std::vector<std::string>& keys, const std::string& key) {
  bool found = false;
  for (const std::string& candidate : keys) {
    unsigned char difference = candidate.size() == key.size() ? 0 : 1;
    for (std::size_t i = 0; i < candidate.size(); ++i)
      difference |= static_cast<unsigned char>(candidate[i] ^ (i < key.size() ? key[i] : 0));
    found |= difference == 0;
  }
  return found;
}

std::string host_name(const httplib::Request& request) {
  const std::string host = lower(request.get_header_value("Host"));
  if (host.starts_with('[')) return host.substr(0, host.find(']') + 1);  // [::1]:8000
  return host.substr(0, host.find(':'));
}

std::string client_address(const httplib::Request& request, const std::vector<std::string>& trusted_proxies) {
  std::string client = request.remote_addr;
  if (!listed(trusted_proxies, client) || !request.has_header("X-Forwarded-For")) return client;
  // Each proxy appends the address it was reached from: read from the right, past our own proxies.
  std::vector<std::string> hops;
  std::istringstream list(request.get_header_value("X-Forwarded-For"));
  for (std::string hop; std::getline(list, hop, ',');) hops.push_back(trimmed(hop));
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (hop->empty()) break;
    client = *hop;
    if (!listed(trusted_proxies, client)) break;
  }
  return client;
}

std::string request_id(const httplib::Request& request) {
  const std::string given = request.get_header_value("X-Request-Id");
  const bool usable = !given.empty() && given.size() <= kMaxRequestIdLength &&
                      std::all_of(given.begin(), given.end(), [](unsigned char c) {
                        return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
                      });
  if (usable) return given;
  thread_local std::mt19937_64 random{std::random_device{}()};
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(random()));
  return id;
}

void add_cors_headers(const httplib::Request& request, httplib::Response& response, const AccessConfig& access) {
  const std::string origin = request.get_header_value("Origin");
  if (origin.empty() || (!listed(access.cors_origins, origin) && !listed(access.cors_origins, "*"))) return;
  response.set_header("Access-Control-Allow-Origin", origin);
  response.set_header("Vary", "Origin");
  response.set_header("Access-Control-Expose-Headers",
                      "X-Request-Id, X-Width, X-Height, X-Type, X-Credits-Charged, X-Foreground-Top, "
                      "X-Foreground-Left, X-Foreground-Width, X-Foreground-Height, Retry-After");
}

std::string access_log_line(const AccessRecord& r, bool json) {
  if (json)
    return nlohmann::json{{"time", utc_now()},      {"client", r.client}, {"method", r.method},
                          {"path", r.path},         {"status", r.status}, {"bytes", r.bytes},
                          {"seconds", std::round(r.seconds * 1000) / 1000}, {"request_id", r.request_id}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  char line[96];
  std::snprintf(line, sizeof line, " %d %zu B %.3f s id=", r.status, r.bytes, r.seconds);
  return utc_now() + " " + r.client + " " + printable(r.method) + " " + printable(r.path) + line + r.request_id;
}

}  // namespace rmbg::server
