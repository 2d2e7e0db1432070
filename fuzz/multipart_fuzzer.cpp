// The multipart/form-data parser that reads every upload. Input: a Content-Type header value,
// a line break, then the body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rmbg/error.hpp"
#include "server/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t line = input.find('\n');
  if (line == std::string_view::npos) return 0;
  const std::string_view body = input.substr(line + 1);
  try {
    for (const auto& [name, part] : rmbg::server::parse_multipart(body, rmbg::server::multipart_boundary(input.substr(0, line))))
      // Every part is a piece of the body, under its own name.
      if (name != part.name || body.find(part.content) == std::string_view::npos) std::abort();
  } catch (const rmbg::Error&) {
  }
  return 0;
}
