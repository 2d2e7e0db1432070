#pragma once
// Decoding and encoding of images. Pixels and metadata (EXIF, ICC, XMP) live in libvips images.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <vips/vips8>

namespace rmbg {

// Starts libvips once per process; every entry point of the library calls it.
void init_vips();

struct DecodeLimits {
  // An image whose header claims more pixels than this is refused before any pixel is decoded.
  std::uint64_t max_pixels = 150'000'000;
};

// A decoded photograph, upright (EXIF orientation applied), 3-band RGB.
struct Image {
  vips::VImage rgb;                   // uchar (8-bit sources) or ushort (16-bit sources)
  std::optional<vips::VImage> alpha;  // the source's own transparency, same format as rgb
  std::string format;                 // the loader that read it: "jpeg", "png", "webp", ...

  int width() const { return rgb.width(); }
  int height() const { return rgb.height(); }
  bool is_16bit() const { return rgb.format() == VIPS_FORMAT_USHORT; }
};

// Throws Error (unsupported_format, corrupt_image, image_too_large) for bad input.
Image decode_image(std::string_view bytes, const DecodeLimits& limits = {});
Image read_image(const std::filesystem::path& path, const DecodeLimits& limits = {});

// Extensions (lower case, with the dot) that batch mode picks up in a directory.
bool has_image_extension(const std::filesystem::path& path);

}  // namespace rmbg
