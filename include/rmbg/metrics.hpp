#pragma once
// Accuracy metrics as the salient-object and matting literature computes them.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "rmbg/matte.hpp"

namespace rmbg {

constexpr int kThresholds = 256;
using FCurve = std::array<double, kThresholds>;  // F-measure at thresholds t/255, t = 0..255

struct ImageScore {
  double mae = 0;       // mean |p - g| over the evaluated pixels
  double sad = 0;       // sum |p - g| / 1000 over the evaluated pixels
  double mse = 0;       // mean (p - g)^2
  std::optional<double> band_sad;  // SAD over the trimap's unknown band, where there is a trimap
  FCurve f_curve{};     // beta^2 = 0.3; GT binarised at 0.5
  double max_f() const;
};

// `ignore`, when given, marks pixels (non-zero) left out of every metric; `trimap`, when given,
// marks the unknown band with values strictly between 0 and 1.
ImageScore score(const Matte& prediction, const Matte& truth, const Matte* ignore = nullptr,
                 const Matte* trimap = nullptr);

// The set's max F-measure: the F curve averaged over its images, then maximised.
double max_f_of_mean_curve(const std::vector<FCurve>& curves);

}  // namespace rmbg
