#include "rmbg/remover.hpp"

#include <chrono>

namespace rmbg {
namespace {

// Exactly `width` x `height`, aspect ignored: the model sees the whole frame.
vips::VImage resize_exact(const vips::VImage& image, int width, int height) {
  vips::VImage out = image.resize(static_cast<double>(width) / image.width(),
                                  vips::VImage::option()->set(
                                      "vscale", static_cast<double>(height) / image.height()));
  if (out.width() != width || out.height() != height)  // rounding in libvips: pad or trim a pixel
    out = out.embed(0, 0, width, height, vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
  return out;
}

}  // namespace

Cutout Remover::cut(const Image& image, const RefineOptions& options, StageTimes* times) const {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const ModelInput& input = engine_.spec().input;
  vips::VImage model_view = image.rgb;
  if (image.alpha)  // transparent areas are shown to the model as white
    model_view = image.rgb.bandjoin(*image.alpha)
                     .flatten(vips::VImage::option()
                                  ->set("background", std::vector<double>(3, image.is_16bit() ? 65535.0 : 255.0))
                                  ->set("max_alpha", image.is_16bit() ? 65535.0 : 255.0))
                     .cast(image.rgb.format());
  const vips::VImage model_input = resize_exact(model_view, input.width, input.height);
  const Matte low = engine_.predict(model_input);
  const auto predicted = Clock::now();

  const RgbImage full = to_rgb(image.rgb);
  Cutout cutout;
  if (options.upsampling == Upsampling::guided) {
    const vips::VImage guide_low = low.width == input.width && low.height == input.height
                                       ? model_input
                                       : resize_exact(model_view, low.width, low.height);
    cutout.alpha = upsample_guided(low, to_rgb(guide_low), full);
  } else {
    cutout.alpha = upsample_bilinear(low, image.width(), image.height());
  }
  cutout.foreground = options.estimate_foreground ? estimate_foreground(full, cutout.alpha) : full;
  if (times) {
    times->inference = std::chrono::duration<double>(predicted - started).count();
    times->refinement = std::chrono::duration<double>(Clock::now() - predicted).count();
  }
  return cutout;
}

}  // namespace rmbg
