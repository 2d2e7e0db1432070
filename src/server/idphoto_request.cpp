#include "idphoto_request.hpp"

#include "form_fields.hpp"
#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

std::string field(const httplib::MultipartFormDataMap& form, const std::string& name) {
  const auto part = form.find(name);
  return part == form.end() ? "" : part->second.content;
}

}  // namespace

IdPhotoRequest parse_idphoto_request(const httplib::MultipartFormDataMap& form) {
  IdPhotoRequest request;
  request.image = form_image(form, {"image", "size", "bg", "gradient", "dpi", "format", "kb", "layout"});
  // The DPI first: a size in pixels is converted to millimetres at it.
  const auto read = [&](const std::string& name, const auto& apply) {
    const std::string value = field(form, name);
    if (value.empty()) return;
    try {
      apply(value);
    } catch (const Error& e) {
      throw Error(ErrorCode::invalid_argument, "field '" + name + "': " + e.what());
    }
  };
  read("dpi", [&](const std::string& v) { request.options.dpi = parse_int(v); });
  const std::string size = field(form, "size");
  if (size.empty())
    throw Error(ErrorCode::invalid_argument,
                "no size: send the field 'size' (GET /api/idphoto/sizes lists them), or WxHmm, or WxHpx");
  read("size", [&](const std::string& v) { request.options.standard = find_photo_standard(v, request.options.dpi); });
  read("bg", [&](const std::string& v) { request.options.background = parse_colour(v); });
  read("gradient", [&](const std::string& v) { request.options.gradient_to = parse_colour(v); });
  read("format", [&](const std::string& v) {
    request.format = parse_format(v);
    if (request.format == OutputFormat::webp) throw Error(ErrorCode::invalid_argument, "an ID photo is a JPEG or a PNG");
  });
  read("kb", [&](const std::string& v) {
    const int kb = parse_int(v);
    if (kb < 1) throw Error(ErrorCode::invalid_argument, "the file size must be at least 1 KB");
    request.max_bytes = static_cast<std::size_t>(kb) * 1024;
  });
  read("layout", [&](const std::string& v) { request.sheet = &find_sheet_size(v); });
  if (request.max_bytes && request.format != OutputFormat::jpeg)
    throw Error(ErrorCode::invalid_argument, "field 'kb': a file size target needs JPEG: PNG has no quality to lower");
  validate(request.options);
  return request;
}

}  // namespace rmbg::server
