#pragma once
// Fetching an image a request names by URL (remove.bg's image_url and bg_image_url, rembg's
// ?url=), which the operator allows host by host: a server that fetches any URL it is given lets
// any client reach what only the server can reach, such as the machine's own services.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace rmbg::server {

struct FetchPolicy {
  // Hosts that may be fetched from: "images.example.com", "*.example.com" (its subdomains) or an
  // IP address. None: fetching is off. A name must resolve to a public address; a loopback or
  // private address is only reached when it is listed itself.
  std::vector<std::string> hosts;
  std::size_t max_bytes = 20 * 1024 * 1024;
  std::chrono::seconds timeout{10};  // for the whole fetch
};

// The body of an http:// URL. Redirects are followed up to three times on the same host only.
// Throws Error(url_refused) saying why for a URL the policy refuses or a fetch that fails.
std::string fetch_url(const std::string& url, const FetchPolicy& policy);

}  // namespace rmbg::server
