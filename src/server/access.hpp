#pragma once
// Who may use the server, and what is written down about each request: API keys, the Host check
// against DNS rebinding, CORS, the client behind trusted proxies, request ids and the access log.
#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmbg/error.hpp"

namespace rmbg::server {

struct AccessConfig {
  std::vector<std::string> api_keys;      // none: no key is asked for
  std::string status_key;                 // for /api/system and /metrics instead of an API key; empty: API keys
  bool status_loopback_only = false;      // /api/system and /metrics answer loopback clients only
  std::vector<std::string> hosts;         // Host names answered besides loopback ones, when bound to loopback
  std::vector<std::string> cors_origins;  // origins whose pages may call the API; "*" for any
  std::vector<std::string> trusted_proxies;  // addresses whose X-Forwarded-For is believed
  bool json_log = false;                  // one JSON object per access log line
  std::string base_path;                  // "/rmbg" when served under that path of a reverse proxy; "" otherwise
};

// Whether `host` (an address to listen on, or a Host header's name) is a loopback one.
bool is_loopback(std::string_view host);

// The key a request presents, in X-Api-Key or Authorization: Bearer; empty when none.
std::string presented_key(const httplib::Request& request);

// Whether `key` is one of `keys`, compared in time that does not depend on where they differ.
bool key_matches(const std::vector<std::string>& keys, const std::string& key);

// The request's Host without its port, lower-case.
std::string host_name(const httplib::Request& request);

// The client's address: the connection's, or, when that is a trusted proxy, the last address in
// X-Forwarded-For that is not one.
std::string client_address(const httplib::Request& request, const std::vector<std::string>& trusted_proxies);

// X-Request-Id as the client sent it when it is a short token, else a new random one.
std::string request_id(const httplib::Request& request);

// The CORS response headers for a request from an allowed origin; none for other requests.
void add_cors_headers(const httplib::Request& request, httplib::Response& response, const AccessConfig& access);

struct AccessRecord {
  std::string client, method, path, request_id;
  int status = 0;
  std::size_t bytes = 0;
  double seconds = 0;
};

// One line of the access log, without its newline: text, or JSON for log collectors.
std::string access_log_line(const AccessRecord& record, bool json);

}  // namespace rmbg::server
