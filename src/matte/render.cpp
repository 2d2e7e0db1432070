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
Box subject_box(const Cutout& cutout, int margin) {
  constexpr double kVisible = 0.05;
  vips::VImage row_counts;
  const vips::VImage column_counts = (cutout.alpha() > kVisible).project(&row_counts);
  // The first and last non-zero entries of a line of counts, or none.
  const auto extent = [](const vips::VImage& counts) -> std::pair<int, int> {
    const vips::VImage line = counts.cast(VIPS_FORMAT_DOUBLE);
    size_t size = 0;
    auto* data = static_cast<double*>(line.write_to_memory(&size));
    const int n = static_cast<int>(size / sizeof(double));
    int first = 0, last = n - 1;
    while (first < n && data[first] == 0) ++first;
    while (last >= first && data[last] == 0) --last;
    g_free(data);
    return {first, last};
  };
  const auto [left, right] = extent(column_counts);
  const auto [top, bottom] = extent(row_counts);
  const int w = cutout.width(), h = cutout.height();
  if (right < left) return {0, 0, w, h};  // nothing found: keep everything
  const int x0 = std::max(0, left - margin), y0 = std::max(0, top - margin);
  const int x1 = std::min(w - 1, right + margin), y1 = std::min(h - 1, bottom + margin);
  return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

}  // namespace

Colour parse_colour(std::string_view text) {
  check_length(text);
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
  check_length(name);
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
  if (source.width() != cutout.width() || source.height() != cutout.height())
    throw Error(ErrorCode::invalid_argument, "the cut-out was made from another image");
  vips::VImage out = cutout.composed(spec);
  if (spec.crop_margin) {
    const Box box = subject_box(cutout, *spec.crop_margin);
    out = out.extract_area(box.left, box.top, box.width, box.height);
  }
  const bool grey = out.bands() == 1;
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
      // Each row as the difference from the row above, then zlib's fastest level: at 1920x1080
      // this took 0.6x the time of libvips' default (no filter, level 6) and wrote 0.67x the bytes
      // (2.8 MB instead of 4.1 MB); levels above 2 cost far more time for a few percent.
      image.write_to_buffer(".png", &buffer, &size,
                            options->set("compression", 1)->set("filter", VIPS_FOREIGN_PNG_FILTER_UP));
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
