#include "rmbg/refine.hpp"

#include <algorithm>
#include <cmath>

namespace rmbg {
namespace {

// Bilinear resize of interleaved float planes, pixel centres aligned.
std::vector<float> resize_bilinear(const std::vector<float>& src, int sw, int sh, int channels,
                                   int dw, int dh) {
  struct Tap {
    int i0, i1;
    float w1;
  };
  auto taps = [](int src_size, int dst_size) {
    std::vector<Tap> t(dst_size);
    const float scale = static_cast<float>(src_size) / dst_size;
    for (int d = 0; d < dst_size; ++d) {
      const float s = std::clamp((d + 0.5f) * scale - 0.5f, 0.0f, static_cast<float>(src_size - 1));
      const int i0 = static_cast<int>(s);
      t[d] = {i0, std::min(i0 + 1, src_size - 1), s - i0};
    }
    return t;
  };
  const auto xs = taps(sw, dw), ys = taps(sh, dh);
  std::vector<float> out(static_cast<size_t>(dw) * dh * channels);
  for (int y = 0; y < dh; ++y) {
    const float* r0 = &src[static_cast<size_t>(ys[y].i0) * sw * channels];
    const float* r1 = &src[static_cast<size_t>(ys[y].i1) * sw * channels];
    const float wy = ys[y].w1;
    float* o = &out[static_cast<size_t>(y) * dw * channels];
    for (int x = 0; x < dw; ++x) {
      const auto [x0, x1, wx] = xs[x];
      for (int c = 0; c < channels; ++c) {
        const float top = r0[x0 * channels + c] + (r0[x1 * channels + c] - r0[x0 * channels + c]) * wx;
        const float bottom = r1[x0 * channels + c] + (r1[x1 * channels + c] - r1[x0 * channels + c]) * wx;
        o[x * channels + c] = top + (bottom - top) * wy;
      }
    }
  }
  return out;
}

}  // namespace

std::vector<float> box_mean(const std::vector<float>& src, int width, int height, int channels,
                            int radius) {
  const size_t row = static_cast<size_t>(width) * channels;
  std::vector<float> horizontal(src.size()), out(src.size());
  std::vector<double> sum(channels);
  for (int y = 0; y < height; ++y) {
    const float* in = &src[y * row];
    float* h = &horizontal[y * row];
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int x = 0; x < std::min(radius, width); ++x)
      for (int c = 0; c < channels; ++c) sum[c] += in[x * channels + c];
    for (int x = 0; x < width; ++x) {
      if (x + radius < width)
        for (int c = 0; c < channels; ++c) sum[c] += in[(x + radius) * channels + c];
      if (x - radius - 1 >= 0)
        for (int c = 0; c < channels; ++c) sum[c] -= in[(x - radius - 1) * channels + c];
      const int count = std::min(x + radius, width - 1) - std::max(x - radius, 0) + 1;
      for (int c = 0; c < channels; ++c) h[x * channels + c] = static_cast<float>(sum[c] / count);
    }
  }
  std::vector<double> column_sum(row, 0.0);
  for (int y = 0; y < std::min(radius, height); ++y)
    for (size_t i = 0; i < row; ++i) column_sum[i] += horizontal[y * row + i];
  for (int y = 0; y < height; ++y) {
    if (y + radius < height)
      for (size_t i = 0; i < row; ++i) column_sum[i] += horizontal[(y + radius) * row + i];
    if (y - radius - 1 >= 0)
      for (size_t i = 0; i < row; ++i) column_sum[i] -= horizontal[(y - radius - 1) * row + i];
    const double count = std::min(y + radius, height - 1) - std::max(y - radius, 0) + 1;
    float* o = &out[y * row];
    for (size_t i = 0; i < row; ++i) o[i] = static_cast<float>(column_sum[i] / count);
  }
  return out;
}

Matte upsample_bilinear(const Matte& low, int width, int height) {
  Matte out;
  out.width = width;
  out.height = height;
  out.alpha = resize_bilinear(low.alpha, low.width, low.height, 1, width, height);
  return out;
}

Matte upsample_guided(const Matte& low, const RgbImage& guide_low, const RgbImage& guide,
                      int radius, float epsilon) {
  const size_t n = low.alpha.size();
  // Window means of I, p, I*p and the six distinct products I_i*I_j, in one pass.
  constexpr int kStats = 13;
  std::vector<float> stats(n * kStats);
  for (size_t i = 0; i < n; ++i) {
    const float* I = &guide_low.rgb[i * 3];
    const float p = low.alpha[i];
    float* s = &stats[i * kStats];
    s[0] = I[0], s[1] = I[1], s[2] = I[2], s[3] = p;
    s[4] = I[0] * p, s[5] = I[1] * p, s[6] = I[2] * p;
    s[7] = I[0] * I[0], s[8] = I[0] * I[1], s[9] = I[0] * I[2];
    s[10] = I[1] * I[1], s[11] = I[1] * I[2], s[12] = I[2] * I[2];
  }
  stats = box_mean(stats, low.width, low.height, kStats, radius);

  // Per window, the linear model alpha = a . I + b that fits best (ridge regression).
  std::vector<float> coefficients(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float* s = &stats[i * kStats];
    const double mr = s[0], mg = s[1], mb = s[2], mp = s[3];
    const double cr = s[4] - mr * mp, cg = s[5] - mg * mp, cb = s[6] - mb * mp;
    const double rr = s[7] - mr * mr + epsilon, rg = s[8] - mr * mg, rb = s[9] - mr * mb;
    const double gg = s[10] - mg * mg + epsilon, gb = s[11] - mg * mb, bb = s[12] - mb * mb + epsilon;
    // Inverse of the symmetric covariance matrix by cofactors.
    const double i_rr = gg * bb - gb * gb, i_rg = gb * rb - rg * bb, i_rb = rg * gb - gg * rb;
    const double i_gg = rr * bb - rb * rb, i_gb = rb * rg - rr * gb, i_bb = rr * gg - rg * rg;
    const double det = rr * i_rr + rg * i_rg + rb * i_rb;
    const double ar = (i_rr * cr + i_rg * cg + i_rb * cb) / det;
    const double ag = (i_rg * cr + i_gg * cg + i_gb * cb) / det;
    const double ab = (i_rb * cr + i_gb * cg + i_bb * cb) / det;
    float* c = &coefficients[i * 4];
    c[0] = static_cast<float>(ar), c[1] = static_cast<float>(ag), c[2] = static_cast<float>(ab);
    c[3] = static_cast<float>(mp - ar * mr - ag * mg - ab * mb);
  }
  coefficients = box_mean(coefficients, low.width, low.height, 4, radius);
  coefficients =
      resize_bilinear(coefficients, low.width, low.height, 4, guide.width, guide.height);

  Matte out(guide.width, guide.height);
  for (size_t i = 0; i < out.alpha.size(); ++i) {
    const float* c = &coefficients[i * 4];
    const float* I = &guide.rgb[i * 3];
    out.alpha[i] = std::clamp(c[0] * I[0] + c[1] * I[1] + c[2] * I[2] + c[3], 0.0f, 1.0f);
  }
  return out;
}

namespace {

// One blur-fusion step: returns the new foreground and writes the blurred background.
RgbImage blur_fusion(const RgbImage& image, const RgbImage& foreground,
                     const std::vector<float>& background, const Matte& alpha, int radius,
                     std::vector<float>& blurred_background) {
  const size_t n = alpha.alpha.size();
  std::vector<float> weighted(n * 7);
  for (size_t i = 0; i < n; ++i) {
    const float a = alpha.alpha[i];
    float* w = &weighted[i * 7];
    for (int c = 0; c < 3; ++c) {
      w[c] = foreground.rgb[i * 3 + c] * a;
      w[3 + c] = background[i * 3 + c] * (1.0f - a);
    }
    w[6] = a;
  }
  weighted = box_mean(weighted, alpha.width, alpha.height, 7, radius);

  RgbImage out(alpha.width, alpha.height);
  blurred_background.resize(n * 3);
  for (size_t i = 0; i < n; ++i) {
    const float* w = &weighted[i * 7];
    const float a = alpha.alpha[i];
    for (int c = 0; c < 3; ++c) {
      const float f = w[c] / (w[6] + 1e-5f);
      const float b = w[3 + c] / (1.0f - w[6] + 1e-5f);
      blurred_background[i * 3 + c] = b;
      const float residual = image.rgb[i * 3 + c] - a * f - (1.0f - a) * b;
      out.rgb[i * 3 + c] = std::clamp(f + a * residual, 0.0f, 1.0f);
    }
  }
  return out;
}

}  // namespace

RgbImage estimate_foreground(const RgbImage& image, const Matte& alpha) {
  std::vector<float> blurred_background;
  // A wide pass gathers the colours of each side; a narrow one corrects them locally.
  const RgbImage coarse = blur_fusion(image, image, image.rgb, alpha, 90, blurred_background);
  std::vector<float> unused;
  return blur_fusion(image, coarse, blurred_background, alpha, 6, unused);
}

}  // namespace rmbg
