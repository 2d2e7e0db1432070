#include "url_fetch.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>

#include <algorithm>
#include <optional>

#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxRedirects = 3;

Error refused(const std::string& message) { return Error(ErrorCode::url_refused, message); }

struct Url {
  std::string host;
  int port = 80;
  std::string path;  // with the query
};

Url parse_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    throw refused("'" + url.substr(0, 40) + "' is not an http:// URL (https is not fetched: put a proxy in front)");
  const std::string rest = url.substr(kScheme.size());
  const auto path_start = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_start);
  std::string path = "/";
  if (path_start != std::string::npos) path.append(rest, rest[path_start] == '/' ? path_start + 1 : path_start);
  if (const auto hash = path.find('#'); hash != std::string::npos) path.erase(hash);
  if (authority.find('@') != std::string::npos) throw refused("URLs with a user name are not fetched");
  Url parsed{authority, 80, path};
  if (const auto colon = authority.rfind(':'); colon != std::string::npos && authority.back() != ']') {
    parsed.host = authority.substr(0, colon);
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit))
      throw refused("'" + port + "' is not a port");
    parsed.port = std::stoi(port);
  }
  std::transform(parsed.host.begin(), parsed.host.end(), parsed.host.begin(), ::tolower);
  if (parsed.host.empty()) throw refused("the URL names no host");
  return parsed;
}

bool matches(const std::string& host, const std::string& pattern) {
  if (pattern.starts_with("*.")) return host.ends_with(pattern.substr(1)) && host.size() > pattern.size() - 1;
  return host == pattern;
}

bool is_address(const std::string& text) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, text.c_str(), &scratch) == 1 || ::inet_pton(AF_INET6, text.c_str(), &scratch) == 1;
}

// Addresses that lead into the machine or its network rather than to the internet.
bool is_internal(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const std::uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
    const auto in = [ip](std::uint32_t net, int bits) { return (ip >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x7f000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) ||
           in(0xc0a80000, 16) || in(0xa9fe0000, 16) || in(0x64400000, 10) || in(0xe0000000, 4);
  }
  const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&ip) || IN6_IS_ADDR_UNSPECIFIED(&ip) || IN6_IS_ADDR_LINKLOCAL(&ip) ||
         IN6_IS_ADDR_V4MAPPED(&ip) || IN6_IS_ADDR_MULTICAST(&ip) || (ip.s6_addr[0] & 0xfe) == 0xfc;
}

// The address to connect to for `host`, which the policy allows: resolved once here, so that the
// connection goes where it was checked to go.
std::string address_of(const std::string& host, const FetchPolicy& policy) {
  const bool listed = std::any_of(policy.hosts.begin(), policy.hosts.end(),
                                  [&](const std::string& pattern) { return matches(host, pattern); });
  if (!listed) throw refused("this server does not fetch from " + host + " (allowed with --allow-url-fetch)");
  if (is_address(host)) return host;  // an address listed by the operator is reached as it is
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) throw refused("cannot resolve " + host);
  std::optional<std::string> chosen;
  bool internal = false;
  for (const addrinfo* a = found; a && !chosen; a = a->ai_next) {
    if (is_internal(a->ai_addr)) {
      internal = true;
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (::inet_ntop(a->ai_family, raw, text, sizeof text)) chosen = text;
  }
  ::freeaddrinfo(found);
  if (!chosen && internal)
    throw refused(host + " resolves to a loopback or private address, which is only fetched from when listed itself");
  if (!chosen) throw refused("cannot resolve " + host);
  return *chosen;
}

}  // namespace

std::string fetch_url(const std::string& url, const FetchPolicy& policy) {
  if (policy.hosts.empty())
    throw refused("this server does not fetch URLs: send the image itself (allowed with --allow-url-fetch)");
  const auto deadline = Clock::now() + policy.timeout;
  Url target = parse_url(url);
  const std::string first_host = target.host;
  for (int redirects = 0;; ++redirects) {
    httplib::Client client(target.host, target.port);
    client.set_hostname_addr_map({{target.host, address_of(target.host, policy)}});
    client.set_connection_timeout(policy.timeout);
    client.set_read_timeout(policy.timeout);
    client.set_follow_location(false);
    std::string body;
    bool too_large = false, too_slow = false;
    const httplib::Result result = client.Get(target.path, [&](const char* data, size_t length) {
      too_large = body.size() + length > policy.max_bytes;
      too_slow = Clock::now() > deadline;
      if (too_large || too_slow) return false;
      body.append(data, length);
      return true;
    });
    if (too_large) throw refused(url.substr(0, 80) + " is larger than " + std::to_string(policy.max_bytes) + " bytes");
    if (too_slow) throw refused(url.substr(0, 80) + " took longer than " + std::to_string(policy.timeout.count()) + " s");
    if (!result) throw refused("cannot fetch " + url.substr(0, 80) + ": " + httplib::to_string(result.error()));
    const int status = result->status;
    if (status >= 300 && status < 400 && result->has_header("Location")) {
      std::string location = result->get_header_value("Location");
      if (location.starts_with('/')) location = "http://" + target.host + ":" + std::to_string(target.port) + location;
      target = parse_url(location);
      if (target.host != first_host) throw refused(url.substr(0, 80) + " redirects to another host, " + target.host);
      if (redirects + 1 > kMaxRedirects) throw refused(url.substr(0, 80) + " redirects too often");
      continue;
    }
    if (status != 200) throw refused("fetching " + url.substr(0, 80) + " answered " + std::to_string(status));
    return body;
  }
}

}  // namespace rmbg::server
