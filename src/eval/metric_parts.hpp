#pragma once
// The pieces score() is built from, shared by the metric sources and not part of the public API.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rmbg/matte.hpp"

namespace rmbg::metrics {

// One prediction / truth pair as the metrics read it: prediction and truth are both 0 at ignored
// pixels, `counted` is 0 there, and `foreground` is the truth binarised at 0.5.
struct ScoredPair {
  int width = 0;
  int height = 0;
  std::vector<float> prediction;
  std::vector<float> truth;
  std::vector<std::uint8_t> counted;
  std::vector<std::uint8_t> foreground;

  ScoredPair(const Matte& prediction, const Matte& truth, const Matte* ignore);
  std::size_t size() const { return prediction.size(); }
};

double weighted_f_measure(const ScoredPair& pair);
double s_measure(const ScoredPair& pair);

// Per-pixel error maps, to be summed over a region.
std::vector<double> gradient_errors(const ScoredPair& pair);      // (|grad p| - |grad g|)^2
std::vector<double> connectivity_errors(const ScoredPair& pair);  // |phi(p) - phi(g)|

// --- image operations the metrics share ---

enum class Border { zero, replicate };

// Convolves a width x height image with kernel_x along rows, then kernel_y along columns.
// Kernels have odd sizes and are centred. For float and double pixels.
template <class Pixel>
std::vector<double> convolve_separable(const std::vector<Pixel>& image, int width, int height,
                                       const std::vector<double>& kernel_x,
                                       const std::vector<double>& kernel_y, Border border);

// For each pixel, the index of the nearest (Euclidean) pixel where `mask` is set. At least one
// pixel must be set.
std::vector<std::int32_t> nearest_set_pixels(const std::vector<std::uint8_t>& mask, int width,
                                             int height);

// The largest 4-connected region of set pixels into `region`: 1 inside it, 0 elsewhere (all 0
// for an empty mask). Of equal regions, the one met first in row-major order. `region` is an
// output parameter so that repeated calls reuse its memory.
void largest_region(const std::vector<std::uint8_t>& mask, int width, int height,
                    std::vector<std::uint8_t>& region);

}  // namespace rmbg::metrics
