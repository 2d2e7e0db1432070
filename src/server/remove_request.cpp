#include "remove_request.hpp"

#include "form_fields.hpp"
#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

Error invalid(const std::string& message) { return Error(ErrorCode::invalid_argument, message); }

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
    spec.crop = Margins::pixels(value.empty() ? 0 : parse_int(value));
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
  RemoveRequest request{
      form_image(form, {"image", "format", "type", "bg", "depth", "crop", "quality", "preset", "model"}), {},
      std::nullopt};
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
