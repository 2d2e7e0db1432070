// The cut-out's full-resolution pixels as libvips images whose regions are computed on demand.
#include <algorithm>
#include <cmath>
#include <exception>

#include "bands.hpp"
#include "rmbg/error.hpp"
#include "rmbg/render.hpp"

namespace rmbg {

struct Cutout::Parts {
  Image source;
  std::shared_ptr<const std::vector<Look>> looks;
  std::optional<SnapLimits> snap;
  std::optional<ForegroundEstimator> foreground;

  // What one generated image holds.
  enum class Layer { alpha, foreground, composed };
  struct Request {
    Layer layer;
    OutputSpec spec;  // for Layer::composed
  };
  // libvips' per-thread state for one generated image: regions on the photograph and scratch space.
  struct Sequence;
  struct Generation {
    std::shared_ptr<const Parts> parts;
    Request request;
  };

  static vips::VImage generate(std::shared_ptr<const Parts> parts, const Request& request);
  void alpha_span(int y, int x0, int count, const float* guide, float* alpha,
                  std::vector<float>& scratch) const;
  void compute(const Request& request, VipsRegion* out, Sequence& sequence) const;
};

struct Cutout::Parts::Sequence {
  VipsRegion* rgb = nullptr;
  VipsRegion* alpha = nullptr;  // the photograph's own transparency, where the output needs it
  std::vector<float> guide, matte, colour, own_alpha, scratch;

  ~Sequence() {
    if (rgb) g_object_unref(rgb);
    if (alpha) g_object_unref(alpha);
  }
};

namespace {

using Parts = Cutout::Parts;

// JPEG has no transparency: a cut-out goes on white unless another colour was asked for.
std::optional<Colour> fill_of(const OutputSpec& spec) {
  if (spec.kind == OutputKind::mask) return std::nullopt;
  if (!spec.background && spec.format == OutputFormat::jpeg) return Colour{{1, 1, 1}};
  return spec.background;
}

bool wants_colour(const Parts::Request& request) {
  return request.layer == Parts::Layer::foreground ||
         (request.layer == Parts::Layer::composed && request.spec.kind == OutputKind::foreground);
}

int bands_of(const Parts::Request& request) {
  switch (request.layer) {
    case Parts::Layer::alpha: return 1;
    case Parts::Layer::foreground: return 3;
    case Parts::Layer::composed: break;
  }
  if (request.spec.kind == OutputKind::mask) return 1;
  return fill_of(request.spec) ? 3 : 4;
}

// Rows of an 8- or 16-bit region as floats in 0..1.
void read_unit(VipsRegion* region, const VipsRect& r, int bands, float unit, float* out) {
  const size_t row = static_cast<size_t>(r.width) * bands;
  for (int y = 0; y < r.height; ++y) {
    const VipsPel* p = VIPS_REGION_ADDR(region, r.left, r.top + y);
    float* o = &out[y * row];
    if (region->im->BandFmt == VIPS_FORMAT_USHORT) {
      const auto* s = reinterpret_cast<const unsigned short*>(p);
      for (size_t i = 0; i < row; ++i) o[i] = s[i] * unit;
    } else {
      for (size_t i = 0; i < row; ++i) o[i] = p[i] * unit;
    }
  }
}

// One output pixel of a composed image: alpha, colour and the photograph's own alpha to `T`.
template <typename T>
void compose(const float* colour, float alpha, float source_alpha, const OutputSpec& spec,
             const std::optional<Colour>& fill, T* out) {
  static constexpr float scale = sizeof(T) == 1 ? 255.0f : 65535.0f;
  const auto quantise = [](float v) { return static_cast<T>(std::clamp(v * scale + 0.5f, 0.0f, scale)); };
  const float a = alpha * source_alpha;
  if (spec.kind == OutputKind::mask) {
    out[0] = quantise(a);
  } else if (fill) {
    for (int c = 0; c < 3; ++c) out[c] = quantise(colour[c] * a + fill->rgb[c] * (1.0f - a));
  } else {
    for (int c = 0; c < 3; ++c) out[c] = quantise(colour[c]);
    out[3] = quantise(a);
  }
}

void* start(VipsImage*, void* a, void*) {
  const auto& generation = *static_cast<const Parts::Generation*>(a);
  const Image& source = generation.parts->source;
  auto* sequence = new Parts::Sequence;
  sequence->rgb = vips_region_new(source.rgb.get_image());
  if (generation.request.layer == Parts::Layer::composed && source.alpha)
    sequence->alpha = vips_region_new(source.alpha->get_image());
  return sequence;
}

int stop(void* seq, void*, void*) {
  delete static_cast<Parts::Sequence*>(seq);
  return 0;
}

int generate_region(VipsRegion* out, void* seq, void* a, void*, gboolean*) {
  const auto& generation = *static_cast<const Parts::Generation*>(a);
  try {
    generation.parts->compute(generation.request, out, *static_cast<Parts::Sequence*>(seq));
    return 0;
  } catch (const vips::VError&) {
    return -1;  // the message is in libvips' error buffer already
  } catch (const std::exception& e) {
    vips_error("rmbg", "%s", e.what());
    return -1;
  }
}

}  // namespace

vips::VImage Parts::generate(std::shared_ptr<const Parts> parts, const Request& request) {
  const vips::VImage& rgb = parts->source.rgb;
  const int bands = bands_of(request);
  VipsBandFormat format = VIPS_FORMAT_FLOAT;
  VipsInterpretation interpretation = bands == 1 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  if (request.layer == Layer::composed) {
    const bool sixteen = request.spec.depth == 16;
    format = sixteen ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR;
    if (sixteen) interpretation = bands == 1 ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_RGB16;
  }
  VipsImage* out = vips_image_new();
  // Small tiles: the narrow foreground pass's margin costs little around a tile, and libvips
  // spreads the tiles over its threads. The photograph is not named as an input: its metadata
  // would come along, and render() chooses what is carried. The generation keeps it alive.
  if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_SMALLTILE, nullptr) != 0) {
    g_object_unref(out);
    throw vips::VError();
  }
  vips_image_init_fields(out, rgb.width(), rgb.height(), bands, format, VIPS_CODING_NONE, interpretation,
                         rgb.xres(), rgb.yres());
  auto* generation = new Generation{std::move(parts), request};
  g_object_set_data_full(G_OBJECT(out), "rmbg-generation", generation,
                         [](gpointer p) { delete static_cast<Generation*>(p); });
  if (vips_image_generate(out, start, generate_region, stop, generation, nullptr) != 0) {
    g_object_unref(out);
    throw vips::VError();
  }
  return vips::VImage(out);
}

void Parts::alpha_span(int y, int x0, int count, const float* guide, float* alpha,
                       std::vector<float>& scratch) const {
  (*looks)[0].alpha.span(y, x0, count, guide, alpha);
  for (size_t l = 1; l < looks->size(); ++l) {
    const Region& r = (*looks)[l].region;
    const int from = std::max(x0, r.left), to = std::min(x0 + count, r.left + r.width);
    if (y < r.top || y >= r.top + r.height || from >= to) continue;
    scratch.resize(to - from);
    (*looks)[l].alpha.span(y - r.top, from - r.left, to - from, guide + (from - x0) * 3, scratch.data());
    // Both looks count inside the region: their mean is steadier than either alone.
    for (int x = from; x < to; ++x) alpha[x - x0] = 0.5f * (alpha[x - x0] + scratch[x - from]);
  }
  if (snap) snap_certain({alpha, static_cast<size_t>(count)}, *snap);
}

void Parts::compute(const Request& request, VipsRegion* out, Sequence& sequence) const {
  const VipsRect& r = out->valid;
  const Region inner{r.left, r.top, r.width, r.height};
  const bool estimate = foreground && wants_colour(request);
  const int margin = estimate ? ForegroundEstimator::kMargin : 0;
  const int left = std::max(0, inner.left - margin), top = std::max(0, inner.top - margin);
  const int right = std::min(source.width(), inner.left + inner.width + margin);
  const int bottom = std::min(source.height(), inner.top + inner.height + margin);
  const Region outer{left, top, right - left, bottom - top};
  const VipsRect outer_rect{outer.left, outer.top, outer.width, outer.height};

  // The photograph and the alpha over `outer`, the colour over `inner`.
  if (vips_region_prepare(sequence.rgb, &outer_rect) != 0) throw vips::VError();
  const size_t ow = outer.width, iw = inner.width;
  sequence.guide.resize(ow * outer.height * 3);
  read_unit(sequence.rgb, outer_rect, 3, static_cast<float>(unit_scale(source.rgb)), sequence.guide.data());
  sequence.matte.resize(ow * outer.height);
  for (int y = 0; y < outer.height; ++y)
    alpha_span(outer.top + y, outer.left, outer.width, &sequence.guide[y * ow * 3], &sequence.matte[y * ow],
               sequence.scratch);
  const size_t dx = inner.left - outer.left, dy = inner.top - outer.top;
  const float* colour = &sequence.guide[(dy * ow + dx) * 3];  // the photograph's own colours
  size_t colour_row = ow * 3;
  if (estimate) {
    sequence.colour.resize(iw * inner.height * 3);
    foreground->estimate(outer, sequence.guide.data(), sequence.matte.data(), inner, sequence.colour.data());
    colour = sequence.colour.data();
    colour_row = iw * 3;
  }
  if (sequence.alpha) {
    if (vips_region_prepare(sequence.alpha, &r) != 0) throw vips::VError();
    sequence.own_alpha.resize(iw * inner.height);
    read_unit(sequence.alpha, r, 1, static_cast<float>(unit_scale(*source.alpha)), sequence.own_alpha.data());
  }

  const std::optional<Colour> fill = fill_of(request.spec);
  const int bands = out->im->Bands;
  for (int y = 0; y < inner.height; ++y) {
    const float* alpha = &sequence.matte[(dy + y) * ow + dx];
    const float* c = &colour[y * colour_row];
    VipsPel* o = VIPS_REGION_ADDR(out, inner.left, inner.top + y);
    for (size_t x = 0; x < iw; ++x) {
      const float own = sequence.alpha ? sequence.own_alpha[y * iw + x] : 1.0f;
      switch (request.layer) {
        case Layer::alpha: reinterpret_cast<float*>(o)[x] = alpha[x]; break;
        case Layer::foreground: std::copy_n(&c[x * 3], 3, &reinterpret_cast<float*>(o)[x * 3]); break;
        case Layer::composed:
          if (out->im->BandFmt == VIPS_FORMAT_USHORT)
            compose(&c[x * 3], alpha[x], own, request.spec, fill,
                    &reinterpret_cast<unsigned short*>(o)[x * bands]);
          else
            compose(&c[x * 3], alpha[x], own, request.spec, fill, &o[x * bands]);
          break;
      }
    }
  }
}

Cutout::Cutout(const Image& source, std::vector<Look> looks, std::optional<SnapLimits> snap) {
  if (looks.empty())
    throw Error(ErrorCode::invalid_argument, "a cut-out needs at least one look of the model");
  auto parts = std::make_shared<Parts>();
  parts->source = source;
  parts->looks = std::make_shared<const std::vector<Look>>(std::move(looks));
  parts->snap = snap;
  parts_ = std::move(parts);
}

void Cutout::estimate_foreground() {
  const int block = ForegroundEstimator::block_size(width(), height());
  const RgbImage image_blocks =
      to_rgb(parts_->source.rgb.shrink(block, block, vips::VImage::option()->set("ceil", true)));
  // The alpha of a block: the cut-out's alpha at its middle pixel, for the block's mean colour.
  // The wide pass averages over thousands of blocks, where this cannot be told from the mean of
  // the block's alpha, and it spares a pass over the photograph at full resolution (a third of
  // the refinement's time at 3840x2160).
  Matte alpha_blocks(image_blocks.width, image_blocks.height);
  in_bands(alpha_blocks.height, 16, [&](int first_row, int end_row) {
    std::vector<float> scratch;
    for (int by = first_row; by < end_row; ++by)
      for (int bx = 0; bx < alpha_blocks.width; ++bx) {
        const size_t i = static_cast<size_t>(by) * alpha_blocks.width + bx;
        parts_->alpha_span(std::min(by * block + block / 2, height() - 1), std::min(bx * block + block / 2, width() - 1),
                           1, &image_blocks.rgb[i * 3], &alpha_blocks.alpha[i], scratch);
      }
  });
  auto parts = std::make_shared<Parts>(*parts_);
  parts->foreground.emplace(image_blocks, alpha_blocks, width(), height());
  parts_ = std::move(parts);
}

int Cutout::width() const { return parts_->source.width(); }
int Cutout::height() const { return parts_->source.height(); }

vips::VImage Cutout::alpha() const { return Parts::generate(parts_, {Parts::Layer::alpha, {}}); }
vips::VImage Cutout::foreground() const { return Parts::generate(parts_, {Parts::Layer::foreground, {}}); }
vips::VImage Cutout::composed(const OutputSpec& spec) const {
  return Parts::generate(parts_, {Parts::Layer::composed, spec});
}

}  // namespace rmbg
