#include "base64.hpp"

#include <algorithm>
#include <cstdint>

#include "rmbg/error.hpp"

namespace rmbg::server {

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

std::string unbase64(std::string_view text) {
  if (text.starts_with("data:")) {
    const auto comma = text.find(',');
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      if (text.find_first_not_of("=\r\n\t", i) != std::string_view::npos)
        throw Error(ErrorCode::invalid_argument, "the base64 text goes on after its padding");
      break;
    }
    int digit = -1;
    if (c >= 'A' && c <= 'Z') digit = c - 'A';
    else if (c >= 'a' && c <= 'z') digit = c - 'a' + 26;
    else if (c >= '0' && c <= '9') digit = c - '0' + 52;
    // '-' and '_': the URL-safe alphabet; ' ': a '+' that a urlencoded form decoded as a space.
    else if (c == '+' || c == '-' || c == ' ') digit = 62;
    else if (c == '/' || c == '_') digit = 63;
    else throw Error(ErrorCode::invalid_argument, "the base64 text has a character that is not base64");
    bits = bits << 6 | static_cast<std::uint32_t>(digit);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

}  // namespace rmbg::server
