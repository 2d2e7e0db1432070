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
// best's second view of the whole photograph runs when more than this share of the first view's
// alpha lies between the snapping limits (uncertain_share). Chosen with `rmbg eval`: any value
// from 0.05 to 0.15 gave about the same figures; a second view on every photograph lost on the
// binary-mask sets.
constexpr double kUnsureShare = 0.10;

}  // namespace

Preset parse_preset(std::string_view name) {
  check_length(name);
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

// One look of the model at `view`: its alpha at model resolution (the view's part of the
// model's output), and the view as the model saw it, at the size of that alpha.
struct Remover::Pass {
  Matte low;
  vips::VImage guide;
};

Remover::Pass Remover::look(const vips::VImage& view, Framing framing, const CutOptions& options,
                            StageTimes& times) const {
  using Clock = std::chrono::steady_clock;
  const ModelInput& input = engine_.spec().input;
  // raw is the plain pipeline of other tools, at the full input size. A letterboxed view is shown
  // at the full size too: at the photograph's own size, less of the square would hold it
  // (measured: docs/ACCURACY.md).
  const bool full_size = options.preset == Preset::raw || framing == Framing::letterbox;
  const auto [width, height] = full_size ? std::pair{input.width, input.height}
                                         : input.size_for(view.width(), view.height());
  // Where the view lands in the model's input, and in its output when that has another size.
  const auto placement = [&](int w, int h) {
    return framing == Framing::letterbox ? letterbox_region(view.width(), view.height(), w, h)
                                         : Region{0, 0, w, h};
  };
  const auto started = Clock::now();
  const Region content = placement(width, height);
  // Held in memory: the model's input and the guide of the refinement both read it, and
  // libvips would otherwise resize the full-resolution view once for each.
  const vips::VImage shown = resize_exact(view, content.width, content.height).copy_memory();
  const double grey = 0.5 / unit_scale(view);  // mid-grey in the view's own range
  const vips::VImage model_input =
      framing == Framing::letterbox
          ? shown.embed(content.left, content.top, width, height,
                        vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", std::vector<double>(3, grey)))
          : shown;
  Matte output = engine_.predict(model_input);
  times.inference += std::chrono::duration<double>(Clock::now() - started).count();

  const Region part = output.width == width && output.height == height ? content
                                                                        : placement(output.width, output.height);
  const bool same = part.width == content.width && part.height == content.height;
  return {framing == Framing::letterbox ? output.crop(part) : std::move(output),
          same ? shown : resize_exact(view, part.width, part.height)};
}

Cutout::Look Remover::refine(const Pass& pass, const Region& region, const CutOptions& options,
                             StageTimes& times) const {
  const auto started = std::chrono::steady_clock::now();
  AlphaField alpha = options.preset >= Preset::balanced
                         ? AlphaField::guided(pass.low, to_rgb(pass.guide), region.width, region.height)
                         : AlphaField::stretched(pass.low, region.width, region.height);
  times.refinement += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {region, std::move(alpha)};
}

Cutout Remover::cut(const Image& image, const CutOptions& options, StageTimes* times) const {
  using Clock = std::chrono::steady_clock;
  StageTimes spent;
  const vips::VImage view = model_view(image);
  const Region frame{0, 0, image.width(), image.height()};
  Pass whole = look(view, Framing::squash, options, spent);
  if (options.preset == Preset::best && uncertain_share(whole.low.alpha) > kUnsureShare) {
    // Squashed to the model's square, a subject is sometimes missed in part or taken for another
    // object; shown with its aspect kept, the model often decides those pixels clearly. Per pixel,
    // the surer of the two views is kept.
    const Pass aspect_kept = look(view, Framing::letterbox, options, spent);
    const Matte second = to_matte(resize_exact(to_vips(aspect_kept.low), whole.low.width, whole.low.height));
    whole.low = surer_per_pixel(whole.low, second);
  }
  std::vector<Cutout::Look> looks{refine(whole, frame, options, spent)};
  if (options.preset == Preset::best)
    if (const auto r = subject_region(whole.low, image.width(), image.height())) {
      const vips::VImage subject = view.extract_area(r->left, r->top, r->width, r->height);
      looks.push_back(refine(look(subject, Framing::squash, options, spent), *r, options, spent));
    }

  const auto refining = Clock::now();
  Cutout cutout(image, std::move(looks), options.preset != Preset::raw);
  if (options.estimate_foreground && options.preset >= Preset::balanced) cutout.estimate_foreground();
  spent.refinement += std::chrono::duration<double>(Clock::now() - refining).count();
  if (times) *times = spent;
  return cutout;
}

}  // namespace rmbg
