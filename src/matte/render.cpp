#include "rmbg/render.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

// Metadata carried from the photograph into every output that can hold it.
constexpr const char* kCarriedFields[] = {VIPS_META_EXIF_NAME, VIPS_META_ICC_NAME,
                                          VIPS_META_XMP_NAME, VIPS_META_IPTC_NAME};

struct Box {
  int left, top, width, height;
};

// Bounding box of the visible subject, grown by `margin` and kept inside the image.
Box subject_box(const Matte& alpha, int margin) {
  constexpr float kVisible = 0.05f;
  int left = alpha.width, right = -1, top = alpha.height, bottom = -1;
  for (int y = 0; y < alpha.height; ++y)
    for (int x = 0; x < alpha.width; ++x)
      if (alpha.at(x, y) > kVisible) {
        left = std::min(left, x), right = std::max(right, x);
        top = std::min(top, y), bottom = std::max(bottom, y);
      }
  if (right < 0) return {0, 0, alpha.width, alpha.height};  // nothing found: keep everything
  left = std::max(0, left - margin), top = std::max(0, top - margin);
  right = std::min(alpha.width - 1, right + margin), bottom = std::min(alpha.height - 1, bottom + margin);
  return {left, top, right - left + 1, bottom - top + 1};
}

vips::VImage constant_like(const vips::VImage& like, const Colour& colour) {
  return (like.new_from_image(std::vector<double>{colour.rgb[0], colour.rgb[1], colour.rgb[2]}))
      .cast(VIPS_FORMAT_FLOAT);
}

}  // namespace

Colour parse_colour(std::string_view text) {
  static const std::map<std::string, Colour, std::less<>> kNamed{
      {"white", {{1, 1, 1}}},        {"black", {{0, 0, 0}}},
      {"red", {{1, 0, 0}}},          {"green", {{0, 1, 0}}},
      {"blue", {{0x43 / 255.f, 0x8e / 255.f, 0xdb / 255.f}}},  // the usual ID-photo blue
      {"grey", {{0.5f, 0.5f, 0.5f}}}, {"gray", {{0.5f, 0.5f, 0.5f}}},
  };
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (auto named = kNamed.find(lower); named != kNamed.end()) return named->second;
  std::string hex = lower.starts_with('#') ? lower.substr(1) : lower;
  const bool valid = (hex.size() == 3 || hex.size() == 6) &&
                     std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); });
  if (!valid)
    throw Error(ErrorCode::invalid_argument,
                "'" + std::string(text) + "' is not a colour (use #rrggbb, #rgb or a name: white, "
                "black, blue, red, green, grey)");
  if (hex.size() == 3) hex = {hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]};
  Colour colour{};
  for (int c = 0; c < 3; ++c) colour.rgb[c] = std::stoi(hex.substr(c * 2, 2), nullptr, 16) / 255.0f;
  return colour;
}

OutputFormat parse_format(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.starts_with('.')) lower.erase(0, 1);
  if (lower == "png") return OutputFormat::png;
  if (lower == "webp") return OutputFormat::webp;
  if (lower == "jpg" || lower == "jpeg") return OutputFormat::jpeg;
  throw Error(ErrorCode::invalid_argument,
              "unknown output format '" + std::string(name) + "' (png, webp or jpeg)");
}

std::string_view extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::png: return ".png";
    case OutputFormat::webp: return ".webp";
    case OutputFormat::jpeg: return ".jpg";
  }
  return ".png";
}

std::string_view media_type(OutputFormat format) {
  switch (format) {
    case OutputFormat::png: return "image/png";
    case OutputFormat::webp: return "image/webp";
    case OutputFormat::jpeg: return "image/jpeg";
  }
  return "image/png";
}

void validate(const OutputSpec& spec) {
  if (spec.depth != 8 && spec.depth != 16)
    throw Error(ErrorCode::invalid_argument, "depth must be 8 or 16");
  if (spec.depth == 16 && spec.format != OutputFormat::png)
    throw Error(ErrorCode::invalid_argument, "16-bit output needs PNG");
  if (spec.quality < 1 || spec.quality > 100)
    throw Error(ErrorCode::invalid_argument, "quality must be between 1 and 100");
  if (spec.crop_margin && *spec.crop_margin < 0)
    throw Error(ErrorCode::invalid_argument, "the crop margin cannot be negative");
  if (spec.kind == OutputKind::mask && spec.background)
    throw Error(ErrorCode::invalid_argument, "a mask has no background to fill");
}

vips::VImage render(const Image& source, const Cutout& cutout, const OutputSpec& spec) {
  validate(spec);
  vips::VImage alpha = to_vips(cutout.alpha);
  if (source.alpha)  // what was transparent in the photograph stays transparent
    alpha = alpha * source.alpha->cast(VIPS_FORMAT_FLOAT) / (source.is_16bit() ? 65535.0 : 255.0);

  vips::VImage out;
  if (spec.kind == OutputKind::mask) {
    out = alpha;
  } else {
    const vips::VImage colour = to_vips(cutout.foreground);
    // JPEG has no transparency: it gets white unless another colour was asked for.
    std::optional<Colour> fill = spec.background;
    if (!fill && spec.format == OutputFormat::jpeg) fill = Colour{{1, 1, 1}};
    out = fill ? colour * alpha + constant_like(colour, *fill) * (1.0 - alpha)
               : colour.bandjoin(alpha);
  }
  if (spec.crop_margin) {
    const Box box = subject_box(cutout.alpha, *spec.crop_margin);
    out = out.extract_area(box.left, box.top, box.width, box.height);
  }

  const bool sixteen = spec.depth == 16;
  out = out.linear(sixteen ? 65535.0 : 255.0, 0.5).cast(sixteen ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR);
  const bool grey = out.bands() == 1;
  out = out.copy(vips::VImage::option()->set(
      "interpretation", grey ? (sixteen ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W)
                             : (sixteen ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB)));

  for (const char* field : kCarriedFields) {
    if (grey && std::string_view(field) == VIPS_META_ICC_NAME) continue;  // an RGB profile
    if (source.rgb.get_typeof(field) == 0) continue;
    size_t length = 0;
    const void* data = source.rgb.get_blob(field, &length);
    vips_image_set_blob_copy(out.get_image(), field, data, length);
  }
  out.set(VIPS_META_ORIENTATION, 1);  // the pixels are upright now
  return out;
}

std::string encode(const vips::VImage& image, const OutputSpec& spec) {
  void* buffer = nullptr;
  size_t size = 0;
  auto options = vips::VImage::option();
  switch (spec.format) {
    case OutputFormat::png:
      image.write_to_buffer(".png", &buffer, &size, options->set("compression", 6));
      break;
    case OutputFormat::webp:
      image.write_to_buffer(".webp", &buffer, &size, options->set("Q", spec.quality));
      break;
    case OutputFormat::jpeg:
      image.write_to_buffer(".jpg", &buffer, &size, options->set("Q", spec.quality));
      break;
  }
  std::string bytes(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return bytes;
}

}  // namespace rmbg
