#pragma once
// The whole path from a decoded photograph to its cut-out.
#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/refine.hpp"
#include "rmbg/render.hpp"

namespace rmbg {

// Seconds spent in each stage of one cut, for benchmarks.
struct StageTimes {
  double inference = 0;
  double refinement = 0;
};

class Remover {
 public:
  explicit Remover(const Engine& engine) : engine_(engine) {}
  Cutout cut(const Image& image, const RefineOptions& options = {}, StageTimes* times = nullptr) const;

 private:
  const Engine& engine_;
};

}  // namespace rmbg
