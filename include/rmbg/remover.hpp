#pragma once
// The whole path from a decoded photograph to its cut-out.
#include <optional>
#include <string_view>

#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/refine.hpp"
#include "rmbg/render.hpp"

namespace rmbg {

// How much work goes into the edges. docs/ACCURACY.md measures each one's effect and cost.
enum class Preset {
  raw,       // the model's alpha stretched back to the photograph: what simple tools do
  fast,      // raw + near-certain alpha snapped to 0 and 1
  balanced,  // fast + edge-aware upsampling and foreground colour estimation
  best,      // balanced + a second view with the aspect kept when the model is unsure of the
             // first, and a closer look at the subject when it fills little of the frame
};
inline constexpr Preset kDefaultPreset = Preset::balanced;
Preset parse_preset(std::string_view name);  // throws Error(invalid_argument)
std::string_view preset_name(Preset preset);

struct CutOptions {
  Preset preset = kDefaultPreset;
  bool estimate_foreground = true;  // the cut-out's colours; a mask alone does not need them
};

// Seconds spent in each stage of one cut, for benchmarks. The cut-out's full-resolution pixels
// are computed later, as it is rendered and encoded.
struct StageTimes {
  double inference = 0;
  double refinement = 0;
};

// Where a second, closer look at the subject pays: the box around the model's alpha (`low`, at
// model resolution) with a margin, widened towards a square as far as the photograph
// (`width` x `height`) allows, when it covers less than half of the frame. None otherwise.
std::optional<Region> subject_region(const Matte& low, int width, int height);

// Where a photograph of `width` x `height` lands in a model input of `model_width` x
// `model_height` when its aspect is kept: scaled to fit and centred, the rest being padding.
Region letterbox_region(int width, int height, int model_width, int model_height);

class Remover {
 public:
  explicit Remover(const Engine& engine) : engine_(engine) {}
  Cutout cut(const Image& image, const CutOptions& options = {}, StageTimes* times = nullptr) const;

 private:
  struct Pass;
  // How a view is fitted to the model's square input: stretched to fill it, or scaled with its
  // aspect kept and padded with grey (the alpha then covers the view's part only).
  enum class Framing { squash, letterbox };
  Pass look(const vips::VImage& view, Framing framing, const CutOptions& options, StageTimes& times) const;
  // The look's alpha brought to `region` of the photograph, as the preset says.
  Cutout::Look refine(const Pass& pass, const Region& region, const CutOptions& options, StageTimes& times) const;

  const Engine& engine_;
};

}  // namespace rmbg
