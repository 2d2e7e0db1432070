#pragma once
// Plain float buffers for the matte and the colours refined around it.
#include <algorithm>
#include <vector>

#include <vips/vips8>

namespace rmbg {

// A rectangle of pixels.
struct Region {
  int left = 0, top = 0, width = 0, height = 0;
};

// Alpha in 0..1, one float per pixel, row-major.
struct Matte {
  int width = 0;
  int height = 0;
  std::vector<float> alpha;

  Matte() = default;
  Matte(int w, int h) : width(w), height(h), alpha(static_cast<size_t>(w) * h, 0.0f) {}
  float& at(int x, int y) { return alpha[static_cast<size_t>(y) * width + x]; }
  float at(int x, int y) const { return alpha[static_cast<size_t>(y) * width + x]; }
  // The part `r` of the matte, which must lie inside it.
  Matte crop(const Region& r) const {
    Matte out(r.width, r.height);
    for (int y = 0; y < r.height; ++y) {
      const float* row = &alpha[static_cast<size_t>(r.top + y) * width + r.left];
      std::copy(row, row + r.width, &out.at(0, y));
    }
    return out;
  }
};

// RGB in 0..1, interleaved, row-major.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<float> rgb;

  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 0.0f) {}
  float* pixel(int x, int y) { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
  const float* pixel(int x, int y) const { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
};

// libvips images into the buffers above, and a matte back: 8-bit and 16-bit images are scaled to 0..1, float
// images are taken as they are.
double unit_scale(const vips::VImage& image);  // the factor that maps its values onto 0..1
RgbImage to_rgb(const vips::VImage& image);
Matte to_matte(const vips::VImage& single_band);
vips::VImage to_vips(const Matte& matte);     // 1-band float, 0..1
vips::VImage to_vips(const RgbImage& image);  // 3-band float, 0..1

}  // namespace rmbg
