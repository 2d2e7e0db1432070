// POST /api/idphoto: a portrait in, an ID photo (and a print sheet) out; GET /api/idphoto/sizes:
// the sizes, sheets and backgrounds it knows.
#include <nlohmann/json.hpp>
#include <optional>

#include "base64.hpp"
#include "form_fields.hpp"
#include "idphoto_request.hpp"
#include "rmbg/idphoto.hpp"
#include "rmbg/print_sheet.hpp"
#include "routes.hpp"

using nlohmann::json;

namespace rmbg::server {
namespace {

json range_json(const std::optional<Range>& range) {
  return range ? json{{"min", range->min}, {"max", range->max}} : json(nullptr);
}

// The size table with pixels at `dpi`.
json idphoto_sizes(int dpi) {
  json sizes = json::array();
  for (const PhotoStandard& s : photo_standards()) {
    const PixelSize px = pixel_size(s, dpi);
    sizes.push_back({{"name", s.name},
                     {"title", s.title},
                     {"width_mm", s.width_mm},
                     {"height_mm", s.height_mm},
                     {"width_px", px.width},
                     {"height_px", px.height},
                     {"head_height_mm", range_json(s.head_height_mm)},
                     {"top_margin_mm", range_json(s.top_margin_mm)},
                     {"eye_line_mm", range_json(s.eye_line_mm)},
                     {"source", s.source}});
  }
  json sheets = json::array();
  for (const SheetSize& sheet : sheet_sizes())
    sheets.push_back({{"name", sheet.name}, {"title", sheet.title}, {"width_mm", sheet.short_mm},
                      {"height_mm", sheet.long_mm}});
  return {{"dpi", dpi},
          {"sizes", sizes},
          {"sheets", sheets},
          {"backgrounds", {{"white", "#ffffff"}, {"blue", "#438edb"}, {"red", "#ff0000"}}}};
}

// A client that asks for JSON gets the photo, the sheet and the measurements in one answer.
bool wants_json(const httplib::Request& request) {
  return request.get_header_value("Accept").find("application/json") != std::string::npos;
}

void make_id_photo(Service& service, const httplib::Request& http_request, httplib::Response& response) {
  FaceDetector& faces = service.face_detector();  // said before the upload is parsed
  const httplib::MultipartFormDataMap form = Service::form_of(http_request);  // the request points into it
  const IdPhotoRequest request = parse_idphoto_request(form);
  IdPhoto photo;
  service.run_inference([&] {
    photo = IdPhotoMaker(service.engine(), faces)
                .make(decode_image(request.image, service.config().limits), request.options,
                      {service.config().preset, true, std::nullopt});
  });
  const EncodedPhoto encoded = encode_photo(photo.image, request.format, request.max_bytes);
  std::optional<SheetLayout> layout;
  std::string sheet;
  if (request.sheet) {
    layout = plan_sheet(*request.sheet, photo.image.width(), photo.image.height(), request.options.dpi);
    sheet = encode_photo(render_sheet(photo.image, *layout), request.format).bytes;
  }
  const std::string type(media_type(request.format));
  if (!wants_json(http_request)) {
    response.body = request.sheet ? std::move(sheet) : encoded.bytes;
    response.set_header("Content-Type", type);
    return;
  }
  const HeadPlacement& p = photo.placement;
  json body{{"size", {{"name", request.options.standard.name},
                      {"title", request.options.standard.title},
                      {"dpi", request.options.dpi}}},
            {"photo", {{"media_type", type},
                       {"width", photo.image.width()},
                       {"height", photo.image.height()},
                       {"bytes", encoded.bytes.size()},
                       {"quality", encoded.quality == 0 ? json(nullptr) : json(encoded.quality)},
                       {"base64", base64(encoded.bytes)}}},
            {"placement", {{"head_height_mm", p.head_height_mm},
                           {"top_margin_mm", p.top_margin_mm},
                           {"eye_line_mm", p.eye_line_mm},
                           {"roll_degrees", p.roll_degrees},
                           {"enlargement", p.enlargement},
                           {"continued_mm", p.continued_mm}}},
            {"sheet", nullptr}};
  if (layout)
    body["sheet"] = {{"name", request.sheet->name},
                     {"title", request.sheet->title},
                     {"copies", layout->photos.size()},
                     {"media_type", type},
                     {"width", layout->width},
                     {"height", layout->height},
                     {"bytes", sheet.size()},
                     {"base64", base64(sheet)}};
  response.set_content(body.dump(), "application/json");
}

}  // namespace

void add_idphoto_routes(Service& service) {
  service.route("POST", "/api/idphoto", [&service](const auto& request, auto& response) {
    make_id_photo(service, request, response);
  }, Service::Work::inference);
  service.route("GET", "/api/idphoto/sizes", [](const auto& request, auto& response) {
    const int dpi = request.has_param("dpi") ? parse_int(request.get_param_value("dpi")) : kDefaultDpi;
    if (dpi < kMinDpi || dpi > kMaxDpi)
      throw Error(ErrorCode::invalid_argument,
                  "dpi must be between " + std::to_string(kMinDpi) + " and " + std::to_string(kMaxDpi));
    response.set_content(idphoto_sizes(dpi).dump(), "application/json");
  });
}

}  // namespace rmbg::server
