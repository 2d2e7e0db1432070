#pragma once
#include <string>
#include <string_view>

namespace rmbg::server {

// Standard base64 (RFC 4648), with padding.
std::string base64(std::string_view bytes);

// The bytes of base64 text (standard or URL-safe); padding may be left out, and line breaks and a data: URL's
// "data:...;base64," prefix are skipped. Throws Error(invalid_argument) for anything else.
std::string unbase64(std::string_view text);

}  // namespace rmbg::server
