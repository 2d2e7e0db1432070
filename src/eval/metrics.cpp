#include "rmbg/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

constexpr double kBeta2 = 0.3;

FCurve f_curve(const std::array<std::uint64_t, kThresholds>& positives,
               const std::array<std::uint64_t, kThresholds>& negatives) {
  std::uint64_t total_positive = 0;
  for (auto p : positives) total_positive += p;
  FCurve curve{};
  std::uint64_t tp = 0, fp = 0;
  // Walking thresholds from high to low accumulates the pixels predicted positive (p >= t).
  for (int t = kThresholds - 1; t >= 0; --t) {
    tp += positives[t];
    fp += negatives[t];
    const double precision = tp + fp == 0 ? 0.0 : static_cast<double>(tp) / (tp + fp);
    const double recall = total_positive == 0 ? 0.0 : static_cast<double>(tp) / total_positive;
    const double denominator = kBeta2 * precision + recall;
    curve[t] = denominator == 0 ? 0.0 : (1 + kBeta2) * precision * recall / denominator;
  }
  return curve;
}

}  // namespace

double ImageScore::max_f() const { return *std::max_element(f_curve.begin(), f_curve.end()); }

ImageScore score(const Matte& prediction, const Matte& truth, const Matte* ignore,
                 const Matte* trimap) {
  auto same_size = [&](const Matte* m) {
    return !m || (m->width == truth.width && m->height == truth.height);
  };
  if (!same_size(&prediction) || !same_size(ignore) || !same_size(trimap))
    throw Error(ErrorCode::invalid_argument, "prediction, ground truth, ignore mask and trimap "
                                             "must have the same size");
  std::array<std::uint64_t, kThresholds> positives{}, negatives{};
  double abs_sum = 0, sq_sum = 0, band_abs_sum = 0;
  std::uint64_t counted = 0;
  for (size_t i = 0; i < truth.alpha.size(); ++i) {
    if (ignore && ignore->alpha[i] > 0) continue;
    const double p = prediction.alpha[i], g = truth.alpha[i];
    const double diff = std::abs(p - g);
    abs_sum += diff;
    sq_sum += diff * diff;
    if (trimap && trimap->alpha[i] > 0 && trimap->alpha[i] < 1) band_abs_sum += diff;
    // Threshold t/255 keeps p >= t/255, i.e. every bin at or below p's.
    const int bin = std::clamp(static_cast<int>(std::floor(p * 255.0 + 1e-6)), 0, kThresholds - 1);
    (g >= 0.5 ? positives : negatives)[bin]++;
    ++counted;
  }
  ImageScore s;
  s.mae = counted ? abs_sum / counted : 0;
  s.mse = counted ? sq_sum / counted : 0;
  s.sad = abs_sum / 1000.0;
  if (trimap) s.band_sad = band_abs_sum / 1000.0;
  s.f_curve = f_curve(positives, negatives);
  return s;
}

double max_f_of_mean_curve(const std::vector<FCurve>& curves) {
  if (curves.empty()) return 0;
  double best = 0;
  for (int t = 0; t < kThresholds; ++t) {
    double sum = 0;
    for (const auto& c : curves) sum += c[t];
    best = std::max(best, sum / curves.size());
  }
  return best;
}

}  // namespace rmbg
