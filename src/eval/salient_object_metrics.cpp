// Weighted F-measure and S-measure as PySODMetrics computes them, following the authors' MATLAB
// code: Gaussian 7x7 with sigma 5 and zero padding, unbiased variances, the centroid rounded half
// to even (numpy's rounding) plus one, MATLAB's eps in the denominators.
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

// Calls f(i, x, y) for every counted pixel.
template <class F>
void for_each_counted(const ScoredPair& pair, F f) {
  for (int y = 0; y < pair.height; ++y)
    for (int x = 0; x < pair.width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * pair.width + x;
      if (pair.counted[i]) f(i, x, y);
    }
}

// Object-aware similarity of values with this mean and unbiased variance (Fan et al., eq. 5).
double object_similarity(double mean, double variance) {
  return 2 * mean / (mean * mean + 1 + std::sqrt(variance) + kEpsilon);
}

// Region-aware part: the quadrants split after the truth's foreground centroid, compared by an
// SSIM without constants and weighted by their share of the counted pixels.
double region_similarity(const ScoredPair& pair, int split_x, int split_y) {
  auto quadrant = [&](int x, int y) { return (y >= split_y ? 2 : 0) + (x >= split_x ? 1 : 0); };
  struct Sums {
    double count = 0, p = 0, g = 0, pp = 0, gg = 0, pg = 0;
  };
  std::array<Sums, 4> q{};
  for_each_counted(pair, [&](std::size_t i, int x, int y) {
    Sums& s = q[quadrant(x, y)];
    s.count += 1, s.p += pair.prediction[i], s.g += pair.foreground[i];
  });
  for (Sums& s : q)
    if (s.count > 0) s.p /= s.count, s.g /= s.count;  // now the means
  for_each_counted(pair, [&](std::size_t i, int x, int y) {
    Sums& s = q[quadrant(x, y)];
    const double dp = pair.prediction[i] - s.p, dg = pair.foreground[i] - s.g;
    s.pp += dp * dp, s.gg += dg * dg, s.pg += dp * dg;
  });

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
  auto error = [&](std::size_t i) {
    return std::abs(static_cast<double>(pair.prediction[i]) - pair.foreground[i]);
  };

  // Pixel dependency: background pixels take the error of their nearest foreground pixel so the
  // Gaussian does not blur background error into the object's edge; the foreground then keeps the
  // smaller of its own error and the blurred one.
  const std::vector<std::int32_t> nearest =
      nearest_set_pixels(pair.foreground, pair.width, pair.height);
  std::vector<double> spread(n);
  for (std::size_t i = 0; i < n; ++i) spread[i] = error(nearest[i]);
  const std::vector<double> kernel = gaussian_7_sigma_5();
  const std::vector<double> blurred =
      convolve_separable(spread, pair.width, pair.height, kernel, kernel, Border::zero);

  // Pixel importance: background errors weigh more the farther they are from the object.
  const std::size_t w = pair.width;
  auto distance_to_object = [&](std::size_t i) {
    const double dx = static_cast<double>(i % w) - static_cast<double>(nearest[i] % w);
    const double dy = static_cast<double>(i / w) - static_cast<double>(nearest[i] / w);
    return std::sqrt(dx * dx + dy * dy);
  };
  double foreground_error = 0, false_positive = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!pair.counted[i]) continue;
    if (pair.foreground[i])
      foreground_error += std::min(error(i), blurred[i]);
    else if (error(i) > 0)
      false_positive += error(i) * (2 - std::exp(std::log(0.5) / 5 * distance_to_object(i)));
  }
  const double recall = 1 - foreground_error / foreground;
  const double true_positive = foreground - foreground_error;
  const double precision = true_positive / (true_positive + false_positive + kEpsilon);
  return 2 * recall * precision / (recall + precision + kEpsilon);
}

double s_measure(const ScoredPair& pair) {
  // Indexed by the binarised truth: [0] background, [1] object.
  std::array<double, 2> count{}, sum{}, squares{};
  double row_sum = 0, column_sum = 0;
  for_each_counted(pair, [&](std::size_t i, int x, int y) {
    const int object = pair.foreground[i];
    count[object] += 1, sum[object] += pair.prediction[i];
    if (object) row_sum += y, column_sum += x;
  });
  const double total = count[0] + count[1];
  if (total == 0) return 0;
  // No object, or nothing but object: how much of the prediction agrees.
  if (count[1] == 0) return 1 - sum[0] / total;
  if (count[0] == 0) return sum[1] / total;

  const std::array<double, 2> mean{sum[0] / count[0], sum[1] / count[1]};
  for_each_counted(pair, [&](std::size_t i, int, int) {
    const int object = pair.foreground[i];
    squares[object] += (pair.prediction[i] - mean[object]) * (pair.prediction[i] - mean[object]);
  });
  auto variance = [&](int object) {
    return count[object] > 1 ? squares[object] / (count[object] - 1) : 0.0;
  };
  // The background is scored on 1 - p: the same spread about the mean 1 - mean.
  const double share = count[1] / total;
  const double object_score = share * object_similarity(mean[1], variance(1)) +
                              (1 - share) * object_similarity(1 - mean[0], variance(0));

  // 0-based centroid rounded half to even, plus one: the top-left quadrant includes the
  // centroid's row and column, as MATLAB's 1:X does.
  const int split_x = static_cast<int>(std::nearbyint(column_sum / count[1])) + 1;
  const int split_y = static_cast<int>(std::nearbyint(row_sum / count[1])) + 1;
  return std::max(0.0, 0.5 * object_score + 0.5 * region_similarity(pair, split_x, split_y));
}

}  // namespace rmbg::metrics
