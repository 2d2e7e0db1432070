// The checks and parsers of the fields of both API forms. Input: one field a line, NAME=VALUE;
// an image is always there.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "rmbg/error.hpp"
#include "server/form_fields.hpp"
#include "server/idphoto_request.hpp"
#include "server/remove_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  httplib::MultipartFormDataMap form;
  form.emplace("image", httplib::MultipartFormData{"image", "\xFF\xD8\xFF", "a.jpg", "image/jpeg"});
  while (!input.empty()) {
    const std::string_view line = input.substr(0, input.find('\n'));
    input.remove_prefix(std::min(line.size() + 1, input.size()));
    const size_t equals = line.find('=');
    const std::string name(line.substr(0, equals));
    const std::string value(equals == std::string_view::npos ? "" : line.substr(equals + 1));
    form.emplace(name, httplib::MultipartFormData{name, value, "", ""});
    try {
      rmbg::server::parse_int(value);
    } catch (const rmbg::Error&) {
    }
  }
  try {
    rmbg::server::parse_remove_request(form, "isnet-qdq");
  } catch (const rmbg::Error&) {
  }
  try {
    rmbg::server::parse_idphoto_request(form);
  } catch (const rmbg::Error&) {
  }
  return 0;
}
