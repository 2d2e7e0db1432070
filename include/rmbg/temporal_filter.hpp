#pragma once
// Temporal consistency for a model that sees each frame on its own (ISNet has no memory): the
// previous frame's filtered alpha is carried along the optical flow (OpenCV's DIS flow) to the
// present frame and blended with the model's new alpha where the carried value can be trusted:
//   a_t = w * warp(a_{t-1}) + (1 - w) * model_t,   w = strength * reliability
// reliability is 1 where the flow is consistent forwards and backwards and the colours it pairs
// agree, falling to 0 where either fails (a pixel uncovered behind a moving subject, a fast
// hand), so nothing is carried where the motion cannot be followed: no ghost, no lag. When most
// of the frame cannot be followed (a scene cut) the filter starts again from the model's alpha.
#include <cstdint>
#include <memory>

#include "rmbg/matte.hpp"

namespace rmbg {

struct TemporalOptions {
  double strength = 0.75;        // weight of the carried alpha where the flow is fully reliable
  int flow_side = 480;           // the flow is computed on frames scaled to this longer side
  double colour_tolerance = 0.04;   // colour difference (0..1) at which a pairing is half trusted
  double consistency_tolerance = 0.5;  // forward/backward disagreement, in flow pixels, half trusted
  // (bench/video.sh chose these three: 480, 0.04, 0.5 lost least MAE for most dtSSD among those tried)
  double cut_share = 0.5;        // a scene cut when less than this share of the frame is reliable
};

class TemporalFilter {
 public:
  explicit TemporalFilter(const TemporalOptions& options = {});
  ~TemporalFilter();
  TemporalFilter(TemporalFilter&&) noexcept;
  TemporalFilter& operator=(TemporalFilter&&) noexcept;

  // `rgba`: the frame, 8-bit RGBA of `alpha`'s size; `alpha`: the model's alpha for it.
  // Returns the filtered alpha. A frame of another size than the last starts again.
  Matte filter(const std::uint8_t* rgba, const Matte& alpha);
  // Whether the last frame started again (the first frame, a scene cut, a new size).
  bool restarted() const;
  // The share of the last frame where the carried alpha was trusted at all, 0..1.
  double reliable_share() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rmbg
