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

struct OutputSpec {
  OutputKind kind = OutputKind::foreground;
  OutputFormat format = OutputFormat::png;
  int depth = 8;                          // 8 or 16 (PNG only)
  std::optional<Colour> background;       // fill instead of transparency
  std::optional<int> crop_margin;         // crop to the subject with this many pixels around it
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
// photograph `cutout` was made from. Its pixels are computed as the image is encoded.
vips::VImage render(const Image& source, const Cutout& cutout, const OutputSpec& spec);
std::string encode(const vips::VImage& image, const OutputSpec& spec);

}  // namespace rmbg
