#include "multipart.hpp"

#include <algorithm>
#include <cctype>

#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

Error malformed(const std::string& why) {
  return Error(ErrorCode::invalid_argument, "the multipart body is malformed: " + why);
}

// `prefix` is lower case.
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char lower, char c) { return std::tolower(static_cast<unsigned char>(c)) == lower; });
}

// The value of `name="..."` (or unquoted) in a header such as Content-Disposition.
std::string parameter(std::string_view header, std::string_view name) {
  for (size_t at = header.find(';'); at != std::string_view::npos; at = header.find(';', at + 1)) {
    std::string_view rest = header.substr(at + 1);
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    if (!starts_with_ignoring_case(rest, name) || rest.substr(name.size(), 1) != "=") continue;
    rest.remove_prefix(name.size() + 1);
    if (rest.starts_with('"')) return std::string(rest.substr(1, rest.find('"', 1) - 1));
    return std::string(rest.substr(0, rest.find(';')));
  }
  return {};
}

}  // namespace

std::string_view multipart_boundary(std::string_view content_type) {
  if (!starts_with_ignoring_case(content_type, "multipart/form-data")) return {};
  const size_t at = content_type.find("boundary=");
  if (at == std::string_view::npos) return {};
  std::string_view boundary = content_type.substr(at + 9);
  if (boundary.starts_with('"')) return boundary.substr(1, boundary.find('"', 1) - 1);
  return boundary.substr(0, boundary.find(';'));
}

httplib::MultipartFormDataMap parse_multipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty()) throw malformed("no boundary");
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_part = "\r\n" + delimiter;
  size_t at = body.find(delimiter);
  if (at == std::string_view::npos) throw malformed("no part");
  at += delimiter.size();
  httplib::MultipartFormDataMap parts;
  while (true) {
    if (body.substr(at, 2) == "--") return parts;  // the closing boundary; any CRLF after it is optional
    if (body.substr(at, 2) != "\r\n") throw malformed("a boundary is not followed by a line break");
    const size_t headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) throw malformed("a part's headers do not end");
    httplib::MultipartFormData part;
    for (size_t line = at + 2; line < headers_end;) {
      const size_t end = std::min(body.find("\r\n", line), headers_end);
      const std::string_view header = body.substr(line, end - line);
      if (starts_with_ignoring_case(header, "content-disposition:")) {
        part.name = parameter(header, "name");
        part.filename = parameter(header, "filename");
      } else if (starts_with_ignoring_case(header, "content-type:")) {
        std::string_view type = header.substr(13);
        type.remove_prefix(std::min(type.find_first_not_of(' '), type.size()));
        part.content_type = std::string(type);
      }
      line = end + 2;
    }
    const size_t content = headers_end + 4;
    const size_t content_end = body.find(next_part, content);
    if (content_end == std::string_view::npos) throw malformed("the last part is cut short");
    part.content = std::string(body.substr(content, content_end - content));
    std::string name = part.name;
    parts.emplace(std::move(name), std::move(part));
    at = content_end + next_part.size();
  }
}

}  // namespace rmbg::server
