#include "rmbg/refine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace rmbg {
namespace {

// A scene with a known answer: a soft-edged disc with thin strands reaching out of it, in a
// smooth colour, over a textured background.
struct Scene {
  Matte alpha;
  RgbImage foreground, background, image;
};

Scene make_scene(int w, int h) {
  Scene s{Matte(w, h), RgbImage(w, h), RgbImage(w, h), RgbImage(w, h)};
  const float cx = w * 0.5f, cy = h * 0.5f, radius = h * 0.3f;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float dx = x - cx, dy = y - cy;
      const float d = std::sqrt(dx * dx + dy * dy);
      float a = std::clamp((radius - d) / 3.0f + 0.5f, 0.0f, 1.0f);
      const float angle = std::atan2(dy, dx);
      // Twelve strands, about a pixel wide, out to 1.4 radii.
      const float strand = std::abs(std::sin(angle * 6.0f)) * d;
      if (d > radius && d < radius * 1.4f && strand < 1.0f) a = std::max(a, 0.7f * (1.0f - strand));
      s.alpha.at(x, y) = a;
      const float f[3] = {0.85f + 0.05f * std::sin(y * 0.01f), 0.55f, 0.25f};
      const float t = 0.5f + 0.25f * std::sin(x * 0.21f) * std::cos(y * 0.17f);
      const float b[3] = {0.2f * t, 0.45f + 0.3f * t, 0.35f * (1 - t) + 0.2f};
      for (int c = 0; c < 3; ++c) {
        s.foreground.pixel(x, y)[c] = f[c];
        s.background.pixel(x, y)[c] = b[c];
        s.image.pixel(x, y)[c] = f[c] * a + b[c] * (1 - a);
      }
    }
  return s;
}

// Box-average downscale by an integer factor: what a model sees of the scene, at its resolution.
std::vector<float> shrink(const std::vector<float>& src, int w, int h, int channels, int factor) {
  const int lw = w / factor, lh = h / factor;
  std::vector<float> out(static_cast<size_t>(lw) * lh * channels, 0.0f);
  for (int y = 0; y < lh * factor; ++y)
    for (int x = 0; x < lw * factor; ++x)
      for (int c = 0; c < channels; ++c)
        out[((y / factor) * lw + x / factor) * channels + c] +=
            src[(static_cast<size_t>(y) * w + x) * channels + c] / (factor * factor);
  return out;
}

double mean_abs_error(const Matte& a, const Matte& b) {
  double sum = 0;
  for (size_t i = 0; i < a.alpha.size(); ++i) sum += std::abs(a.alpha[i] - b.alpha[i]);
  return sum / a.alpha.size();
}

TEST(BoxMean, MatchesBruteForceWithClippedBorders) {
  const int w = 13, h = 9, channels = 2, r = 3;
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(0, 1);
  std::vector<float> src(w * h * channels);
  for (float& v : src) v = uniform(random);
  const auto out = box_mean(src, w, h, channels, r);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        double sum = 0;
        int n = 0;
        for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
          for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx, ++n)
            sum += src[(yy * w + xx) * channels + c];
        ASSERT_NEAR(out[(y * w + x) * channels + c], sum / n, 1e-5) << x << "," << y;
      }
}

TEST(Upsampling, BilinearKeepsAConstantAndReachesTheRequestedSize) {
  Matte low(4, 3);
  std::fill(low.alpha.begin(), low.alpha.end(), 0.25f);
  const Matte up = upsample_bilinear(low, 17, 11);
  ASSERT_EQ(up.width, 17);
  ASSERT_EQ(up.height, 11);
  for (float a : up.alpha) EXPECT_FLOAT_EQ(a, 0.25f);
}

TEST(Upsampling, GuidedFollowsTheFullResolutionEdgesBetterThanBilinear) {
  const int w = 1536, h = 1152, factor = 3;
  const Scene scene = make_scene(w, h);
  Matte low(w / factor, h / factor);
  low.alpha = shrink(scene.alpha.alpha, w, h, 1, factor);
  RgbImage guide_low(w / factor, h / factor);
  guide_low.rgb = shrink(scene.image.rgb, w, h, 3, factor);

  const double bilinear = mean_abs_error(upsample_bilinear(low, w, h), scene.alpha);
  const double guided = mean_abs_error(upsample_guided(low, guide_low, scene.image), scene.alpha);
  EXPECT_LT(guided, bilinear * 0.8) << "bilinear " << bilinear << ", guided " << guided;
}

// A model's alpha is rarely exactly 0 or 1: a faint haze over the background, a subject not
// quite opaque. Snapping removes that without touching the strands' fractional alpha.
TEST(SnapCertain, RemovesTheModelsHazeAndLowersTheError) {
  const int w = 1536, h = 1152, factor = 3;
  const Scene scene = make_scene(w, h);
  Matte low(w / factor, h / factor);
  low.alpha = shrink(scene.alpha.alpha, w, h, 1, factor);
  for (float& a : low.alpha) a = 0.03f + 0.94f * a;
  RgbImage guide_low(w / factor, h / factor);
  guide_low.rgb = shrink(scene.image.rgb, w, h, 3, factor);

  Matte alpha = upsample_guided(low, guide_low, scene.image);
  const double before = mean_abs_error(alpha, scene.alpha);
  snap_certain(alpha);
  const double after = mean_abs_error(alpha, scene.alpha);
  EXPECT_LT(after, before * 0.5) << "before " << before << ", after " << after;
  EXPECT_EQ(alpha.at(0, 0), 0.0f);
  EXPECT_EQ(alpha.at(w / 2, h / 2), 1.0f);
}

TEST(SnapCertain, StretchesTheValuesBetweenTheLimits) {
  Matte m(5, 1);
  m.alpha = {0.0f, 0.05f, 0.5f, 0.95f, 0.9725f};
  snap_certain(m);
  EXPECT_FLOAT_EQ(m.alpha[0], 0.0f);
  EXPECT_FLOAT_EQ(m.alpha[1], 0.0f);
  EXPECT_FLOAT_EQ(m.alpha[2], 0.5f);
  EXPECT_FLOAT_EQ(m.alpha[3], 1.0f);
  EXPECT_FLOAT_EQ(m.alpha[4], 1.0f);
}

// Large photographs take the wide pass on a shrunk copy: both paths must do the job.
class ForegroundEstimation : public ::testing::TestWithParam<std::pair<int, int>> {};
INSTANTIATE_TEST_SUITE_P(Sizes, ForegroundEstimation,
                         ::testing::Values(std::pair{480, 360}, std::pair{2200, 1300}));

TEST_P(ForegroundEstimation, RemovesTheOldBackgroundFromBlendedPixels) {
  const Scene scene = make_scene(GetParam().first, GetParam().second);
  const RgbImage estimate = estimate_foreground(scene.image, scene.alpha);
  // Compare colours where the subject is partly transparent: the raw photograph there is a mix
  // of subject and background, which shows as a fringe on any new background.
  double raw_error = 0, estimated_error = 0;
  int count = 0;
  for (int y = 0; y < scene.alpha.height; ++y)
    for (int x = 0; x < scene.alpha.width; ++x) {
      const float a = scene.alpha.at(x, y);
      if (a < 0.1f || a > 0.9f) continue;
      for (int c = 0; c < 3; ++c) {
        const float truth = scene.foreground.pixel(x, y)[c];
        raw_error += std::abs(scene.image.pixel(x, y)[c] - truth);
        estimated_error += std::abs(estimate.pixel(x, y)[c] - truth);
      }
      ++count;
    }
  ASSERT_GT(count, 500);
  EXPECT_LT(estimated_error, raw_error * 0.5) << "raw " << raw_error / count << ", estimated "
                                              << estimated_error / count;
}

TEST(ForegroundEstimationOfOpaquePixels, KeepsThemAsTheyAre) {
  const Scene scene = make_scene(200, 150);
  const RgbImage estimate = estimate_foreground(scene.image, scene.alpha);
  const int cx = 100, cy = 75;  // the disc's centre is opaque
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(estimate.pixel(cx, cy)[c], scene.image.pixel(cx, cy)[c], 1e-4);
}

}  // namespace
}  // namespace rmbg
