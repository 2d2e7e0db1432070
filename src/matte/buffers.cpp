#include <cstring>

#include "rmbg/matte.hpp"

namespace rmbg {
namespace {

std::vector<float> read_floats(const vips::VImage& image, double scale) {
  vips::VImage f = image.cast(VIPS_FORMAT_FLOAT).linear(scale, 0.0);
  size_t size = 0;
  void* data = f.write_to_memory(&size);
  std::vector<float> out(size / sizeof(float));
  std::memcpy(out.data(), data, out.size() * sizeof(float));
  g_free(data);
  return out;
}

vips::VImage float_image(const std::vector<float>& values, int width, int height, int bands) {
  vips::VImage image = vips::VImage::new_from_memory(const_cast<float*>(values.data()), values.size() * sizeof(float),
                                                      width, height, bands, VIPS_FORMAT_FLOAT);
  return image.copy_memory();  // the image outlives the buffer
}

}  // namespace

double unit_scale(const vips::VImage& image) {
  switch (image.format()) {
    case VIPS_FORMAT_USHORT: return 1.0 / 65535.0;
    case VIPS_FORMAT_FLOAT:
    case VIPS_FORMAT_DOUBLE: return 1.0;
    default: return 1.0 / 255.0;
  }
}

RgbImage to_rgb(const vips::VImage& image) {
  RgbImage out;
  out.width = image.width();
  out.height = image.height();
  out.rgb = read_floats(image, unit_scale(image));
  return out;
}

Matte to_matte(const vips::VImage& single_band) {
  Matte out;
  out.width = single_band.width();
  out.height = single_band.height();
  out.alpha = read_floats(single_band, unit_scale(single_band));
  return out;
}

vips::VImage to_vips(const Matte& matte) { return float_image(matte.alpha, matte.width, matte.height, 1); }

vips::VImage to_vips(const RgbImage& image) { return float_image(image.rgb, image.width, image.height, 3); }

}  // namespace rmbg
