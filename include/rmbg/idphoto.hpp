#pragma once
// ID photos: a portrait cut out, levelled, put on a plain background and cropped so that the head
// has the size and the place a photo standard asks for, at print resolution.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmbg/engine.hpp"
#include "rmbg/face.hpp"
#include "rmbg/image.hpp"
#include "rmbg/remover.hpp"
#include "rmbg/render.hpp"

namespace rmbg {

struct Range {
  double min = 0;
  double max = 0;
  double middle() const { return (min + max) / 2; }
  bool contains(double value) const { return value >= min && value <= max; }
};

// A photo format and where the head goes in it. Lengths in millimetres; the head is measured from
// the chin to the crown, the top of the hair.
struct PhotoStandard {
  std::string name;   // short, for the command line and the API: "us-visa"
  std::string title;  // "US passport and visa"
  double width_mm = 0;
  double height_mm = 0;
  Range head_height_mm;
  // Where the head goes up and down: the crown this far below the top edge, or (where the rule
  // says so instead) the eyes this far above the bottom edge. Exactly one of the two is set.
  std::optional<Range> top_margin_mm;
  std::optional<Range> eye_line_mm;
  std::string source;  // who sets these numbers, and where they are written
};

constexpr int kDefaultDpi = 300;
constexpr int kMinDpi = 72;
constexpr int kMaxDpi = 1200;

// The built-in standards, in the order `rmbg idphoto --list-sizes` shows them.
const std::vector<PhotoStandard>& photo_standards();

// A name from photo_standards(), or a custom size: "35x45mm", or "413x531px" (pixels at `dpi`),
// which takes the proportions of the 35x45 mm ICAO photo. Throws invalid_argument listing the names.
PhotoStandard find_photo_standard(std::string_view name, int dpi = kDefaultDpi);

struct PixelSize {
  int width = 0;
  int height = 0;
};
PixelSize pixel_size(const PhotoStandard& standard, int dpi);

struct IdPhotoOptions {
  PhotoStandard standard;
  int dpi = kDefaultDpi;
  Colour background{{1, 1, 1}};
  // Set: the background fades from `background` at the top to this colour at the bottom.
  std::optional<Colour> gradient_to;
};

// Throws invalid_argument for a DPI out of kMinDpi..kMaxDpi or a photo size out of reach.
void validate(const IdPhotoOptions& options);

// Where the head ended up, measured on the result, in millimetres.
struct HeadPlacement {
  double head_height_mm = 0;
  double top_margin_mm = 0;  // top edge to crown
  double eye_line_mm = 0;    // eyes above the bottom edge
  double roll_degrees = 0;   // the photograph was turned by this much to level the eyes
  double enlargement = 0;    // result pixels per photograph pixel: above 1 the result is soft
  double continued_mm = 0;   // how far into the result the person goes on past the photograph's edge
};

struct IdPhoto {
  vips::VImage image;  // 8-bit sRGB at the standard's size in pixels, with its DPI set
  HeadPlacement placement;
};

class IdPhotoMaker {
 public:
  IdPhotoMaker(const Engine& matting, const FaceDetector& faces) : matting_(matting), faces_(faces) {}

  // Throws no_face, several_faces, head_cut_off or body_cut_off for a photograph that cannot make an
  // ID photo.
  IdPhoto make(const Image& photo, const IdPhotoOptions& options, const CutOptions& cut_options = {}) const;

 private:
  const Engine& matting_;
  const FaceDetector& faces_;
};

struct EncodedPhoto {
  std::string bytes;
  int quality = 0;  // JPEG quality used; 0 for PNG
};

// JPEG or PNG with the DPI of `image` in its header and no other metadata. `max_bytes` (JPEG only)
// picks the highest quality up to `quality` whose file fits, and throws file_size_unreachable when
// not even the lowest does.
EncodedPhoto encode_photo(const vips::VImage& image, OutputFormat format,
                          std::optional<std::size_t> max_bytes = std::nullopt, int quality = 95);

}  // namespace rmbg
