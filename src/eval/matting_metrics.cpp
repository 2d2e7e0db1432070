// Gradient and connectivity errors as the alphamatting.com benchmark (Rhemann et al., CVPR 2009)
// defines them and the Deep Image Matting evaluation code computes them, as per-pixel maps.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "metric_parts.hpp"

namespace rmbg::metrics {
namespace {

// The gradient's magnitude by derivative-of-Gaussian filters, sigma 1.4. The reference's 2-D
// kernel is G(y) G'(x) scaled to unit L2 norm (its transpose for y), cut where the Gaussian's
// density falls under 0.01, applied as a convolution with replicated borders. It is separable,
// and its norm is the product of the two 1-D norms.
std::vector<double> gradient_magnitude(const std::vector<float>& image, int width, int height) {
  constexpr double kSigma = 1.4, kCutoff = 1e-2;
  const double peak = 1 / (kSigma * std::sqrt(2 * std::numbers::pi));
  const int half = static_cast<int>(std::ceil(kSigma * std::sqrt(-2 * std::log(kCutoff / peak))));
  std::vector<double> gaussian(2 * half + 1), derivative(2 * half + 1);
  for (int i = 0; i <= 2 * half; ++i) {
    const double u = i - half;
    gaussian[i] = peak * std::exp(-u * u / (2 * kSigma * kSigma));
    derivative[i] = -u / (kSigma * kSigma) * gaussian[i];
  }
  for (auto* kernel : {&gaussian, &derivative}) {
    double norm = 0;
    for (double k : *kernel) norm += k * k;
    for (double& k : *kernel) k /= std::sqrt(norm);
  }

  std::vector<double> gx =
      convolve_separable(image, width, height, derivative, gaussian, Border::replicate);
  const std::vector<double> gy =
      convolve_separable(image, width, height, gaussian, derivative, Border::replicate);
  for (std::size_t i = 0; i < gx.size(); ++i) gx[i] = std::sqrt(gx[i] * gx[i] + gy[i] * gy[i]);
  return gx;
}

}  // namespace

std::vector<double> gradient_errors(const ScoredPair& pair) {
  const std::vector<double> p = gradient_magnitude(pair.prediction, pair.width, pair.height);
  std::vector<double> errors = gradient_magnitude(pair.truth, pair.width, pair.height);
  for (std::size_t i = 0; i < errors.size(); ++i)
    errors[i] = (p[i] - errors[i]) * (p[i] - errors[i]);
  return errors;
}

// Each pixel's level is the threshold just before the first one (steps of 0.1) at which it falls
// out of the largest 4-connected region where both mattes reach the threshold: how far it stays
// connected to the source region. Alpha up to 0.15 above that level counts as connected, the
// rest as disconnected: phi = 1 - (a - level), or 1 when a - level < 0.15.
std::vector<double> connectivity_errors(const ScoredPair& pair) {
  constexpr int kSteps = 10;
  constexpr double kTheta = 0.15;
  const std::size_t n = pair.size();
  // The step at which each pixel first falls out of the largest region; 0 while it has not.
  std::vector<std::uint8_t> drop_step(n, 0);
  std::vector<std::uint8_t> reached(n), source(n);
  for (int step = 1; step <= kSteps; ++step) {
    const double threshold = step / static_cast<double>(kSteps);
    for (std::size_t i = 0; i < n; ++i)
      reached[i] = std::min(pair.prediction[i], pair.truth[i]) >= threshold;
    largest_region(reached, pair.width, pair.height, source);
    for (std::size_t i = 0; i < n; ++i)
      drop_step[i] = drop_step[i] || source[i] ? drop_step[i] : static_cast<std::uint8_t>(step);
  }

  std::vector<double> errors(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double connected_up_to =
        drop_step[i] ? (drop_step[i] - 1) / static_cast<double>(kSteps) : 1.0;
    auto phi = [&](double alpha) {
      const double above = alpha - connected_up_to;
      return 1 - (above >= kTheta ? above : 0);
    };
    errors[i] = std::abs(phi(pair.prediction[i]) - phi(pair.truth[i]));
  }
  return errors;
}

}  // namespace rmbg::metrics
