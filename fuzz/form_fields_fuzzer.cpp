// The checks and parsers of the fields of every API form: rmbg's, remove.bg's, the ID photo's and
// the video job's. Input: one field a line, NAME=VALUE; each parser also gets the file it needs.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "rmbg/error.hpp"
#include "server/form_fields.hpp"
#include "server/idphoto_request.hpp"
#include "server/remove_request.hpp"
#include "server/removebg_request.hpp"
#include "server/video_request.hpp"

namespace {

// The fields with a file of the name `name` added, as a client uploads it.
httplib::MultipartFormDataMap with_file(httplib::MultipartFormDataMap form, const std::string& name,
                                        const std::string& bytes) {
  form.emplace(name, httplib::MultipartFormData{name, bytes, "upload", "application/octet-stream"});
  return form;
}

template <typename Parse>
void parse_ignoring_refusals(Parse parse) {
  try {
    parse();
  } catch (const rmbg::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  httplib::MultipartFormDataMap fields;
  while (!input.empty()) {
    const std::string_view line = input.substr(0, input.find('\n'));
    input.remove_prefix(std::min(line.size() + 1, input.size()));
    const size_t equals = line.find('=');
    const std::string name(line.substr(0, equals));
    const std::string value(equals == std::string_view::npos ? "" : line.substr(equals + 1));
    fields.emplace(name, httplib::MultipartFormData{name, value, "", ""});
    parse_ignoring_refusals([&] { rmbg::server::parse_int(value); });
  }
  const std::string jpeg = "\xFF\xD8\xFF", webm = "\x1A\x45\xDF\xA3";
  parse_ignoring_refusals([&] { rmbg::server::parse_remove_request(with_file(fields, "image", jpeg), "isnet-qdq"); });
  parse_ignoring_refusals([&] { rmbg::server::parse_idphoto_request(with_file(fields, "image", jpeg)); });
  parse_ignoring_refusals([&] { rmbg::server::parse_removebg_request(with_file(fields, "image_file", jpeg)); });
  parse_ignoring_refusals(
      [&] { rmbg::server::parse_video_request(with_file(fields, "video", webm), rmbg::server::ServerConfig{}); });
  return 0;
}
