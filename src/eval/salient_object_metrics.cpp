// Weighted F-measure and S-measure, from their papers and the reference MATLAB code's choices
// (as PySODMetrics follows them): Gaussian 7x7 with sigma 5 and zero padding, unbiased variances,
// centroid rounded half to even plus one, MATLAB's eps in the denominators.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "metric_parts.hpp"

namespace rmbg::metrics {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// fspecial('gaussian', 7, 5) is separable: the product of two normalised 1-D Gaussians.
std::vector<double> gaussian_7_sigma_5() {
  std::vector<double> kernel(7);
  double sum = 0;
  for (int i = 0; i < 7; ++i) sum += kernel[i] = std::exp(-(i - 3.0) * (i - 3.0) / (2 * 5.0 * 5.0));
  for (double& k : kernel) k /= sum;
  return kernel;
}

// Sample mean and unbiased variance over the pixels `take` accepts, in two passes for accuracy.
struct Moments {
  double count = 0, mean = 0, variance = 0;
};

template <class Value, class Take>
Moments moments(std::size_t size, Value value, Take take) {
  Moments m;
  for (std::size_t i = 0; i < size; ++i)
    if (take(i)) m.count += 1, m.mean += value(i);
  if (m.count == 0) return m;
  m.mean /= m.count;
  for (std::size_t i = 0; i < size; ++i)
    if (take(i)) m.variance += (value(i) - m.mean) * (value(i) - m.mean);
  m.variance = m.count > 1 ? m.variance / (m.count - 1) : 0;
  return m;
}

// Object-aware similarity of the prediction over one region of the truth (Fan et al., eq. 5).
double object_similarity(const Moments& m) {
  return 2 * m.mean / (m.mean * m.mean + 1 + std::sqrt(m.variance) + kEpsilon);
}

// Region-aware part: the truth's foreground centroid splits the image into four quadrants,
// compared by an SSIM without constants and weighted by their share of the counted pixels.
double region_similarity(const ScoredPair& pair) {
  const std::size_t w = pair.width;
  double row_sum = 0, column_sum = 0, foreground = 0;
  for (std::size_t i = 0; i < pair.size(); ++i)
    if (pair.counted[i] && pair.foreground[i]) {
      row_sum += static_cast<double>(i / w), column_sum += static_cast<double>(i % w);
      foreground += 1;
    }
  // 0-based mean rounded half to even, plus one: the top-left quadrant includes the centroid's
  // row and column, as MATLAB's 1:X does.
  const auto split_x = static_cast<std::size_t>(std::nearbyint(column_sum / foreground)) + 1;
  const auto split_y = static_cast<std::size_t>(std::nearbyint(row_sum / foreground)) + 1;
  auto quadrant = [&](std::size_t i) { return (i / w >= split_y ? 2 : 0) + (i % w >= split_x ? 1 : 0); };

  struct Sums {
    double count = 0, p = 0, g = 0, pp = 0, gg = 0, pg = 0;
  };
  std::array<Sums, 4> q{};
  for (std::size_t i = 0; i < pair.size(); ++i)
    if (pair.counted[i]) {
      Sums& s = q[quadrant(i)];
      s.count += 1, s.p += pair.prediction[i], s.g += pair.foreground[i];
    }
  for (Sums& s : q)
    if (s.count > 0) s.p /= s.count, s.g /= s.count;  // now the means
  for (std::size_t i = 0; i < pair.size(); ++i)
    if (pair.counted[i]) {
      Sums& s = q[quadrant(i)];
      const double dp = pair.prediction[i] - s.p, dg = pair.foreground[i] - s.g;
      s.pp += dp * dp, s.gg += dg * dg, s.pg += dp * dg;
    }

  double total = 0, score = 0;
  for (const Sums& s : q) total += s.count;
  for (const Sums& s : q) {
    if (s.count == 0) continue;
    const double n = std::max(s.count - 1, 1.0);
    const double alpha = 4 * s.p * s.g * s.pg / n;
    const double beta = (s.p * s.p + s.g * s.g) * (s.pp + s.gg) / n;
    // Two constant, equal-looking quadrants (beta = 0) agree perfectly.
    const double ssim = alpha != 0 ? alpha / (beta + kEpsilon) : beta == 0 ? 1 : 0;
    score += s.count / total * ssim;
  }
  return score;
}

}  // namespace

double weighted_f_measure(const ScoredPair& pair) {
  double foreground = 0;
  for (std::size_t i = 0; i < pair.size(); ++i) foreground += pair.counted[i] && pair.foreground[i];
  if (foreground == 0) return 0;  // nothing to find: the reference code scores 0

  const std::size_t n = pair.size();
  std::vector<double> error(n);
  for (std::size_t i = 0; i < n; ++i) error[i] = std::abs(static_cast<double>(pair.prediction[i]) - pair.foreground[i]);

  // Pixel dependency: background pixels take the error of their nearest foreground pixel so the
  // Gaussian does not blur background error into the object's edge; the foreground then keeps the
  // smaller of its own error and the blurred one.
  const NearestPixels nearest = nearest_set_pixels(pair.foreground, pair.width, pair.height);
  std::vector<double> spread(n);
  for (std::size_t i = 0; i < n; ++i) spread[i] = error[nearest.index[i]];
  const std::vector<double> kernel = gaussian_7_sigma_5();
  const std::vector<double> blurred =
      convolve_separable(spread, pair.width, pair.height, kernel, kernel, Border::zero);

  // Pixel importance: background errors weigh more the farther they are from the object.
  double foreground_error = 0, false_positive = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!pair.counted[i]) continue;
    if (pair.foreground[i])
      foreground_error += std::min(error[i], blurred[i]);
    else
      false_positive += error[i] * (2 - std::exp(std::log(0.5) / 5 * nearest.distance[i]));
  }
  const double recall = 1 - foreground_error / foreground;
  const double true_positive = foreground - foreground_error;
  const double precision = true_positive / (true_positive + false_positive + kEpsilon);
  return 2 * recall * precision / (recall + precision + kEpsilon);
}

double s_measure(const ScoredPair& pair) {
  const std::size_t n = pair.size();
  auto prediction = [&](std::size_t i) { return static_cast<double>(pair.prediction[i]); };
  auto counted = [&](std::size_t i) { return pair.counted[i] != 0; };
  auto in_foreground = [&](std::size_t i) { return pair.counted[i] && pair.foreground[i]; };
  auto in_background = [&](std::size_t i) { return pair.counted[i] && !pair.foreground[i]; };

  const Moments all = moments(n, prediction, counted);
  const Moments object = moments(n, prediction, in_foreground);
  if (all.count == 0) return 0;
  // No object, or nothing but object: how much of the prediction agrees.
  if (object.count == 0) return 1 - all.mean;
  if (object.count == all.count) return all.mean;

  const Moments background = moments(n, [&](std::size_t i) { return 1 - prediction(i); }, in_background);
  const double share = object.count / all.count;
  const double object_score =
      share * object_similarity(object) + (1 - share) * object_similarity(background);
  return std::max(0.0, 0.5 * object_score + 0.5 * region_similarity(pair));
}

}  // namespace rmbg::metrics
