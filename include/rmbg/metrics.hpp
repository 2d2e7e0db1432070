#pragma once
// Accuracy metrics as the salient-object and matting literature computes them.
//
// Prediction p and truth g are alpha values in 0..1. Where a metric needs a binary truth
// (F-measures, S-measure, E-measure) it is g >= 0.5. Pixels marked in the ignore mask are left
// out of every sum, mean and count; see score() for how metrics that look at neighbours treat them.
#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "rmbg/matte.hpp"

namespace rmbg {

constexpr int kThresholds = 256;
// A figure at each threshold t/255, t = 0..255, where the prediction is binarised as p >= t/255.
using Curve = std::array<double, kThresholds>;

// Errors of an alpha matte over one region: the whole image or the trimap's unknown band.
struct MattingErrors {
  double sad = 0;           // sum |p - g| / 1000
  double mse = 0;           // mean (p - g)^2
  double gradient = 0;      // sum (|grad p| - |grad g|)^2 / 1000, Gaussian derivatives, sigma 1.4
  double connectivity = 0;  // sum |phi(p) - phi(g)| / 1000, thresholds 0.1 apart, theta 0.15
};

// Only for a true alpha matte, i.e. where a trimap comes with the truth.
struct MattingScore {
  MattingErrors whole;  // every evaluated pixel
  MattingErrors band;   // the trimap's unknown band (values strictly between 0 and 1)
};

struct ImageScore {
  double mae = 0;                       // mean |p - g|
  double sad = 0;                       // sum |p - g| / 1000
  double mse = 0;                       // mean (p - g)^2
  Curve f_curve{};                      // F-measure, beta^2 = 0.3
  double weighted_f = 0;                // Margolin et al. 2014, beta^2 = 1
  double s_measure = 0;                 // Fan et al. 2017, alpha = 0.5
  Curve e_curve{};                      // E-measure (enhanced alignment), Fan et al. 2018
  std::optional<MattingScore> matting;  // with a trimap only
  double max_f() const;
  double mean_e() const;
  double max_e() const;
};

// Every metric for one image. `ignore`, when given, marks pixels (non-zero) left out of every
// metric. Metrics that look at neighbours (weighted F, gradient, connectivity) see prediction and
// truth both 0 at ignored pixels, so no error spreads from them and no region connects through
// them; S- and E-measure leave them out of their means and areas. `trimap`, when given, marks the
// unknown band with values strictly between 0 and 1 and adds the matting errors.
ImageScore score(const Matte& prediction, const Matte& truth, const Matte* ignore = nullptr,
                 const Matte* trimap = nullptr);

// A set's figures. max F and max E take the maximum of the curve averaged over the images (not
// the mean of each image's maximum); mean E is that averaged curve's mean; the rest are means.
struct SetScore {
  std::size_t images = 0;
  double mae = 0, max_f = 0, weighted_f = 0, s_measure = 0, mean_e = 0, max_e = 0;
  double sad = 0, mse = 0;
  std::optional<MattingScore> matting;  // mean over the images that have one
};

SetScore score_set(const std::vector<ImageScore>& images);

}  // namespace rmbg
