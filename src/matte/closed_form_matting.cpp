// Closed-form matting (Levin, Lischinski and Weiss, "A closed-form solution to natural image
// matting", PAMI 2008) in the model's uncertain band: alpha taken as a linear function of colour
// in every 3x3 window, solved by preconditioned conjugate gradients without forming the matting
// Laplacian: each product L p is gathered window by window.
#include <algorithm>
#include <cmath>

#include "rmbg/error.hpp"
#include "rmbg/refine.hpp"

namespace rmbg {
namespace {

constexpr int kWindow = 9;  // pixels of a 3x3 window

// One 3x3 window of the photograph: its centre pixel, mean colour and the inverse of its colour
// covariance regularised by epsilon (symmetric, six values: xx, xy, xz, yy, yz, zz).
struct Window {
  int centre;
  float mean[3];
  float inverse[6];
};

// (I_i - mean)^T M v for the symmetric M of `w`.
float quadratic(const Window& w, const float* d, const float* v) {
  const float* m = w.inverse;
  return d[0] * (m[0] * v[0] + m[1] * v[1] + m[2] * v[2]) + d[1] * (m[1] * v[0] + m[3] * v[1] + m[4] * v[2]) +
         d[2] * (m[2] * v[0] + m[4] * v[1] + m[5] * v[2]);
}

class MattingLaplacian {
 public:
  MattingLaplacian(const RgbImage& image, const std::vector<char>& touched, float epsilon)
      : image_(image), diagonal_(touched.size(), 0.0f) {
    const int w = image.width, h = image.height;
    for (int y = 1; y + 1 < h; ++y)
      for (int x = 1; x + 1 < w; ++x) {
        const int c = y * w + x;
        if (!touched[c]) continue;
        windows_.push_back(make_window(c, epsilon));
        const Window& win = windows_.back();
        for (int j : pixels(c)) {
          float d[3];
          difference(j, win, d);
          diagonal_[j] += 1.0f - (1.0f + quadratic(win, d, d)) / kWindow;
        }
      }
  }

  // out = L p over every pixel the windows cover (out is cleared first).
  void apply(const std::vector<float>& p, std::vector<float>& out) const {
    std::fill(out.begin(), out.end(), 0.0f);
    for (const Window& win : windows_) {
      const auto js = pixels(win.centre);
      float sum = 0, weighted[3] = {0, 0, 0};
      for (int j : js) {
        float d[3];
        difference(j, win, d);
        sum += p[j];
        for (int c = 0; c < 3; ++c) weighted[c] += d[c] * p[j];
      }
      for (int j : js) {
        float d[3];
        difference(j, win, d);
        out[j] += p[j] - (sum + quadratic(win, d, weighted)) / kWindow;
      }
    }
  }

  const std::vector<float>& diagonal() const { return diagonal_; }

 private:
  std::array<int, kWindow> pixels(int centre) const {
    const int w = image_.width;
    return {centre - w - 1, centre - w, centre - w + 1, centre - 1, centre, centre + 1,
            centre + w - 1, centre + w, centre + w + 1};
  }

  void difference(int pixel, const Window& w, float* d) const {
    const float* c = &image_.rgb[static_cast<size_t>(pixel) * 3];
    for (int k = 0; k < 3; ++k) d[k] = c[k] - w.mean[k];
  }

  Window make_window(int centre, float epsilon) const {
    Window w{centre, {0, 0, 0}, {}};
    double s[6] = {0, 0, 0, 0, 0, 0}, m[3] = {0, 0, 0};
    for (int j : pixels(centre))
      for (int k = 0; k < 3; ++k) m[k] += image_.rgb[static_cast<size_t>(j) * 3 + k] / kWindow;
    for (int j : pixels(centre)) {
      const float* c = &image_.rgb[static_cast<size_t>(j) * 3];
      const double d[3] = {c[0] - m[0], c[1] - m[1], c[2] - m[2]};
      s[0] += d[0] * d[0], s[1] += d[0] * d[1], s[2] += d[0] * d[2];
      s[3] += d[1] * d[1], s[4] += d[1] * d[2], s[5] += d[2] * d[2];
    }
    const double reg = epsilon / kWindow;
    const double a = s[0] / kWindow + reg, b = s[1] / kWindow, c = s[2] / kWindow;
    const double d = s[3] / kWindow + reg, e = s[4] / kWindow, f = s[5] / kWindow + reg;
    // Inverse of the symmetric [[a b c] [b d e] [c e f]] by cofactors.
    const double A = d * f - e * e, B = c * e - b * f, C = b * e - c * d;
    const double det = a * A + b * B + c * C;
    const double inv = 1.0 / det;
    const double values[6] = {A * inv, B * inv, C * inv, (a * f - c * c) * inv, (b * c - a * e) * inv,
                              (a * d - b * b) * inv};
    for (int k = 0; k < 3; ++k) w.mean[k] = static_cast<float>(m[k]);
    for (int k = 0; k < 6; ++k) w.inverse[k] = static_cast<float>(values[k]);
    return w;
  }

  const RgbImage& image_;
  std::vector<Window> windows_;
  std::vector<float> diagonal_;
};

}  // namespace

Matte solve_uncertain_band(const Matte& alpha, const RgbImage& image, const ClosedFormOptions& options) {
  if (alpha.width != image.width || alpha.height != image.height)
    throw Error(ErrorCode::invalid_argument, "the photograph and its alpha differ in size");
  const int w = alpha.width, h = alpha.height;
  const size_t n = alpha.alpha.size();
  // The unknown pixels: the band, grown by one pixel so that its edge is solved too.
  std::vector<char> unknown(n, 0), touched(n, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float a = alpha.at(x, y);
      if (a <= options.band.low || a >= options.band.high) continue;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int u = std::clamp(x + dx, 0, w - 1), v = std::clamp(y + dy, 0, h - 1);
          unknown[static_cast<size_t>(v) * w + u] = 1;
        }
    }
  // Every window that holds an unknown pixel: centres within one pixel of one.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (unknown[static_cast<size_t>(y) * w + x])
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int u = std::clamp(x + dx, 0, w - 1), v = std::clamp(y + dy, 0, h - 1);
            touched[static_cast<size_t>(v) * w + u] = 1;
          }
  const MattingLaplacian laplacian(image, touched, options.epsilon);

  // Known pixels are 0 or 1; L x = 0 on the unknown ones, solved from the model's alpha there.
  std::vector<float> x(n), r(n), z(n), p(n), q(n);
  for (size_t i = 0; i < n; ++i) x[i] = unknown[i] ? alpha.alpha[i] : (alpha.alpha[i] >= options.band.high ? 1.0f : 0.0f);
  laplacian.apply(x, q);
  const auto& diagonal = laplacian.diagonal();
  double rz = 0;
  for (size_t i = 0; i < n; ++i) {
    r[i] = unknown[i] ? -q[i] : 0.0f;
    z[i] = unknown[i] && diagonal[i] > 0 ? r[i] / diagonal[i] : 0.0f;
    p[i] = z[i];
    rz += static_cast<double>(r[i]) * z[i];
  }
  const double start = rz;
  for (int iteration = 0; iteration < options.iterations && rz > start * 1e-6 && rz > 0; ++iteration) {
    laplacian.apply(p, q);
    double pq = 0;
    for (size_t i = 0; i < n; ++i)
      if (unknown[i]) pq += static_cast<double>(p[i]) * q[i];
    if (pq <= 0) break;
    const double step = rz / pq;
    double next = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!unknown[i]) continue;
      x[i] += static_cast<float>(step * p[i]);
      r[i] -= static_cast<float>(step * q[i]);
      z[i] = diagonal[i] > 0 ? r[i] / diagonal[i] : 0.0f;
      next += static_cast<double>(r[i]) * z[i];
    }
    const double beta = next / rz;
    rz = next;
    for (size_t i = 0; i < n; ++i) p[i] = unknown[i] ? z[i] + static_cast<float>(beta * p[i]) : 0.0f;
  }
  Matte out = alpha;
  for (size_t i = 0; i < n; ++i)
    if (unknown[i]) out.alpha[i] = std::clamp(x[i], 0.0f, 1.0f);
  return out;
}

}  // namespace rmbg
