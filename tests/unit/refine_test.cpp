#include "rmbg/refine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rmbg/error.hpp"

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

// Means over blocks of `factor` pixels a side, the partial blocks at the right and bottom
// averaging what they have: what the foreground estimator's wide pass runs on.
std::vector<float> block_means(const std::vector<float>& src, int w, int h, int channels, int factor) {
  const int lw = (w + factor - 1) / factor, lh = (h + factor - 1) / factor;
  std::vector<float> sum(static_cast<size_t>(lw) * lh * channels, 0.0f);
  std::vector<int> count(static_cast<size_t>(lw) * lh, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t block = static_cast<size_t>(y / factor) * lw + x / factor;
      ++count[block];
      for (int c = 0; c < channels; ++c)
        sum[block * channels + c] += src[(static_cast<size_t>(y) * w + x) * channels + c];
    }
  for (size_t i = 0; i < count.size(); ++i)
    for (int c = 0; c < channels; ++c) sum[i * channels + c] /= count[i];
  return sum;
}

// The model's view of a scene: its alpha and its photograph shrunk by `factor`.
struct LowView {
  Matte alpha;
  RgbImage image;
};

LowView low_view(const Scene& scene, int factor) {
  const int w = scene.alpha.width, h = scene.alpha.height;
  LowView low{Matte(w / factor, h / factor), RgbImage(w / factor, h / factor)};
  low.alpha.alpha = shrink(scene.alpha.alpha, w, h, 1, factor);
  low.image.rgb = shrink(scene.image.rgb, w, h, 3, factor);
  return low;
}

// A field's alpha over a whole photograph, row by row.
Matte fill(const AlphaField& field, const RgbImage& guide) {
  Matte out(guide.width, guide.height);
  for (int y = 0; y < guide.height; ++y) field.span(y, 0, guide.width, guide.pixel(0, y), &out.at(0, y));
  return out;
}

ForegroundEstimator estimator_for(const Scene& scene) {
  const int w = scene.alpha.width, h = scene.alpha.height;
  const int factor = ForegroundEstimator::block_size(w, h);
  const int lw = (w + factor - 1) / factor, lh = (h + factor - 1) / factor;
  RgbImage image_blocks(lw, lh);
  image_blocks.rgb = block_means(scene.image.rgb, w, h, 3, factor);
  Matte alpha_blocks(lw, lh);
  alpha_blocks.alpha = block_means(scene.alpha.alpha, w, h, 1, factor);
  return ForegroundEstimator(image_blocks, alpha_blocks, w, h);
}

// The foreground of the whole scene, as one rectangle.
RgbImage estimate_whole(const Scene& scene) {
  const Region all{0, 0, scene.alpha.width, scene.alpha.height};
  RgbImage out(all.width, all.height);
  estimator_for(scene).estimate(all, scene.image.rgb.data(), scene.alpha.alpha.data(), all, out.rgb.data());
  return out;
}

double mean_abs_error(const Matte& a, const Matte& b) {
  double sum = 0;
  for (size_t i = 0; i < a.alpha.size(); ++i) sum += std::abs(a.alpha[i] - b.alpha[i]);
  return sum / a.alpha.size();
}

// Radii below the image's size, and one whose window is taller than the image; an image tall
// enough to be split into bands, one per core.
struct BoxMeanCase {
  int height, radius;
};
class BoxMean : public ::testing::TestWithParam<BoxMeanCase> {};
INSTANTIATE_TEST_SUITE_P(Radii, BoxMean,
                         ::testing::Values(BoxMeanCase{9, 1}, BoxMeanCase{9, 3}, BoxMeanCase{9, 12}, BoxMeanCase{301, 4}),
                         [](const auto& info) {
                           return "Height" + std::to_string(info.param.height) + "Radius" +
                                  std::to_string(info.param.radius);
                         });

TEST_P(BoxMean, MatchesBruteForceWithClippedBorders) {
  const int w = 13, h = GetParam().height, channels = 2, r = GetParam().radius;
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
  const Matte up = fill(AlphaField::stretched(low, 17, 11), RgbImage(17, 11));
  for (float a : up.alpha) EXPECT_FLOAT_EQ(a, 0.25f);
}

TEST(Upsampling, GuidedFollowsTheFullResolutionEdgesBetterThanBilinear) {
  const int w = 1536, h = 1152, factor = 3;
  const Scene scene = make_scene(w, h);
  const LowView low = low_view(scene, factor);
  const double bilinear =
      mean_abs_error(fill(AlphaField::stretched(low.alpha, w, h), scene.image), scene.alpha);
  const double guided =
      mean_abs_error(fill(AlphaField::guided(low.alpha, low.image, w, h), scene.image), scene.alpha);
  EXPECT_LT(guided, bilinear * 0.8) << "bilinear " << bilinear << ", guided " << guided;
}

// Any span of a row is the same as that part of the whole row: tiles meet without seams.
TEST(Upsampling, SpansAgreeWithWholeRows) {
  const Scene scene = make_scene(301, 203);
  const LowView low = low_view(scene, 4);
  for (const AlphaField& field : {AlphaField::stretched(low.alpha, 301, 203),
                                  AlphaField::guided(low.alpha, low.image, 301, 203)}) {
    const Matte whole = fill(field, scene.image);
    for (int y : {0, 101, 202}) {
      float part[37];
      field.span(y, 250, 37, scene.image.pixel(250, y), part);
      for (int i = 0; i < 37; ++i) ASSERT_EQ(part[i], whole.at(250 + i, y)) << y << ", " << i;
    }
  }
}

// A model's alpha is rarely exactly 0 or 1: a faint haze over the background, a subject not
// quite opaque. Snapping removes that without touching the strands' fractional alpha.
TEST(SnapCertain, RemovesTheModelsHazeAndLowersTheError) {
  const int w = 1536, h = 1152, factor = 3;
  const Scene scene = make_scene(w, h);
  LowView low = low_view(scene, factor);
  for (float& a : low.alpha.alpha) a = 0.03f + 0.94f * a;

  Matte alpha = fill(AlphaField::guided(low.alpha, low.image, w, h), scene.image);
  const double before = mean_abs_error(alpha, scene.alpha);
  snap_certain(alpha.alpha);
  const double after = mean_abs_error(alpha, scene.alpha);
  EXPECT_LT(after, before * 0.5) << "before " << before << ", after " << after;
  EXPECT_EQ(alpha.at(0, 0), 0.0f);
  EXPECT_EQ(alpha.at(w / 2, h / 2), 1.0f);
}

TEST(SnapCertain, StretchesTheValuesBetweenTheLimits) {
  std::vector<float> alpha{0.0f, 0.05f, 0.5f, 0.95f, 0.9725f};
  snap_certain(alpha);
  EXPECT_FLOAT_EQ(alpha[0], 0.0f);
  EXPECT_FLOAT_EQ(alpha[1], 0.0f);
  EXPECT_FLOAT_EQ(alpha[2], 0.5f);
  EXPECT_FLOAT_EQ(alpha[3], 1.0f);
  EXPECT_FLOAT_EQ(alpha[4], 1.0f);
}

TEST(UncertainShare, CountsTheValuesStrictlyBetweenTheLimits) {
  const std::vector<float> alpha{0.0f, 0.05f, 0.06f, 0.5f, 0.94f, 0.95f, 1.0f, 0.2f};
  EXPECT_DOUBLE_EQ(uncertain_share(alpha), 4.0 / 8.0);
  EXPECT_DOUBLE_EQ(uncertain_share(std::vector<float>{}), 0.0);
}

// Two views of one scene: one where the model found the subject, one where it half-took the
// background for it and left a haze. The hazy one, further from the truth, has the larger share.
TEST(UncertainShare, IsLargerForAHazyView) {
  const int w = 160, h = 120;
  const Scene scene = make_scene(w, h);
  Matte found = scene.alpha, hazy = scene.alpha;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w / 2; ++x) hazy.at(x, y) = std::max(hazy.at(x, y), 0.45f);  // the left half
  EXPECT_LT(uncertain_share(found.alpha), uncertain_share(hazy.alpha));
  EXPECT_LT(mean_abs_error(found, scene.alpha), mean_abs_error(hazy, scene.alpha));
}

// Two views of one scene, each unsure of a different half of it (its alpha pulled towards 0.5
// there): per pixel, the surer of the two is right almost everywhere.
TEST(SurerPerPixel, KeepsWhatEachViewDecidedClearly) {
  const int w = 160, h = 120;
  const Scene scene = make_scene(w, h);
  Matte left_unsure = scene.alpha, right_unsure = scene.alpha;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      Matte& unsure = x < w / 2 ? left_unsure : right_unsure;
      unsure.at(x, y) = 0.5f + (unsure.at(x, y) - 0.5f) * 0.2f;
    }
  const Matte merged = surer_per_pixel(left_unsure, right_unsure);
  const double merged_error = mean_abs_error(merged, scene.alpha);
  EXPECT_LT(merged_error, 0.2 * mean_abs_error(left_unsure, scene.alpha));
  EXPECT_LT(merged_error, 0.2 * mean_abs_error(right_unsure, scene.alpha));
  EXPECT_LT(uncertain_share(merged.alpha), uncertain_share(left_unsure.alpha));
}

TEST(SurerPerPixel, RefusesAlphasOfDifferentSizes) {
  EXPECT_THROW(surer_per_pixel(Matte(4, 3), Matte(3, 4)), Error);
}

// Large photographs take the wide pass on a shrunk copy: both paths must do the job.
class ForegroundEstimation : public ::testing::TestWithParam<std::pair<int, int>> {};
INSTANTIATE_TEST_SUITE_P(Sizes, ForegroundEstimation,
                         ::testing::Values(std::pair{480, 360}, std::pair{2200, 1300}));

TEST_P(ForegroundEstimation, RemovesTheOldBackgroundFromBlendedPixels) {
  const Scene scene = make_scene(GetParam().first, GetParam().second);
  const RgbImage estimate = estimate_whole(scene);
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
  const RgbImage estimate = estimate_whole(scene);
  const int cx = 100, cy = 75;  // the disc's centre is opaque
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(estimate.pixel(cx, cy)[c], scene.image.pixel(cx, cy)[c], 1e-4);
}

// A rectangle wholly outside the subject is black, one wholly inside it the photograph, as the
// whole photograph's estimate has them.
TEST(ForegroundEstimationOfTransparentOrOpaqueRectangles, IsBlackOrThePhotograph) {
  const Scene scene = make_scene(200, 150);
  const RgbImage whole = estimate_whole(scene);
  const ForegroundEstimator estimator = estimator_for(scene);
  const int w = scene.alpha.width;
  for (const Region outer : {Region{0, 0, 20, 20}, Region{90, 65, 20, 20}}) {
    const Region inner{outer.left + 6, outer.top + 6, 8, 8};
    std::vector<float> image, alpha;
    for (int y = outer.top; y < outer.top + outer.height; ++y) {
      const size_t first = static_cast<size_t>(y) * w + outer.left;
      image.insert(image.end(), &scene.image.rgb[first * 3], &scene.image.rgb[(first + outer.width) * 3]);
      alpha.insert(alpha.end(), &scene.alpha.alpha[first], &scene.alpha.alpha[first + outer.width]);
    }
    const bool opaque = alpha.front() == 1.0f;
    ASSERT_TRUE(std::all_of(alpha.begin(), alpha.end(), [&](float a) { return a == (opaque ? 1.0f : 0.0f); }));
    std::vector<float> tile(inner.width * inner.height * 3);
    estimator.estimate(outer, image.data(), alpha.data(), inner, tile.data());
    for (int y = 0; y < inner.height; ++y)
      for (int x = 0; x < inner.width * 3; ++x) {
        const float got = tile[y * inner.width * 3 + x];
        EXPECT_EQ(got, opaque ? scene.image.pixel(inner.left, inner.top + y)[x] : 0.0f);
        EXPECT_NEAR(got, whole.pixel(inner.left, inner.top + y)[x], 1e-5);
      }
  }
}

// Rectangles of any size, each given its margin, give what the whole photograph gives at once:
// the narrow pass's window reaches into the margin and never past the photograph's borders.
TEST(ForegroundEstimationInTiles, MatchesTheWholeImageWithoutSeams) {
  const Scene scene = make_scene(2200, 1300);  // large enough for the wide pass to run on blocks
  const int w = scene.alpha.width, h = scene.alpha.height;
  const RgbImage whole = estimate_whole(scene);
  const ForegroundEstimator estimator = estimator_for(scene);
  const int m = ForegroundEstimator::kMargin;
  for (const auto& [tw, th] : {std::pair{37, 23}, std::pair{128, 128}, std::pair{w, 5}}) {
    double worst = 0;
    for (int top = 0; top < h; top += th)
      for (int left = 0; left < w; left += tw) {
        const Region inner{left, top, std::min(tw, w - left), std::min(th, h - top)};
        const int x0 = std::max(0, left - m), y0 = std::max(0, top - m);
        const Region outer{x0, y0, std::min(w, left + inner.width + m) - x0,
                           std::min(h, top + inner.height + m) - y0};
        std::vector<float> image, alpha;
        for (int y = outer.top; y < outer.top + outer.height; ++y) {
          const size_t first = static_cast<size_t>(y) * w + outer.left;
          const float* row = &scene.image.rgb[first * 3];
          image.insert(image.end(), row, row + outer.width * 3);
          alpha.insert(alpha.end(), &scene.alpha.alpha[first], &scene.alpha.alpha[first] + outer.width);
        }
        std::vector<float> tile(static_cast<size_t>(inner.width) * inner.height * 3);
        estimator.estimate(outer, image.data(), alpha.data(), inner, tile.data());
        for (int y = 0; y < inner.height; ++y)
          for (int x = 0; x < inner.width * 3; ++x)
            worst = std::max(worst, static_cast<double>(std::abs(tile[(y * inner.width) * 3 + x] -
                                                                 whole.pixel(left, top + y)[x])));
      }
    EXPECT_LT(worst, 1e-5) << tw << "x" << th << " tiles";
  }
}

TEST(SolveUncertainBand, RecoversASoftEdgeFromTheColoursOfEachSide) {
  // A photograph blending a red subject into a blue background along a soft vertical edge, with
  // some texture in each so that every window's colours vary; the model's alpha there is wrong.
  const int w = 48, h = 32;
  RgbImage image(w, h);
  Matte truth(w, h), model(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float a = std::clamp((x - 18) / 12.0f, 0.0f, 1.0f);
      const float texture = 0.1f * ((x * 7 + y * 13) % 5) / 4.0f;
      const float subject[3] = {0.8f + texture, 0.2f, 0.1f}, background[3] = {0.1f, 0.3f + texture, 0.9f};
      for (int c = 0; c < 3; ++c) image.pixel(x, y)[c] = a * subject[c] + (1 - a) * background[c];
      truth.at(x, y) = a;
      model.at(x, y) = a <= 0 || a >= 1 ? a : 0.5f;  // certain where the truth is, flat in the band
    }
  const Matte solved = solve_uncertain_band(model, image);
  double before = 0, after = 0;
  for (size_t i = 0; i < truth.alpha.size(); ++i) {
    before += std::abs(model.alpha[i] - truth.alpha[i]);
    after += std::abs(solved.alpha[i] - truth.alpha[i]);
  }
  EXPECT_LT(after, before * 0.2) << "before " << before << ", after " << after;
  EXPECT_THROW(solve_uncertain_band(Matte(3, 3), RgbImage(4, 3)), Error);
}

}  // namespace
}  // namespace rmbg
