#include "removebg_request.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "base64.hpp"
#include "form_fields.hpp"
#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

Error invalid(const std::string& message) { return Error(ErrorCode::invalid_argument, message); }

// remove.bg's sizes as the most pixels each allows; "auto", "full", "4k" and "50MP" keep the photograph's own.
const std::map<std::string, long, std::less<>> kSizePixels{
    {"preview", 250'000}, {"small", 250'000}, {"regular", 250'000}, {"medium", 1'500'000}, {"hd", 4'000'000},
    {"full", 0},          {"4k", 0},          {"50MP", 0},          {"auto", 0}};

const std::vector<std::string_view> kTypes{"auto", "person", "product", "animal", "car", "transportation", "graphic", "other"};

// Fields remove.bg takes that change nothing here: rmbg has one model and draws no shadows.
const std::vector<std::string_view> kAccepted{"type_level", "semitransparency", "add_shadow", "shadow_type",
                                              "shadow_opacity"};

// The fields whose values are long: images and addresses.
const std::vector<std::string_view> kLongFields{"image_file", "image_file_b64", "image_url", "bg_image_file",
                                                "bg_image_url"};

constexpr std::size_t kMaxUrlLength = 2048;

std::vector<std::string> words(const std::string& text) {
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  std::istringstream in(spaced);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// "30px", "30" (pixels) or "10%".
Length length(std::string_view text) {
  if (text.ends_with('%')) return {parse_number(text.substr(0, text.size() - 1)) / 100, true};
  if (text.ends_with("px")) text.remove_suffix(2);
  return {parse_number(text), false};
}

// "10%" as 0.1; only percentages.
double share(const std::string& text) {
  if (!text.ends_with('%')) throw invalid("'" + text + "' is not a percentage like 50%");
  return parse_number(std::string_view(text).substr(0, text.size() - 1)) / 100;
}

// One value for every side, two for top and bottom then left and right, or four: top, right, bottom, left.
Margins margins(const std::string& text) {
  std::vector<Length> sides;
  for (const std::string& word : words(text)) sides.push_back(length(word));
  switch (sides.size()) {
    case 1: return {sides[0], sides[0], sides[0], sides[0]};
    case 2: return {sides[0], sides[1], sides[0], sides[1]};
    case 4: return {sides[0], sides[1], sides[2], sides[3]};
    default: throw invalid("give one, two or four margins, like 10px or 5% 10%");
  }
}

// "x1 y1 x2 y2", each in pixels or as a percentage of the photograph's size.
std::array<Length, 4> region(const std::string& text) {
  const std::vector<std::string> corners = words(text);
  if (corners.size() != 4) throw invalid("give the region as x1 y1 x2 y2, like 0% 0% 100% 100%");
  return {length(corners[0]), length(corners[1]), length(corners[2]), length(corners[3])};
}

// "original" (none), "center", one percentage for both axes, or two: horizontal then vertical.
std::optional<std::array<double, 2>> position(const std::string& text) {
  if (text == "original") return std::nullopt;
  if (text == "center") return std::array<double, 2>{0.5, 0.5};
  const std::vector<std::string> axes = words(text);
  if (axes.size() == 1) return std::array<double, 2>{share(axes[0]), share(axes[0])};
  if (axes.size() == 2) return std::array<double, 2>{share(axes[0]), share(axes[1])};
  throw invalid("'" + text + "' is not original, center or one or two percentages");
}

std::string field_value(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean() || value.is_number()) return value.dump();
  throw invalid("JSON fields must be strings, numbers or booleans");
}

bool is_one_of(std::string_view name, const std::vector<std::string_view>& names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

httplib::MultipartFormDataMap removebg_fields(const httplib::Request& request, httplib::MultipartFormDataMap form) {
  if (!form.empty()) return form;
  httplib::MultipartFormDataMap fields;
  if (request.get_header_value("Content-Type").starts_with("application/json")) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object()) throw invalid("the JSON body is not an object");
    for (const auto& [name, value] : body.items()) fields.emplace(name, httplib::MultipartFormData{name, field_value(value), "", ""});
    return fields;
  }
  for (const auto& [name, value] : request.params) fields.emplace(name, httplib::MultipartFormData{name, value, "", ""});
  return fields;
}

RemovebgRequest parse_removebg_request(const httplib::MultipartFormDataMap& fields) {
  RemovebgRequest request{{}, {}, {}, {}, {}, false, "other"};
  std::string format = "auto";
  std::optional<long> size_pixels = kSizePixels.at("preview");  // remove.bg's default size
  std::optional<std::array<double, 2>> place;
  std::optional<double> scale;
  std::optional<Margins> crop_margin;
  bool crop = false;
  for (const auto& [name, part] : fields) {
    check_length(name);
    if (fields.count(name) > 1) throw invalid("field '" + name + "' is given more than once");
    const std::string& value = part.content;
    try {
      check_length(value, name == "image_url" || name == "bg_image_url" ? kMaxUrlLength
                          : is_one_of(name, kLongFields)                ? value.size()
                                                                         : kMaxOptionLength);
      if (name == "image_file") {
        request.image = value;
      } else if (name == "image_file_b64") {
        request.image = unbase64(value);
      } else if (name == "image_url") {
        request.image_url = value;
      } else if (name == "bg_image_file") {
        request.backdrop = value;
      } else if (name == "bg_image_url") {
        request.backdrop_url = value;
      } else if (name == "size") {
        const auto size = kSizePixels.find(value);
        if (size == kSizePixels.end())
          throw invalid("'" + value + "' is not a size (auto, preview, small, regular, medium, hd, full, 4k, 50MP)");
        size_pixels = size->second ? std::optional<long>(size->second) : std::nullopt;
      } else if (name == "type") {
        if (!is_one_of(value, kTypes))
          throw invalid("'" + value + "' is not a type (auto, person, product, animal, car, transportation, graphic, other)");
        request.type = value == "auto" ? "other" : value;
      } else if (name == "format") {
        if (value != "auto" && value != "png" && value != "jpg" && value != "webp" && value != "zip")
          throw invalid("'" + value + "' is not a format (auto, png, jpg, webp, zip)");
        format = value;
      } else if (name == "channels") {
        if (value != "rgba" && value != "alpha") throw invalid("'" + value + "' is neither rgba nor alpha");
        request.output.kind = value == "alpha" ? OutputKind::mask : OutputKind::foreground;
      } else if (name == "bg_color") {
        if (!value.empty()) request.output.background = parse_colour(value);
      } else if (name == "crop") {
        crop = parse_boolean(value);
      } else if (name == "crop_margin") {
        crop_margin = margins(value);
      } else if (name == "scale") {
        if (value != "original") scale = share(value);
      } else if (name == "position") {
        place = position(value);
      } else if (name == "roi") {
        request.output.region = region(value);
      } else if (!is_one_of(name, kAccepted)) {
        throw invalid("unknown field (see https://www.remove.bg/api for remove.bg's fields)");
      }
    } catch (const Error& e) {
      throw invalid("field '" + name + "': " + e.what());
    }
  }
  const int sources = !request.image.empty() + !request.image_url.empty();
  if (sources == 0) throw invalid("no image: send image_file, image_file_b64 or image_url");
  if (sources > 1) throw invalid("send one of image_file, image_file_b64 and image_url, not several");
  if (!request.backdrop.empty() + !request.backdrop_url.empty() + request.output.background.has_value() > 1)
    throw invalid("send one of bg_color, bg_image_file and bg_image_url, not several");
  OutputSpec& out = request.output;
  out.max_pixels = size_pixels;
  if (crop) out.crop = crop_margin.value_or(Margins::pixels(0));
  if (scale || place) out.placement = SubjectPlacement{scale, place ? (*place)[0] : 0.5, place ? (*place)[1] : 0.5};
  request.zip = format == "zip";
  const bool opaque = out.background || !request.backdrop.empty() || !request.backdrop_url.empty();
  if (format == "jpg" || (format == "auto" && opaque)) out.format = OutputFormat::jpeg;
  if (format == "webp") out.format = OutputFormat::webp;
  validate(out);
  return request;
}

}  // namespace rmbg::server
