#include "rmbg/refine.hpp"

#include <algorithm>
#include <cmath>

namespace rmbg {
namespace {

// Bilinear sampling of interleaved float planes at another size, pixel centres aligned, one
// output row at a time so that a full-resolution copy is never needed.
class BilinearRows {
 public:
  BilinearRows(const std::vector<float>& src, int sw, int sh, int channels, int dw, int dh)
      : src_(src), sw_(sw), channels_(channels), xs_(taps(sw, dw)), ys_(taps(sh, dh)) {}

  void row(int y, float* out) const {
    const float* r0 = &src_[static_cast<size_t>(ys_[y].i0) * sw_ * channels_];
    const float* r1 = &src_[static_cast<size_t>(ys_[y].i1) * sw_ * channels_];
    const float wy = ys_[y].w1;
    for (size_t x = 0; x < xs_.size(); ++x) {
      const int a = xs_[x].i0 * channels_, b = xs_[x].i1 * channels_;
      const float wx = xs_[x].w1;
      for (int c = 0; c < channels_; ++c) {
        const float top = r0[a + c] + (r0[b + c] - r0[a + c]) * wx;
        const float bottom = r1[a + c] + (r1[b + c] - r1[a + c]) * wx;
        out[x * channels_ + c] = top + (bottom - top) * wy;
      }
    }
  }

 private:
  struct Tap {
    int i0, i1;
    float w1;
  };
  static std::vector<Tap> taps(int src_size, int dst_size) {
    std::vector<Tap> t(dst_size);
    const float scale = static_cast<float>(src_size) / dst_size;
    for (int d = 0; d < dst_size; ++d) {
      const float s = std::clamp((d + 0.5f) * scale - 0.5f, 0.0f, static_cast<float>(src_size - 1));
      const int i0 = static_cast<int>(s);
      t[d] = {i0, std::min(i0 + 1, src_size - 1), s - i0};
    }
    return t;
  }

  const std::vector<float>& src_;
  int sw_, channels_;
  std::vector<Tap> xs_, ys_;
};

// Mean of each factor x factor block (partial blocks at the edges average what they have).
std::vector<float> shrink_box(const std::vector<float>& src, int w, int h, int channels, int factor) {
  const int lw = (w + factor - 1) / factor, lh = (h + factor - 1) / factor;
  std::vector<float> sum(static_cast<size_t>(lw) * lh * channels, 0.0f);
  std::vector<int> count(static_cast<size_t>(lw) * lh, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t block = static_cast<size_t>(y / factor) * lw + x / factor;
      ++count[block];
      for (int c = 0; c < channels; ++c) sum[block * channels + c] += src[(static_cast<size_t>(y) * w + x) * channels + c];
    }
  for (size_t i = 0; i < count.size(); ++i)
    for (int c = 0; c < channels; ++c) sum[i * channels + c] /= count[i];
  return sum;
}

}  // namespace

std::vector<float> box_mean(std::vector<float> values, int width, int height, int channels, int radius) {
  const size_t row = static_cast<size_t>(width) * channels;
  std::vector<float> horizontal(values.size());
  std::vector<double> sum(channels);
  for (int y = 0; y < height; ++y) {
    const float* in = &values[y * row];
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
  // The vertical pass writes over the input, which is no longer needed.
  std::vector<double> column_sum(row, 0.0);
  for (int y = 0; y < std::min(radius, height); ++y)
    for (size_t i = 0; i < row; ++i) column_sum[i] += horizontal[y * row + i];
  for (int y = 0; y < height; ++y) {
    if (y + radius < height)
      for (size_t i = 0; i < row; ++i) column_sum[i] += horizontal[(y + radius) * row + i];
    if (y - radius - 1 >= 0)
      for (size_t i = 0; i < row; ++i) column_sum[i] -= horizontal[(y - radius - 1) * row + i];
    const double count = std::min(y + radius, height - 1) - std::max(y - radius, 0) + 1;
    float* o = &values[y * row];
    for (size_t i = 0; i < row; ++i) o[i] = static_cast<float>(column_sum[i] / count);
  }
  return values;
}

Matte upsample_bilinear(const Matte& low, int width, int height) {
  Matte out(width, height);
  const BilinearRows rows(low.alpha, low.width, low.height, 1, width, height);
  for (int y = 0; y < height; ++y) rows.row(y, &out.alpha[static_cast<size_t>(y) * width]);
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
  stats = box_mean(std::move(stats), low.width, low.height, kStats, radius);

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
  coefficients = box_mean(std::move(coefficients), low.width, low.height, 4, radius);

  // The smooth coefficients go to full resolution; the detail comes from the photograph.
  Matte out(guide.width, guide.height);
  const BilinearRows rows(coefficients, low.width, low.height, 4, guide.width, guide.height);
  std::vector<float> row(static_cast<size_t>(guide.width) * 4);
  for (int y = 0; y < guide.height; ++y) {
    rows.row(y, row.data());
    for (int x = 0; x < guide.width; ++x) {
      const float* c = &row[x * 4];
      const float* I = guide.pixel(x, y);
      out.at(x, y) = std::clamp(c[0] * I[0] + c[1] * I[1] + c[2] * I[2] + c[3], 0.0f, 1.0f);
    }
  }
  return out;
}

void snap_certain(Matte& matte, float low, float high) {
  const float scale = 1.0f / (high - low);
  for (float& a : matte.alpha) a = std::clamp((a - low) * scale, 0.0f, 1.0f);
}

namespace {

constexpr int kWideRadius = 90;  // gathers the colours of each side of an edge
constexpr int kNarrowRadius = 6;  // corrects them locally
constexpr int kWidePassSize = 1024;  // the wide pass is smooth: it runs at most at this size

// Window means of F weighted by alpha and of B weighted by 1 - alpha: the colours of the subject
// and of the background near each pixel. Six interleaved channels, F then B.
std::vector<float> blurred_colours(const std::vector<float>& foreground, const std::vector<float>& background,
                                   const std::vector<float>& alpha, int width, int height, int radius) {
  const size_t n = alpha.size();
  std::vector<float> weighted(n * 7);
  for (size_t i = 0; i < n; ++i) {
    const float a = alpha[i];
    float* w = &weighted[i * 7];
    for (int c = 0; c < 3; ++c) {
      w[c] = foreground[i * 3 + c] * a;
      w[3 + c] = background[i * 3 + c] * (1.0f - a);
    }
    w[6] = a;
  }
  weighted = box_mean(std::move(weighted), width, height, 7, radius);
  std::vector<float> colours(n * 6);
  for (size_t i = 0; i < n; ++i) {
    const float* w = &weighted[i * 7];
    for (int c = 0; c < 3; ++c) {
      colours[i * 6 + c] = w[c] / (w[6] + 1e-5f);
      colours[i * 6 + 3 + c] = w[3 + c] / (1.0f - w[6] + 1e-5f);
    }
  }
  return colours;
}

// The foreground that explains the pixel best given the blurred colours around it:
// F = F_blur + alpha (I - alpha F_blur - (1 - alpha) B_blur).
void correct(const float* image, const float* colours, float alpha, float* foreground, float* background) {
  for (int c = 0; c < 3; ++c) {
    const float f = colours[c], b = colours[3 + c];
    foreground[c] = std::clamp(f + alpha * (image[c] - alpha * f - (1.0f - alpha) * b), 0.0f, 1.0f);
    if (background) background[c] = b;
  }
}

}  // namespace

RgbImage estimate_foreground(const RgbImage& image, const Matte& alpha) {
  const int w = image.width, h = image.height;
  // Wide pass: on a box-shrunk copy when the photograph is large, brought back row by row.
  const int factor = std::max(1, (std::max(w, h) + kWidePassSize - 1) / kWidePassSize);
  const int lw = (w + factor - 1) / factor, lh = (h + factor - 1) / factor;
  const std::vector<float> low_image = factor > 1 ? shrink_box(image.rgb, w, h, 3, factor) : image.rgb;
  const std::vector<float> low_alpha = factor > 1 ? shrink_box(alpha.alpha, w, h, 1, factor) : alpha.alpha;
  const std::vector<float> wide =
      blurred_colours(low_image, low_image, low_alpha, lw, lh, std::max(1, kWideRadius / factor));

  RgbImage coarse(w, h);
  std::vector<float> background(coarse.rgb.size());
  const BilinearRows rows(wide, lw, lh, 6, w, h);
  std::vector<float> row(static_cast<size_t>(w) * 6);
  for (int y = 0; y < h; ++y) {
    rows.row(y, row.data());
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      correct(&image.rgb[i * 3], &row[x * 6], alpha.alpha[i], &coarse.rgb[i * 3], &background[i * 3]);
    }
  }

  // Narrow pass at full resolution, from the coarse estimate.
  const std::vector<float> narrow = blurred_colours(coarse.rgb, background, alpha.alpha, w, h, kNarrowRadius);
  RgbImage out(w, h);
  for (size_t i = 0; i < alpha.alpha.size(); ++i)
    correct(&image.rgb[i * 3], &narrow[i * 6], alpha.alpha[i], &out.rgb[i * 3], nullptr);
  return out;
}

}  // namespace rmbg
