#pragma once
// Bringing the model's low-resolution alpha to the photograph's resolution, and estimating the
// true colour of the subject where it is blended with the old background. Everything here keeps
// its data at (about) model resolution and computes full-resolution pixels a span or a rectangle
// at a time, so that a photograph of any size is refined in bounded memory.
#include <span>
#include <vector>

#include "rmbg/matte.hpp"

namespace rmbg {

// Interleaved float planes (1, 4 or 6 channels) read back bilinearly at a larger size, pixel
// centres aligned.
class Upsampled {
 public:
  Upsampled(std::vector<float> planes, int width, int height, int channels, int out_width, int out_height);
  int channels() const { return channels_; }
  // Pixels x0 .. x0 + count - 1 of row y of the larger size, `channels` floats each.
  void span(int y, int x0, int count, float* out) const;

 private:
  struct Tap {
    int i0, i1;
    float w1;
  };
  static std::vector<Tap> taps(int size, int out_size);
  template <int Channels>
  void span_of(int y, int x0, int count, float* out) const;

  std::vector<float> planes_;
  int width_, channels_;
  std::vector<Tap> xs_, ys_;
};

// The model's alpha at the photograph's resolution.
class AlphaField {
 public:
  // The low-resolution alpha stretched bilinearly to width x height.
  static AlphaField stretched(const Matte& low, int width, int height);
  // Fast guided filter: linear coefficients fitted at low resolution between `guide_low` (the
  // photograph at the matte's size) and the matte, applied to the full-resolution photograph.
  // The defaults were chosen with `rmbg eval`: a small window and little regularisation beat a
  // plain stretch on every evaluation set; wider windows or more regularisation blur the edges.
  static AlphaField guided(const Matte& low, const RgbImage& guide_low, int width, int height,
                           int radius = 1, float epsilon = 1e-5f);

  // Alpha of pixels x0 .. x0 + count - 1 of row y; `guide` holds the photograph's RGB (0..1,
  // interleaved) at those pixels. A stretched field does not read it.
  void span(int y, int x0, int count, const float* guide, float* alpha) const;

 private:
  AlphaField(Upsampled values, bool guided) : values_(std::move(values)), guided_(guided) {}
  Upsampled values_;  // the alpha itself, or the coefficients a_r, a_g, a_b, b
  bool guided_;
};

// Alpha below `low` becomes 0, above `high` 1, and the values between are stretched over 0..1.
// The model leaves a faint haze over the background and a not-quite-opaque subject: that is its
// uncertainty, not transparency. 0.05 / 0.95 lowered the error on every evaluation set without
// losing any max F-measure; wider limits start to erase faint hair.
struct SnapLimits {
  float low = 0.05f;
  float high = 0.95f;
};
void snap_certain(std::span<float> alpha, SnapLimits limits = {});

// The share of pixels whose alpha lies strictly between the limits of snap_certain(): how unsure
// the model was of a view of the photograph. When the model takes the wrong object, or half of
// it, its alpha is hazy over large areas, and another view of the photograph often helps
// (docs/ACCURACY.md).
double uncertain_share(std::span<const float> alpha, float low = 0.05f, float high = 0.95f);

// Two alphas of the same photograph at the same size, from two views of it: at each pixel the
// value further from 0.5, i.e. the view surer of that pixel. Where one view missed part of the
// subject or took a background object half for it, the other often decides clearly.
Matte surer_per_pixel(const Matte& first, const Matte& second);
// The same two alphas' mean at each pixel.
Matte mean_per_pixel(const Matte& first, const Matte& second);

// Closed-form matting (Levin et al. 2008) in the model's uncertain band: pixels whose alpha lies
// strictly between the band's limits, grown by a pixel, are solved for so that alpha is locally
// a linear function of colour (3x3 windows); the others become 0 or 1. `image` is the photograph
// at the alpha's size. What it gave on the evaluation sets: docs/ACCURACY.md.
struct ClosedFormOptions {
  SnapLimits band;
  float epsilon = 1e-7f;  // regularisation of each window's colour covariance (0..1 colours)
  int iterations = 200;   // of preconditioned conjugate gradients, at most
};
Matte solve_uncertain_band(const Matte& alpha, const RgbImage& image, const ClosedFormOptions& options = {});

// Colour of the subject alone at every pixel, so that compositing the cut-out on any background
// shows no fringe of the old one (blur-fusion foreground estimation, two passes). The wide pass
// gathers the colours of each side of an edge from block means of the whole photograph; the
// narrow pass corrects them locally and runs on any rectangle given a margin around it.
class ForegroundEstimator {
 public:
  static constexpr int kMargin = 6;  // the narrow pass's radius

  // The side of the blocks whose means the wide pass runs on: the pass is smooth, so it runs at
  // most at about 1024 pixels a side.
  static int block_size(int width, int height);
  // `image_blocks` and `alpha_blocks`: the photograph (width x height) and its alpha over blocks
  // of block_size(width, height) pixels a side, with a block for the part-blocks at the right and
  // bottom: the mean colour of each block, and its mean alpha or a close estimate of it (what a
  // block holds hardly matters to a pass this wide).
  ForegroundEstimator(const RgbImage& image_blocks, const Matte& alpha_blocks, int width, int height);

  // The foreground (RGB, interleaved) of the pixels of `inner`. `image` (RGB) and `alpha` cover
  // `outer`: `inner` grown by kMargin on every side, as far as the photograph goes.
  void estimate(const Region& outer, const float* image, const float* alpha, const Region& inner,
                float* foreground) const;

 private:
  int width_, height_;
  Upsampled wide_;  // subject and background colours near each pixel, six channels
};

// Mean over a (2r+1)^2 window, clipped at the borders; `channels` interleaved planes.
std::vector<float> box_mean(const std::vector<float>& values, int width, int height, int channels, int radius);

}  // namespace rmbg
