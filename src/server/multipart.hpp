#pragma once
// multipart/form-data bodies, read by rmbg itself: cpp-httplib 0.11 refuses a body whose closing
// boundary has no CRLF after it, which is how Node 18's fetch sends every form.
#include <string_view>

#include <httplib.h>

namespace rmbg::server {

// The boundary of a "multipart/form-data; boundary=..." content type; empty for anything else.
std::string_view multipart_boundary(std::string_view content_type);

// The parts of `body`. Throws Error(invalid_argument) for a body that is not a complete form.
httplib::MultipartFormDataMap parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace rmbg::server
