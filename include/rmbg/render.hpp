#pragma once
// Turning a cut-out into the file the user asked for.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "rmbg/image.hpp"
#include "rmbg/matte.hpp"

namespace rmbg {

// What the pipeline learnt about one photograph, at its full resolution.
struct Cutout {
  Matte alpha;
  RgbImage foreground;  // the subject's own colour, for compositing without fringes
};

enum class OutputKind { foreground, mask };
enum class OutputFormat { png, webp, jpeg };

struct Colour {
  std::array<float, 3> rgb;  // 0..1
};

struct OutputSpec {
  OutputKind kind = OutputKind::foreground;
  OutputFormat format = OutputFormat::png;
  int depth = 8;                          // 8 or 16 (PNG only)
  std::optional<Colour> background;       // fill instead of transparency
  std::optional<int> crop_margin;         // crop to the subject with this many pixels around it
  int quality = 90;                       // JPEG / lossy WebP
};

// "#ffffff", "ffffff", "#fff" or a name: white, black, blue, red, green, grey. Throws
// invalid_argument for anything else.
Colour parse_colour(std::string_view text);
OutputFormat parse_format(std::string_view name);
std::string_view extension(OutputFormat format);   // ".png"
std::string_view media_type(OutputFormat format);  // "image/png"
// Throws invalid_argument for combinations no file can hold (16-bit JPEG, ...).
void validate(const OutputSpec& spec);

// The output image, with the source's EXIF, ICC profile and XMP attached.
vips::VImage render(const Image& source, const Cutout& cutout, const OutputSpec& spec);
std::string encode(const vips::VImage& image, const OutputSpec& spec);

}  // namespace rmbg
