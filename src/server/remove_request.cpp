#include "remove_request.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

constexpr std::array kFields{"image", "format", "type", "bg", "depth", "crop", "quality", "preset", "model"};

Error invalid(const std::string& message) { return Error(ErrorCode::invalid_argument, message); }

int parse_int(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw invalid("'" + text + "' is not a whole number");
  return value;
}

// One option field into `request`; throws Error(invalid_argument) saying what is wrong with `value`.
void apply_option(RemoveRequest& request, const std::string& name, const std::string& value,
                  const std::string& model_name) {
  OutputSpec& spec = request.output;
  if (name == "preset") {
    request.preset = parse_preset(value);
  } else if (name == "format") {
    spec.format = parse_format(value);
  } else if (name == "type") {
    if (value != "foreground" && value != "mask")
      throw invalid("'" + value + "' is neither foreground nor mask");
    spec.kind = value == "mask" ? OutputKind::mask : OutputKind::foreground;
  } else if (name == "bg") {
    spec.background = parse_colour(value);
  } else if (name == "depth") {
    spec.depth = parse_int(value);
  } else if (name == "crop") {
    spec.crop_margin = value.empty() ? 0 : parse_int(value);
  } else if (name == "quality") {
    spec.quality = parse_int(value);
  } else if (name == "model" && value != model_name) {
    throw invalid("this server runs the model '" + model_name + "', not '" + value +
                  "' (start it with --model " + value + " to use that one)");
  }
}

}  // namespace

RemoveRequest parse_remove_request(const httplib::MultipartFormDataMap& form,
                                   const std::string& model_name) {
  for (const auto& [name, part] : form) {
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end())
      throw invalid("unknown field '" + name +
                    "' (the fields are image, format, type, bg, depth, crop, quality, preset and model)");
    if (form.count(name) > 1) throw invalid("field '" + name + "' is given more than once");
  }
  const auto image = form.find("image");
  if (image == form.end())
    throw invalid("no image: send the photograph as the multipart/form-data field 'image'");
  if (image->second.content.empty()) throw invalid("field 'image': the file is empty");

  RemoveRequest request{image->second.content, {}, std::nullopt};
  for (const auto& [name, part] : form) {
    if (name == "image" || (part.content.empty() && name != "crop")) continue;
    try {
      apply_option(request, name, part.content, model_name);
    } catch (const Error& e) {
      throw invalid("field '" + name + "': " + e.what());
    }
  }
  validate(request.output);
  return request;
}

}  // namespace rmbg::server
