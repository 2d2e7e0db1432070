#pragma once
// The whole path from a decoded photograph to its cut-out.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
             // first, the surer of the two per pixel
};
inline constexpr Preset kDefaultPreset = Preset::balanced;
Preset parse_preset(std::string_view name);  // throws Error(invalid_argument)
std::string_view preset_name(Preset preset);

// How a view of the photograph is fitted to the model's square input: stretched to fill it,
// scaled with its aspect kept and padded with grey, or stretched and mirrored left to right.
enum class Framing { squash, letterbox, mirrored };
// How two looks' alphas become one, pixel by pixel.
enum class Merge {
  surer,    // the value further from 0.5 (surer_per_pixel)
  mean,     // the mean of the two
  guarded,  // surer, but only when the second look is the surer one overall (uncertain_share)
};

// A second look of the model at the whole photograph, merged with the first.
struct SecondLook {
  Framing framing = Framing::letterbox;
  int side = 0;              // the model input's side for this look; 0: the model's full size
  double when_unsure = 0.1;  // runs when the first look's uncertain_share() is above this; 0: always
  Merge merge = Merge::surer;
};

// What a preset does, step by step: each preset is one of these (preset_steps), and `rmbg eval
// --steps` measures others, so that a preset's steps are chosen by held-out figures.
struct CutSteps {
  // The model input's side from the photograph's size (ModelInput::size_for) instead of the
  // model's full size. Off in every preset: it lost badly on photographs it was not chosen on.
  bool photo_sized_input = false;
  bool guided = false;                    // edge-aware upsampling instead of a plain stretch
  std::optional<SnapLimits> snap;         // near-certain alpha snapped to 0 and 1
  std::optional<SecondLook> second_look;  // merged at model resolution, before upsampling
  bool closed_form = false;               // solve_uncertain_band() on the merged alpha
  bool subject_pass = false;              // a closer look at a subject that fills little of the frame
  bool foreground_colours = false;        // the subject's colours estimated (no fringe on a new background)
};
CutSteps preset_steps(Preset preset);
// Steps written as `describe_steps` writes them: a preset's name, then changes to its steps, e.g.
// "balanced,snap=0.1:0.9,second=letterbox:768:0.2:mean". Keys: snap=LOW:HIGH|off,
// guided=on|off, input=full|photo, second=FRAMING[:SIDE[:WHEN_UNSURE[:MERGE]]]|off, matting=on|off,
// subject=on|off, colours=on|off. Throws Error(invalid_argument) naming what it cannot read.
CutSteps parse_steps(std::string_view text);
std::string describe_steps(const CutSteps& steps);

struct CutOptions {
  Preset preset = kDefaultPreset;
  bool estimate_foreground = true;  // the cut-out's colours; a mask alone does not need them
  std::optional<CutSteps> steps;    // instead of the preset's own steps (for measuring them)
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
  // The model input's size for `view`: `side` x `side`, or when 0 the size the steps say.
  std::pair<int, int> input_size(const vips::VImage& view, int side, const CutSteps& steps) const;
  // One look of the model at `view`, framed as said, at a model input of `size`.
  Pass look(const vips::VImage& view, Framing framing, std::pair<int, int> size, StageTimes& times) const;
  // The look's alpha brought to `region` of the photograph, as the steps say.
  Cutout::Look refine(const Pass& pass, const Region& region, const CutSteps& steps, StageTimes& times) const;

  const Engine& engine_;
};

}  // namespace rmbg
