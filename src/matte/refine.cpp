#include "rmbg/refine.hpp"

#include <algorithm>
#include <cmath>

#include "bands.hpp"
#include "rmbg/error.hpp"

namespace rmbg {

Upsampled::Upsampled(std::vector<float> planes, int width, int height, int channels, int out_width,
                     int out_height)
    : planes_(std::move(planes)), width_(width), channels_(channels), xs_(taps(width, out_width)),
      ys_(taps(height, out_height)) {
  if (channels != 1 && channels != 4 && channels != 6)
    throw Error(ErrorCode::invalid_argument, "Upsampled takes 1, 4 or 6 channels");
}

std::vector<Upsampled::Tap> Upsampled::taps(int size, int out_size) {
  std::vector<Tap> t(out_size);
  const float scale = static_cast<float>(size) / out_size;
  for (int d = 0; d < out_size; ++d) {
    const float s = std::clamp((d + 0.5f) * scale - 0.5f, 0.0f, static_cast<float>(size - 1));
    const int i0 = static_cast<int>(s);
    t[d] = {i0, std::min(i0 + 1, size - 1), s - i0};
  }
  return t;
}

// With the channel count known to the compiler, which then unrolls the channels: the refinement
// reads every full-resolution pixel through this, for the alpha's four coefficients and for the
// foreground's six wide colours.
template <int Channels>
void Upsampled::span_of(int y, int x0, int count, float* out) const {
  const float* r0 = &planes_[static_cast<size_t>(ys_[y].i0) * width_ * Channels];
  const float* r1 = &planes_[static_cast<size_t>(ys_[y].i1) * width_ * Channels];
  const float wy = ys_[y].w1;
  for (int i = 0; i < count; ++i) {
    const Tap& tx = xs_[x0 + i];
    const float *a0 = r0 + tx.i0 * Channels, *b0 = r0 + tx.i1 * Channels;
    const float *a1 = r1 + tx.i0 * Channels, *b1 = r1 + tx.i1 * Channels;
    for (int c = 0; c < Channels; ++c) {
      const float top = a0[c] + (b0[c] - a0[c]) * tx.w1;
      const float bottom = a1[c] + (b1[c] - a1[c]) * tx.w1;
      out[i * Channels + c] = top + (bottom - top) * wy;
    }
  }
}

void Upsampled::span(int y, int x0, int count, float* out) const {
  switch (channels_) {
    case 1: return span_of<1>(y, x0, count, out);
    case 4: return span_of<4>(y, x0, count, out);
    default: return span_of<6>(y, x0, count, out);  // the constructor allows no other count
  }
}

namespace {

// Window means along one line of items of `item` floats each (a pixel's weighed channels, or a
// whole row of them): for every position i of [first, first + count), the mean of `in` over the
// window [i - r, i + r] clipped to 0 .. size - 1, in the photograph's coordinates. `in` holds the
// positions from `in_first` on; `sum` is scratch space.
void window_means(const float* in, int in_first, size_t item, int first, int count, int size, int r,
                  std::vector<double>& sum, float* out) {
  sum.assign(item, 0.0);
  int lo = std::max(0, first - r), hi = lo - 1;  // the window summed so far: lo .. hi
  for (int i = first; i < first + count; ++i) {
    const int want_lo = std::max(0, i - r), want_hi = std::min(size - 1, i + r);
    for (; hi < want_hi; ++hi) {
      const float* add = &in[(hi + 1 - in_first) * item];
      for (size_t c = 0; c < item; ++c) sum[c] += add[c];
    }
    for (; lo < want_lo; ++lo) {
      const float* remove = &in[(lo - in_first) * item];
      for (size_t c = 0; c < item; ++c) sum[c] -= remove[c];
    }
    const double n = want_hi - want_lo + 1;
    float* o = &out[(i - first) * item];
    for (size_t c = 0; c < item; ++c) o[c] = static_cast<float>(sum[c] / n);
  }
}

// Window means over (2r+1)^2 windows clipped at the borders, of rows made one at a time:
// `fill(y, row)` writes row y (`channels` interleaved values per pixel), and `use(y, means)`
// receives row y's means, for the rows of a band first_row .. end_row - 1. Rows are asked for
// in order and each once (the band's and r above and below it); only 2r+1 of them are held, so
// the planes of statistics behind a mean are never stored whole.
template <class Fill, class Use>
void box_mean_band(int width, int height, int channels, int radius, int first_row, int end_row, const Fill& fill,
                   const Use& use) {
  const size_t row = static_cast<size_t>(width) * channels;
  const int window = 2 * radius + 1;
  std::vector<float> made(row), means(row);
  std::vector<float> across(static_cast<size_t>(std::min(window, height)) * row);  // a ring of rows
  std::vector<double> sum, down(row, 0.0);
  int next = std::max(0, first_row - radius), first = next;  // `down` sums the means across rows first .. next - 1
  for (int y = first_row; y < end_row; ++y) {
    const int lo = std::max(0, y - radius), hi = std::min(height - 1, y + radius);
    for (; first < lo; ++first) {
      const float* leaving = &across[(first % window) * row];
      for (size_t i = 0; i < row; ++i) down[i] -= leaving[i];
    }
    for (; next <= hi; ++next) {
      fill(next, made.data());
      float* entering = &across[(next % window) * row];
      window_means(made.data(), 0, channels, 0, width, width, radius, sum, entering);
      for (size_t i = 0; i < row; ++i) down[i] += entering[i];
    }
    const double n = hi - lo + 1;
    for (size_t i = 0; i < row; ++i) means[i] = static_cast<float>(down[i] / n);
    use(y, means.data());
  }
}

// The same over all rows, in bands on every core: `fill` and `use` are called from several
// threads at once, for different rows.
template <class Fill, class Use>
void box_mean_rows(int width, int height, int channels, int radius, const Fill& fill, const Use& use) {
  in_bands(height, 4 * radius + 16, [&](int first_row, int end_row) {
    box_mean_band(width, height, channels, radius, first_row, end_row, fill, use);
  });
}

}  // namespace

std::vector<float> box_mean(const std::vector<float>& values, int width, int height, int channels, int radius) {
  const size_t row = static_cast<size_t>(width) * channels;
  std::vector<float> out(values.size());
  box_mean_rows(
      width, height, channels, radius, [&](int y, float* made) { std::copy_n(&values[y * row], row, made); },
      [&](int y, const float* means) { std::copy_n(means, row, &out[y * row]); });
  return out;
}

AlphaField AlphaField::stretched(const Matte& low, int width, int height) {
  return AlphaField(Upsampled(low.alpha, low.width, low.height, 1, width, height), false);
}

AlphaField AlphaField::guided(const Matte& low, const RgbImage& guide_low, int width, int height,
                              int radius, float epsilon) {
  const int w = low.width;
  std::vector<float> coefficients(low.alpha.size() * 4);
  // Per pixel, I, p, I*p and the six distinct products I_i*I_j, made a row at a time ...
  constexpr int kStats = 13;
  const auto statistics = [&](int y, float* row) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      const float* I = &guide_low.rgb[i * 3];
      const float p = low.alpha[i];
      float* s = &row[x * kStats];
      s[0] = I[0], s[1] = I[1], s[2] = I[2], s[3] = p;
      s[4] = I[0] * p, s[5] = I[1] * p, s[6] = I[2] * p;
      s[7] = I[0] * I[0], s[8] = I[0] * I[1], s[9] = I[0] * I[2];
      s[10] = I[1] * I[1], s[11] = I[1] * I[2], s[12] = I[2] * I[2];
    }
  };
  // ... and from their window means, per window, the linear model alpha = a . I + b that fits
  // best (ridge regression).
  const auto fit = [&](int y, const float* means) {
    for (int x = 0; x < w; ++x) {
      const float* s = &means[x * kStats];
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
      float* c = &coefficients[(static_cast<size_t>(y) * w + x) * 4];
      c[0] = static_cast<float>(ar), c[1] = static_cast<float>(ag), c[2] = static_cast<float>(ab);
      c[3] = static_cast<float>(mp - ar * mr - ag * mg - ab * mb);
    }
  };
  box_mean_rows(w, low.height, kStats, radius, statistics, fit);
  // The smooth coefficients go to full resolution; the detail comes from the photograph.
  return AlphaField(Upsampled(box_mean(coefficients, w, low.height, 4, radius),
                              w, low.height, 4, width, height),
                    true);
}

void AlphaField::span(int y, int x0, int count, const float* guide, float* alpha) const {
  if (!guided_) return values_.span(y, x0, count, alpha);
  constexpr int kChunk = 256;  // coefficients of this many pixels at a time, on the stack
  float c[kChunk * 4];
  for (int start = 0; start < count; start += kChunk) {
    const int n = std::min(kChunk, count - start);
    values_.span(y, x0 + start, n, c);
    for (int i = 0; i < n; ++i) {
      const float* k = &c[i * 4];
      const float* I = &guide[(start + i) * 3];
      alpha[start + i] = std::clamp(k[0] * I[0] + k[1] * I[1] + k[2] * I[2] + k[3], 0.0f, 1.0f);
    }
  }
}

void snap_certain(std::span<float> alpha, SnapLimits limits) {
  const float scale = 1.0f / (limits.high - limits.low);
  for (float& a : alpha) a = std::clamp((a - limits.low) * scale, 0.0f, 1.0f);
}

double uncertain_share(std::span<const float> alpha, float low, float high) {
  if (alpha.empty()) return 0.0;
  const auto unsure = std::count_if(alpha.begin(), alpha.end(), [&](float a) { return a > low && a < high; });
  return static_cast<double>(unsure) / alpha.size();
}

namespace {

// `first` with each pixel replaced by merge(its value, second's value).
template <typename PixelMerge>
Matte merged(const Matte& first, const Matte& second, PixelMerge merge) {
  if (first.width != second.width || first.height != second.height)
    throw Error(ErrorCode::invalid_argument, "two alphas of different sizes cannot be merged");
  Matte out = first;
  for (size_t i = 0; i < out.alpha.size(); ++i) out.alpha[i] = merge(first.alpha[i], second.alpha[i]);
  return out;
}

}  // namespace

Matte surer_per_pixel(const Matte& first, const Matte& second) {
  return merged(first, second, [](float a, float b) { return std::abs(b - 0.5f) > std::abs(a - 0.5f) ? b : a; });
}

Matte mean_per_pixel(const Matte& first, const Matte& second) {
  return merged(first, second, [](float a, float b) { return 0.5f * (a + b); });
}

namespace {

constexpr int kWideRadius = 90;      // gathers the colours of each side of an edge
constexpr int kWidePassSize = 1024;  // the wide pass is smooth: it runs at most at this size
constexpr int kWeighed = 7;          // F * alpha, B * (1 - alpha), alpha

void weigh(const float* foreground, const float* background, float alpha, float* weighed) {
  for (int c = 0; c < 3; ++c) {
    weighed[c] = foreground[c] * alpha;
    weighed[3 + c] = background[c] * (1.0f - alpha);
  }
  weighed[6] = alpha;
}

// The colours of the subject and of the background near a pixel, from window means of what weigh()
// gives: six channels, F then B.
void colours_of(const float* mean, float* colours) {
  for (int c = 0; c < 3; ++c) {
    colours[c] = mean[c] / (mean[6] + 1e-5f);
    colours[3 + c] = mean[3 + c] / (1.0f - mean[6] + 1e-5f);
  }
}

// The foreground that explains the pixel best given the colours around it:
// F = F_blur + alpha (I - alpha F_blur - (1 - alpha) B_blur).
void correct(const float* image, const float* colours, float alpha, float* foreground, float* background) {
  for (int c = 0; c < 3; ++c) {
    const float f = colours[c], b = colours[3 + c];
    foreground[c] = std::clamp(f + alpha * (image[c] - alpha * f - (1.0f - alpha) * b), 0.0f, 1.0f);
    if (background) background[c] = b;
  }
}

std::vector<float> wide_colours(const RgbImage& image, const Matte& alpha, int radius) {
  const int w = alpha.width;
  std::vector<float> colours(alpha.alpha.size() * 6);
  box_mean_rows(
      w, alpha.height, kWeighed, radius,
      [&](int y, float* row) {
        for (int x = 0; x < w; ++x) {
          const size_t i = static_cast<size_t>(y) * w + x;
          weigh(&image.rgb[i * 3], &image.rgb[i * 3], alpha.alpha[i], &row[x * kWeighed]);
        }
      },
      [&](int y, const float* means) {
        for (int x = 0; x < w; ++x)
          colours_of(&means[x * kWeighed], &colours[(static_cast<size_t>(y) * w + x) * 6]);
      });
  return colours;
}

}  // namespace

int ForegroundEstimator::block_size(int width, int height) {
  return std::max(1, (std::max(width, height) + kWidePassSize - 1) / kWidePassSize);
}

ForegroundEstimator::ForegroundEstimator(const RgbImage& image_blocks, const Matte& alpha_blocks,
                                         int width, int height)
    : width_(width), height_(height),
      wide_(wide_colours(image_blocks, alpha_blocks, std::max(1, kWideRadius / block_size(width, height))),
            alpha_blocks.width, alpha_blocks.height, 6, width, height) {}

void ForegroundEstimator::estimate(const Region& outer, const float* image, const float* alpha,
                                   const Region& inner, float* foreground) const {
  // Where every pixel within reach is transparent, the estimate below is black; where every one
  // is opaque, it is the photograph itself. Most of a photograph is one or the other.
  const size_t within_reach = static_cast<size_t>(outer.width) * outer.height;
  const bool transparent = std::all_of(alpha, alpha + within_reach, [](float a) { return a <= 0.0f; });
  if (transparent || std::all_of(alpha, alpha + within_reach, [](float a) { return a >= 1.0f; })) {
    const size_t row = static_cast<size_t>(inner.width) * 3;
    for (int y = 0; y < inner.height; ++y) {
      float* out = &foreground[y * row];
      const size_t from = (static_cast<size_t>(inner.top - outer.top + y) * outer.width + inner.left - outer.left) * 3;
      if (transparent)
        std::fill_n(out, row, 0.0f);
      else
        std::copy_n(&image[from], row, out);
    }
    return;
  }
  // Coarse foreground and background from the wide pass at every pixel of `outer`, weighed.
  const size_t ow = outer.width;
  std::vector<float> weighed(ow * outer.height * kWeighed);
  std::vector<float> wide(ow * 6);
  for (int y = 0; y < outer.height; ++y) {
    wide_.span(outer.top + y, outer.left, outer.width, wide.data());
    for (size_t x = 0; x < ow; ++x) {
      const size_t i = y * ow + x;
      float f[3], b[3];
      correct(&image[i * 3], &wide[x * 6], alpha[i], f, b);
      weigh(f, b, alpha[i], &weighed[i * kWeighed]);
    }
  }
  // Narrow window means for the pixels of `inner`: along the rows of `outer`, then down the columns.
  const size_t iw = inner.width;
  std::vector<double> sum;
  std::vector<float> across(static_cast<size_t>(outer.height) * iw * kWeighed);
  for (int y = 0; y < outer.height; ++y)
    window_means(&weighed[y * ow * kWeighed], outer.left, kWeighed, inner.left, inner.width, width_,
                 kMargin, sum, &across[y * iw * kWeighed]);
  std::vector<float> means(iw * inner.height * kWeighed);
  window_means(across.data(), outer.top, iw * kWeighed, inner.top, inner.height, height_, kMargin, sum,
               means.data());

  for (int y = 0; y < inner.height; ++y)
    for (size_t x = 0; x < iw; ++x) {
      const size_t o = (inner.top - outer.top + y) * ow + (inner.left - outer.left + x);
      const size_t i = y * iw + x;
      float colours[6];
      colours_of(&means[i * kWeighed], colours);
      correct(&image[o * 3], colours, alpha[o], &foreground[i * 3], nullptr);
    }
}

}  // namespace rmbg
