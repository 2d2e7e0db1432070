#pragma once
// Turning a cut-out into the file the user asked for.
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmbg/image.hpp"
#include "rmbg/matte.hpp"
#include "rmbg/refine.hpp"

namespace rmbg {

enum class OutputKind { foreground, mask };
enum class OutputFormat { png, webp, jpeg };

struct Colour {
  std::array<float, 3> rgb;  // 0..1
};

// A length in pixels, or a share of another length (the subject's or the image's size).
struct Length {
  double value = 0;
  bool relative = false;  // value is a share: 0.1 for 10%
  int pixels(int whole) const;
};

struct Margins {
  Length top, right, bottom, left;  // relative ones are shares of the subject's height or width
  static Margins pixels(int px);    // the same number of pixels on every side
};

// Where the subject goes on the output's canvas (the photograph, or the crop when cropped).
struct SubjectPlacement {
  std::optional<double> scale;  // the subject fitted into this share of the canvas; none: its own size
  double x = 0.5, y = 0.5;      // 0: at the left or top edge, 1: at the right or bottom edge
};

struct OutputSpec {
  OutputKind kind = OutputKind::foreground;
  OutputFormat format = OutputFormat::png;
  int depth = 8;                          // 8 or 16 (PNG only)
  std::optional<Colour> background;       // fill instead of transparency
  std::optional<vips::VImage> backdrop;   // a picture to put the cut-out on, scaled to cover it
  // Only the subject inside this part of the photograph (relative lengths: shares of its size) is kept.
  std::optional<std::array<Length, 4>> region;  // left, top, right, bottom edges
  std::optional<Margins> crop;            // crop to the subject with these margins around it
  std::optional<SubjectPlacement> placement;     // move or scale the subject on its canvas
  std::optional<long> max_pixels;         // scale the output down to at most this many pixels
  int quality = 90;                       // JPEG / lossy WebP
};

// What the pipeline learnt about one photograph. Its alpha and the subject's colours at full
// resolution are never stored: libvips computes them a region at a time from the photograph and
// from what is kept at model resolution, whenever pixels of the images below are asked for. So a
// photograph's size changes the time a cut-out takes, not the memory.
class Cutout {
 public:
  // One look of the model: the first covers the whole photograph, a later one (a closer look at
  // the subject) covers `region`, where the looks' alphas are averaged.
  struct Look {
    Region region;
    AlphaField alpha;
  };
  // `snap`: snap_certain() the alpha with these limits. The cut-out keeps `source` for its pixels.
  Cutout(const Image& source, std::vector<Look> looks, std::optional<SnapLimits> snap);

  // From now on the subject's colours are estimated (ForegroundEstimator); its wide pass reads
  // the whole photograph once, here.
  void estimate_foreground();

  int width() const;
  int height() const;
  vips::VImage alpha() const;       // 1 band, float 0..1
  vips::VImage foreground() const;  // 3 bands, float 0..1: the subject's own colour
  // The mask, the transparent cut-out or the cut-out on a colour, as `spec` says, 8 or 16 bits,
  // uncropped and without metadata: render() is what callers want.
  vips::VImage composed(const OutputSpec& spec) const;

  struct Parts;  // defined beside the code that computes the pixels

 private:
  std::shared_ptr<const Parts> parts_;
};

// "#ffffff", "ffffff", "#fff" or a name: white, black, blue, red, green, grey. Throws
// invalid_argument for anything else.
Colour parse_colour(std::string_view text);
OutputFormat parse_format(std::string_view name);
std::string_view extension(OutputFormat format);   // ".png"
std::string_view media_type(OutputFormat format);  // "image/png"
// Throws invalid_argument for combinations no file can hold (16-bit JPEG, ...).
void validate(const OutputSpec& spec);

// The output image, with the source's EXIF, ICC profile and XMP attached; `source` is the
// photograph `cutout` was made from. Its pixels are computed as the image is encoded. When
// `subject` is given, it is set to where the subject lies in the output.
vips::VImage render(const Image& source, const Cutout& cutout, const OutputSpec& spec, Region* subject = nullptr);
std::string encode(const vips::VImage& image, const OutputSpec& spec);

}  // namespace rmbg
