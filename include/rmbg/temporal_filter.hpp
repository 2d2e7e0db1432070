#pragma once
// Temporal consistency for a model that sees each frame on its own (ISNet has no memory). Each
// frame is settled once the next one has been seen, from three alphas at each pixel: the frame
// before's filtered alpha and the next frame's model alpha, both carried here along the optical
// flow (OpenCV's DIS flow), and the model's own:
//   vote = median(before, model, next)                    where both neighbours are trusted
//   a_t  = mean of vote and the neighbours that agree with it within `agreement`,
//          each neighbour weighted by strength * its trust
// The median outvotes a region the model loses or invents for one frame; the mean steadies
// small flicker; a real change (the neighbours disagree with the vote) is left as the model saw
// it, so nothing lags and nothing blurs. Trust is 1 where the flow is consistent forwards and
// backwards and the colours it pairs agree, falling to 0 where either fails (a pixel uncovered
// behind a moving subject, a fast hand), so nothing is carried where the motion cannot be
// followed: no ghost. When most of the frame cannot be followed (a scene cut) that neighbour is
// left out, and the filter starts again from the model's alpha.
#include <cstdint>
#include <memory>
#include <optional>

#include "rmbg/matte.hpp"

namespace rmbg {

struct TemporalOptions {
  // strength and agreement: chosen by bench/video.sh --variants, leaving one clip out (README)
  double strength = 0.5;         // weight of an agreeing, fully trusted neighbour (the model's is 1)
  double agreement = 0.2;        // alpha difference from the vote at which a neighbour is half counted
  int flow_side = 480;           // the flow is computed on frames scaled to this longer side
  double colour_tolerance = 0.04;   // colour difference (0..1) at which a pairing is half trusted
  double consistency_tolerance = 0.5;  // forward/backward disagreement, in flow pixels, half trusted
  double cut_share = 0.5;        // a scene cut when less than this share of the frame is reliable
};

class TemporalFilter {
 public:
  explicit TemporalFilter(const TemporalOptions& options = {});
  ~TemporalFilter();
  TemporalFilter(TemporalFilter&&) noexcept;
  TemporalFilter& operator=(TemporalFilter&&) noexcept;

  // `rgba`: the next frame, 8-bit RGBA of `alpha`'s size; `alpha`: the model's alpha for it.
  // Returns the filtered alpha of the frame before it (none for the first frame): each frame is
  // settled once the one after it has been seen. A frame of another size than the last starts again.
  std::optional<Matte> push(const std::uint8_t* rgba, const Matte& alpha);
  // The last frame's filtered alpha (none when no frame is waiting).
  std::optional<Matte> finish();
  // Whether the last frame returned started again (the first frame, a scene cut, a new size).
  bool restarted() const;
  // The share of the last frame returned where the carried alpha was trusted at all, 0..1.
  double reliable_share() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rmbg
