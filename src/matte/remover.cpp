#include "rmbg/remover.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <string>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

constexpr std::array kPresetNames{"raw", "fast", "balanced", "best"};

// Exactly `width` x `height`, aspect ignored: the model sees the whole frame.
vips::VImage resize_exact(const vips::VImage& image, int width, int height) {
  vips::VImage out = image.resize(static_cast<double>(width) / image.width(),
                                  vips::VImage::option()->set(
                                      "vscale", static_cast<double>(height) / image.height()));
  if (out.width() != width || out.height() != height)  // rounding in libvips: pad or trim a pixel
    out = out.embed(0, 0, width, height, vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
  return out;
}

// What the model is shown: transparent areas of the photograph are shown as white.
vips::VImage model_view(const Image& image) {
  if (!image.alpha) return image.rgb;
  const double white = image.is_16bit() ? 65535.0 : 255.0;
  return image.rgb.bandjoin(*image.alpha)
      .flatten(vips::VImage::option()->set("background", std::vector<double>(3, white))->set("max_alpha", white))
      .cast(image.rgb.format());
}

// The margin and the size limit were chosen with `rmbg eval`: a closer look at subjects that
// fill most of the frame changed little and cost a second inference.
constexpr double kRegionMargin = 0.10;        // of the subject's size, on each side
constexpr double kRegionMaxCoverage = 0.5;    // of the frame's area
constexpr float kSubjectThreshold = 0.5f;

}  // namespace

Preset parse_preset(std::string_view name) {
  for (size_t i = 0; i < kPresetNames.size(); ++i)
    if (name == kPresetNames[i]) return static_cast<Preset>(i);
  throw Error(ErrorCode::invalid_argument,
              "'" + std::string(name) + "' is not a preset (raw, fast, balanced or best)");
}

std::string_view preset_name(Preset preset) { return kPresetNames[static_cast<size_t>(preset)]; }

std::optional<Region> subject_region(const Matte& low, int width, int height) {
  int x0 = low.width, y0 = low.height, x1 = -1, y1 = -1;
  for (int y = 0; y < low.height; ++y)
    for (int x = 0; x < low.width; ++x)
      if (low.at(x, y) > kSubjectThreshold) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
  if (x1 < 0) return std::nullopt;  // no subject: nothing to look at closer
  const double sx = static_cast<double>(width) / low.width, sy = static_cast<double>(height) / low.height;
  const double box_w = (x1 + 1 - x0) * sx, box_h = (y1 + 1 - y0) * sy;
  const double centre_x = (x0 * sx + (x1 + 1) * sx) / 2, centre_y = (y0 * sy + (y1 + 1) * sy) / 2;
  const double side = std::max(box_w, box_h) * (1 + 2 * kRegionMargin);
  const double w = std::min(side, static_cast<double>(width)), h = std::min(side, static_cast<double>(height));
  if (w * h >= kRegionMaxCoverage * width * height) return std::nullopt;
  Region r;
  r.width = std::max(1, static_cast<int>(std::lround(w)));
  r.height = std::max(1, static_cast<int>(std::lround(h)));
  r.left = std::clamp(static_cast<int>(std::lround(centre_x - w / 2)), 0, width - r.width);
  r.top = std::clamp(static_cast<int>(std::lround(centre_y - h / 2)), 0, height - r.height);
  return r;
}

Region letterbox_region(int width, int height, int model_width, int model_height) {
  const double scale = std::min(static_cast<double>(model_width) / width, static_cast<double>(model_height) / height);
  Region r;
  r.width = std::clamp(static_cast<int>(std::lround(width * scale)), 1, model_width);
  r.height = std::clamp(static_cast<int>(std::lround(height * scale)), 1, model_height);
  r.left = (model_width - r.width) / 2;
  r.top = (model_height - r.height) / 2;
  return r;
}

// One look of the model at `view`, the part `region` of the photograph: its alpha at model
// resolution, and at the region's resolution.
struct Remover::Pass {
  Matte low;
  Cutout::Look look;
};

Remover::Pass Remover::look(const vips::VImage& view, const Region& region, bool guided,
                            StageTimes& times) const {
  using Clock = std::chrono::steady_clock;
  const ModelInput& input = engine_.spec().input;
  const auto started = Clock::now();
  const vips::VImage model_input = resize_exact(view, input.width, input.height);
  Matte low = engine_.predict(model_input);
  const auto predicted = Clock::now();
  times.inference += std::chrono::duration<double>(predicted - started).count();
  // The photograph as the model saw it, at the size of its output.
  const auto guide_low = [&] {
    const bool same = low.width == input.width && low.height == input.height;
    return same ? model_input : resize_exact(view, low.width, low.height);
  };
  AlphaField alpha = guided ? AlphaField::guided(low, to_rgb(guide_low()), region.width, region.height)
                            : AlphaField::stretched(low, region.width, region.height);
  times.refinement += std::chrono::duration<double>(Clock::now() - predicted).count();
  return {std::move(low), {region, std::move(alpha)}};
}

Remover::Pass Remover::look_letterboxed(const vips::VImage& view, bool guided, StageTimes& times) const {
  using Clock = std::chrono::steady_clock;
  const ModelInput& input = engine_.spec().input;
  const auto started = Clock::now();
  const Region content = letterbox_region(view.width(), view.height(), input.width, input.height);
  const vips::VImage shrunk = resize_exact(view, content.width, content.height);
  const double grey = 0.5 / unit_scale(view);  // mid-grey in the view's own range
  const vips::VImage model_input =
      shrunk.embed(content.left, content.top, input.width, input.height,
                   vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", std::vector<double>(3, grey)));
  const Matte padded = engine_.predict(model_input);
  const auto predicted = Clock::now();
  times.inference += std::chrono::duration<double>(predicted - started).count();
  // The photograph's part of the output, whose size may differ from the input's.
  const Region part = padded.width == input.width && padded.height == input.height
                          ? content
                          : letterbox_region(view.width(), view.height(), padded.width, padded.height);
  Matte low(part.width, part.height);
  for (int y = 0; y < part.height; ++y)
    for (int x = 0; x < part.width; ++x) low.at(x, y) = padded.at(x + part.left, y + part.top);
  const Region whole{0, 0, view.width(), view.height()};
  AlphaField alpha = guided ? AlphaField::guided(low, to_rgb(part.width == content.width && part.height == content.height
                                                                 ? shrunk
                                                                 : resize_exact(view, part.width, part.height)),
                                                 whole.width, whole.height)
                            : AlphaField::stretched(low, whole.width, whole.height);
  times.refinement += std::chrono::duration<double>(Clock::now() - predicted).count();
  return {std::move(low), {whole, std::move(alpha)}};
}

Cutout Remover::cut(const Image& image, const CutOptions& options, StageTimes* times) const {
  using Clock = std::chrono::steady_clock;
  StageTimes spent;
  const vips::VImage view = model_view(image);
  const bool guided = options.preset >= Preset::balanced;
  Pass whole = look(view, {0, 0, image.width(), image.height()}, guided, spent);
  std::vector<Cutout::Look> looks{std::move(whole.look)};
  if (options.preset == Preset::best) {
    if (const auto r = subject_region(whole.low, image.width(), image.height())) {
      looks.push_back(look(view.extract_area(r->left, r->top, r->width, r->height), *r, guided, spent).look);
    } else {
      // Squashed to the model's square, a subject that fills the frame is sometimes missed or
      // taken for another; shown with its aspect kept it is sometimes missed instead. Of the
      // two, the alpha the model is surer of is kept.
      Pass kept = look_letterboxed(view, guided, spent);
      if (uncertain_share(kept.low.alpha) < uncertain_share(whole.low.alpha)) looks[0] = std::move(kept.look);
    }
  }

  const auto refining = Clock::now();
  Cutout cutout(image, std::move(looks), options.preset != Preset::raw);
  if (options.estimate_foreground && options.preset >= Preset::balanced) cutout.estimate_foreground();
  spent.refinement += std::chrono::duration<double>(Clock::now() - refining).count();
  if (times) *times = spent;
  return cutout;
}

}  // namespace rmbg
