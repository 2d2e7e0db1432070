#include "rmbg/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "metric_parts.hpp"
#include "rmbg/error.hpp"

namespace rmbg {
namespace metrics {

ScoredPair::ScoredPair(const Matte& p, const Matte& g, const Matte* ignore)
    : width(g.width),
      height(g.height),
      prediction(p.alpha),
      truth(g.alpha),
      counted(g.alpha.size(), 1),
      foreground(g.alpha.size()) {
  for (std::size_t i = 0; i < size(); ++i) {
    if (ignore && ignore->alpha[i] > 0) prediction[i] = truth[i] = 0, counted[i] = 0;
    foreground[i] = truth[i] >= 0.5f;
  }
}

}  // namespace metrics

namespace {

using metrics::ScoredPair;

constexpr double kFBeta2 = 0.3;
constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// Running sums of the errors over one region. The gradient and connectivity maps are empty when
// not measured.
struct ErrorSums {
  double absolute = 0, squared = 0, gradient = 0, connectivity = 0;
  std::uint64_t pixels = 0;

  void add(double difference, const std::vector<double>& gradient_map,
           const std::vector<double>& connectivity_map, std::size_t i) {
    absolute += std::abs(difference);
    squared += difference * difference;
    if (!gradient_map.empty()) gradient += gradient_map[i], connectivity += connectivity_map[i];
    ++pixels;
  }
  MattingErrors errors() const {
    return {absolute / 1000, pixels ? squared / pixels : 0, gradient / 1000, connectivity / 1000};
  }
};

// Counted pixels with p >= t/255 at each threshold t, split by the binarised truth.
struct ThresholdCounts {
  std::array<std::uint64_t, kThresholds> true_positive{}, false_positive{};
  std::uint64_t foreground = 0, pixels = 0;
};

ThresholdCounts threshold_counts(const ScoredPair& pair) {
  std::array<std::uint64_t, kThresholds> foreground_bins{}, background_bins{};
  for (std::size_t i = 0; i < pair.size(); ++i) {
    if (!pair.counted[i]) continue;
    // Threshold t/255 keeps p >= t/255, i.e. every bin at or below p's.
    const int bin = std::clamp(static_cast<int>(std::floor(pair.prediction[i] * 255.0 + 1e-6)), 0,
                               kThresholds - 1);
    (pair.foreground[i] ? foreground_bins : background_bins)[bin]++;
  }
  ThresholdCounts c;
  std::uint64_t tp = 0, fp = 0;
  // Walking thresholds from high to low accumulates the pixels predicted positive.
  for (int t = kThresholds - 1; t >= 0; --t) {
    c.true_positive[t] = tp += foreground_bins[t];
    c.false_positive[t] = fp += background_bins[t];
  }
  c.foreground = tp;
  c.pixels = tp + fp;
  return c;
}

Curve f_curve(const ThresholdCounts& c) {
  Curve curve{};
  for (int t = 0; t < kThresholds; ++t) {
    const double tp = c.true_positive[t], predicted = tp + c.false_positive[t];
    const double precision = predicted == 0 ? 0.0 : tp / predicted;
    const double recall = c.foreground == 0 ? 0.0 : tp / c.foreground;
    const double denominator = kFBeta2 * precision + recall;
    curve[t] = denominator == 0 ? 0.0 : (1 + kFBeta2) * precision * recall / denominator;
  }
  return curve;
}

// The enhanced alignment of one pixel, from its binarised prediction and truth less their means.
double enhanced_alignment(double prediction_deviation, double truth_deviation) {
  const double alignment =
      2 * prediction_deviation * truth_deviation /
      (prediction_deviation * prediction_deviation + truth_deviation * truth_deviation + kEpsilon);
  return (alignment + 1) * (alignment + 1) / 4;
}

// Every pixel is one of four (prediction, truth) combinations, so the sum of the enhanced
// alignment matrix is four counts times four values.
Curve e_curve(const ThresholdCounts& c) {
  Curve curve{};
  const double n = c.pixels, foreground = c.foreground;
  for (int t = 0; t < kThresholds; ++t) {
    const double tp = c.true_positive[t], fp = c.false_positive[t], predicted = tp + fp;
    double sum = 0;
    if (foreground == 0) {
      sum = n - predicted;  // the matrix is 1 - prediction
    } else if (foreground == n) {
      sum = predicted;  // the matrix is the prediction
    } else {
      const double mean_p = predicted / n, mean_g = foreground / n;
      const double fn = foreground - tp, tn = n - predicted - fn;
      sum = tp * enhanced_alignment(1 - mean_p, 1 - mean_g) +
            fp * enhanced_alignment(1 - mean_p, -mean_g) +
            fn * enhanced_alignment(-mean_p, 1 - mean_g) +
            tn * enhanced_alignment(-mean_p, -mean_g);
    }
    // Divided by N - 1 as in the reference code: a perfect prediction scores N / (N - 1).
    curve[t] = sum / std::max(n - 1, 1.0);
  }
  return curve;
}

void add_weighted(MattingErrors& sum, const MattingErrors& errors, double weight) {
  sum.sad += weight * errors.sad;
  sum.mse += weight * errors.mse;
  sum.gradient += weight * errors.gradient;
  sum.connectivity += weight * errors.connectivity;
}

// The mean of each matting figure over the images that have one.
std::optional<MattingScore> mean_matting(const std::vector<ImageScore>& images) {
  const auto count = std::count_if(images.begin(), images.end(),
                                   [](const ImageScore& s) { return s.matting.has_value(); });
  if (count == 0) return std::nullopt;
  MattingScore mean;
  for (const ImageScore& s : images)
    if (s.matting) {
      add_weighted(mean.whole, s.matting->whole, 1.0 / count);
      add_weighted(mean.band, s.matting->band, 1.0 / count);
    }
  return mean;
}

double curve_max(const Curve& curve) { return *std::max_element(curve.begin(), curve.end()); }
double curve_mean(const Curve& curve) {
  return std::accumulate(curve.begin(), curve.end(), 0.0) / kThresholds;
}

}  // namespace

double ImageScore::max_f() const { return curve_max(f_curve); }
double ImageScore::mean_e() const { return curve_mean(e_curve); }
double ImageScore::max_e() const { return curve_max(e_curve); }

ImageScore score(const Matte& prediction, const Matte& truth, const Matte* ignore,
                 const Matte* trimap) {
  auto same_size = [&](const Matte* m) {
    return !m || (m->width == truth.width && m->height == truth.height);
  };
  if (!same_size(&prediction) || !same_size(ignore) || !same_size(trimap))
    throw Error(ErrorCode::invalid_argument, "prediction, ground truth, ignore mask and trimap "
                                             "must have the same size");
  const ScoredPair pair(prediction, truth, ignore);
  std::vector<double> gradient, connectivity;
  if (trimap) {
    gradient = metrics::gradient_errors(pair);
    connectivity = metrics::connectivity_errors(pair);
  }
  ErrorSums whole, band;
  for (std::size_t i = 0; i < pair.size(); ++i) {
    if (!pair.counted[i]) continue;
    const double difference = static_cast<double>(pair.prediction[i]) - pair.truth[i];
    whole.add(difference, gradient, connectivity, i);
    if (trimap && trimap->alpha[i] > 0 && trimap->alpha[i] < 1)
      band.add(difference, gradient, connectivity, i);
  }
  ImageScore s;
  s.mae = whole.pixels ? whole.absolute / whole.pixels : 0;
  s.sad = whole.errors().sad;
  s.mse = whole.errors().mse;
  if (trimap) s.matting = MattingScore{whole.errors(), band.errors()};
  const ThresholdCounts counts = threshold_counts(pair);
  s.f_curve = f_curve(counts);
  s.e_curve = e_curve(counts);
  s.weighted_f = metrics::weighted_f_measure(pair);
  s.s_measure = metrics::s_measure(pair);
  return s;
}

SetScore score_set(const std::vector<ImageScore>& images) {
  SetScore set;
  set.images = images.size();
  if (images.empty()) return set;
  Curve f{}, e{};
  for (const ImageScore& s : images) {
    set.mae += s.mae, set.weighted_f += s.weighted_f, set.s_measure += s.s_measure;
    set.sad += s.sad, set.mse += s.mse;
    for (int t = 0; t < kThresholds; ++t) f[t] += s.f_curve[t], e[t] += s.e_curve[t];
  }
  const double n = static_cast<double>(images.size());
  set.mae /= n, set.weighted_f /= n, set.s_measure /= n, set.sad /= n, set.mse /= n;
  for (int t = 0; t < kThresholds; ++t) f[t] /= n, e[t] /= n;
  set.max_f = curve_max(f);
  set.mean_e = curve_mean(e);
  set.max_e = curve_max(e);
  set.matting = mean_matting(images);
  return set;
}

}  // namespace rmbg
