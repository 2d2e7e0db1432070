#include "rmbg/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

Matte matte_of(std::vector<float> values) {
  Matte m(static_cast<int>(values.size()), 1);
  m.alpha = std::move(values);
  return m;
}

Matte matte_of(int width, int height, const std::function<float(int x, int y)>& value) {
  Matte m(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) m.at(x, y) = value(x, y);
  return m;
}

// 6x6 with a 3x3 object in its top-left corner: 9 of 36 pixels, centroid at (1, 1), so the
// S-measure's quadrants split after row 1 and column 1 and the top-left one is all object.
Matte corner_object() {
  return matte_of(6, 6, [](int x, int y) { return x < 3 && y < 3 ? 1.0f : 0.0f; });
}

// A 40x30 disc well inside the frame.
Matte disc() {
  return matte_of(40, 30, [](int x, int y) { return std::hypot(x - 20, y - 14) < 9 ? 1.0f : 0.0f; });
}

Matte inverted(const Matte& m) {
  Matte out = m;
  for (float& a : out.alpha) a = 1 - a;
  return out;
}

// Truth [1 1 0 0], prediction [1 .5 .5 0]. Thresholds t/255: t = 0 keeps all four pixels
// (P = 1/2, R = 1), t = 1..127 keeps three (P = 2/3, R = 1), t >= 128 keeps the first (P = 1, R = 1/2).
TEST(Metrics, HandComputedCase) {
  const ImageScore s = score(matte_of({1, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}));
  EXPECT_DOUBLE_EQ(s.mae, 0.25);
  EXPECT_DOUBLE_EQ(s.mse, 0.125);
  EXPECT_DOUBLE_EQ(s.sad, 0.001);
  EXPECT_NEAR(s.f_curve[0], 1.3 * 0.5 / (0.3 * 0.5 + 1), 1e-12);
  EXPECT_NEAR(s.f_curve[64], 1.3 * (2.0 / 3) / (0.3 * 2.0 / 3 + 1), 1e-12);
  EXPECT_NEAR(s.f_curve[127], 1.3 * (2.0 / 3) / (0.3 * 2.0 / 3 + 1), 1e-12);
  EXPECT_NEAR(s.f_curve[128], 1.3 * 0.5 / (0.3 + 0.5), 1e-12);
  EXPECT_NEAR(s.max_f(), 0.8125, 1e-12);
  EXPECT_FALSE(s.band_sad.has_value());
}

TEST(Metrics, IgnoredPixelsLeaveEveryMetric) {
  const Matte ignore = matte_of({0, 1, 0, 0});
  const ImageScore s = score(matte_of({1, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}), &ignore);
  EXPECT_DOUBLE_EQ(s.mae, 0.5 / 3);
  EXPECT_DOUBLE_EQ(s.sad, 0.0005);
  EXPECT_DOUBLE_EQ(s.max_f(), 1.0);  // t >= 128 keeps exactly the one true pixel
}

// A false positive and a missed object pixel, both ignored: what is left is a perfect prediction.
TEST(Metrics, IgnoredMistakesLeaveStructureMeasuresPerfect) {
  const Matte truth = corner_object();
  Matte prediction = truth;
  prediction.at(5, 5) = 1;  // background called object
  prediction.at(1, 1) = 0;  // object called background
  const Matte ignore = matte_of(6, 6, [](int x, int y) { return (x == 5 && y == 5) || (x == 1 && y == 1); });

  const ImageScore seen = score(prediction, truth);
  EXPECT_LT(seen.weighted_f, 0.95);
  EXPECT_LT(seen.s_measure, 0.95);
  EXPECT_LT(seen.max_e(), 0.98);

  const ImageScore s = score(prediction, truth, &ignore);
  EXPECT_EQ(s.mae, 0);
  EXPECT_NEAR(s.weighted_f, 1, 1e-12);
  EXPECT_NEAR(s.s_measure, 1, 1e-12);
  EXPECT_NEAR(s.max_e(), 34.0 / 33, 1e-12);  // 34 counted pixels, divided by N - 1
}

TEST(Metrics, BandSadCountsTheTrimapsUnknownRegionOnly) {
  const Matte trimap = matte_of({0, 128 / 255.f, 128 / 255.f, 1});
  const ImageScore s = score(matte_of({0.9f, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}), nullptr, &trimap);
  ASSERT_TRUE(s.band_sad.has_value());
  EXPECT_NEAR(*s.band_sad, 0.001, 1e-9);
  EXPECT_NEAR(s.sad, 0.0011, 1e-9);
}

TEST(Metrics, PerfectPredictionScoresPerfectly) {
  const Matte truth = disc();
  const ImageScore s = score(truth, truth);
  const double n = truth.alpha.size();
  EXPECT_EQ(s.mae, 0);
  EXPECT_DOUBLE_EQ(s.max_f(), 1.0);
  EXPECT_NEAR(s.weighted_f, 1, 1e-12);
  EXPECT_NEAR(s.s_measure, 1, 1e-12);
  // E is 1 at every threshold but t = 0, where everything is called object (and E is 1/4),
  // all over N - 1 as the reference code divides.
  EXPECT_NEAR(s.max_e(), n / (n - 1), 1e-12);
  EXPECT_NEAR(s.mean_e(), (255 + 0.25) / 256 * n / (n - 1), 1e-12);
}

TEST(Metrics, AllWrongPredictionScoresLow) {
  const Matte truth = disc();
  const ImageScore s = score(inverted(truth), truth);
  const double n = truth.alpha.size();
  EXPECT_EQ(s.mae, 1);
  EXPECT_EQ(s.f_curve[1], 0);  // only t = 0, where everything is called object, finds any of it
  // Every object pixel is wrong and, away from the image's border, so is its neighbourhood: R = 0.
  EXPECT_NEAR(s.weighted_f, 0, 1e-12);
  EXPECT_LT(s.s_measure, 0.05);
  // Every threshold but t = 0 sees perfect anti-alignment (E = 0); t = 0 gives 1/4 per pixel.
  EXPECT_NEAR(s.max_e(), n * 0.25 / (n - 1), 1e-12);
  // In the corner object's three mixed quadrants the SSIM is negative, enough to clamp S to 0.
  EXPECT_EQ(score(inverted(corner_object()), corner_object()).s_measure, 0);
}

// --- weighted F-measure ---

// A prediction of 0.5 all over a 4x4 object far from the image border, 0 elsewhere: every
// object pixel has error 0.5, background pixels take their nearest object pixel's error, so the
// Gaussian leaves 0.5; no false positives. R = 1 - 0.5, P = 1: F = 2 R P / (R + P) = 2/3.
TEST(WeightedF, UniformErrorOnTheObject) {
  auto object = [](int x, int y) { return x >= 4 && x < 8 && y >= 4 && y < 8; };
  const Matte truth = matte_of(12, 12, [&](int x, int y) { return object(x, y) ? 1.0f : 0.0f; });
  const Matte prediction = matte_of(12, 12, [&](int x, int y) { return object(x, y) ? 0.5f : 0.0f; });
  EXPECT_NEAR(score(prediction, truth).weighted_f, 2.0 / 3, 1e-12);
}

// One object pixel, found; one false positive d pixels away. Errors on the object are 0, so the
// Gaussian term vanishes; the false positive weighs B = 2 - 0.5^(d/5). R = 1, P = 1 / (1 + B).
TEST(WeightedF, FalsePositivesWeighMoreFartherFromTheObject) {
  auto case_at = [](int d) {
    std::vector<float> truth(12, 0), prediction(12, 0);
    truth[0] = prediction[0] = prediction[d] = 1;
    return score(matte_of(prediction), matte_of(truth)).weighted_f;
  };
  auto expected = [](int d) {
    const double p = 1 / (1 + 2 - std::pow(0.5, d / 5.0));
    return 2 * p / (1 + p);
  };
  EXPECT_NEAR(case_at(2), expected(2), 1e-12);
  EXPECT_NEAR(case_at(10), expected(10), 1e-12);
  EXPECT_LT(case_at(10), case_at(2));
}

// The definition by exhaustive search: nearest object pixel over all of them, the 7x7 Gaussian
// as one 2-D kernel with zero padding.
double weighted_f_by_definition(const Matte& prediction, const Matte& truth) {
  const int w = truth.width, h = truth.height;
  auto object = [&](int x, int y) { return truth.at(x, y) >= 0.5f; };
  auto error = [&](int x, int y) { return std::abs(prediction.at(x, y) - (object(x, y) ? 1.0 : 0.0)); };
  std::vector<double> spread(w * h), distance(w * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double best = std::numeric_limits<double>::infinity();
      for (int v = 0; v < h; ++v)
        for (int u = 0; u < w; ++u)
          if (object(u, v) && std::hypot(u - x, v - y) < best) {
            best = std::hypot(u - x, v - y);
            spread[y * w + x] = error(u, v);
          }
      distance[y * w + x] = best;
    }
  double kernel[7][7], kernel_sum = 0;
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j) kernel_sum += kernel[i][j] = std::exp(-((i - 3) * (i - 3) + (j - 3) * (j - 3)) / 50.0);
  double object_error = 0, object_pixels = 0, false_positive = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (!object(x, y)) {
        false_positive += error(x, y) * (2 - std::pow(0.5, distance[y * w + x] / 5));
        continue;
      }
      double blurred = 0;
      for (int i = 0; i < 7; ++i)
        for (int j = 0; j < 7; ++j) {
          const int u = x + j - 3, v = y + i - 3;
          if (u >= 0 && u < w && v >= 0 && v < h) blurred += kernel[i][j] / kernel_sum * spread[v * w + u];
        }
      object_error += std::min(error(x, y), blurred);
      object_pixels += 1;
    }
  const double recall = 1 - object_error / object_pixels, true_positive = object_pixels - object_error;
  const double precision = true_positive / (true_positive + false_positive);
  return 2 * recall * precision / (recall + precision);
}

// A rectangle touching the image's edge (so zero padding matters) under an uneven prediction.
// A rectangle keeps every background pixel's nearest object pixel unique.
TEST(WeightedF, MatchesTheDefinitionComputedByExhaustiveSearch) {
  const Matte truth = matte_of(11, 9, [](int x, int y) { return x >= 2 && x < 7 && y < 5 ? 1.0f : 0.0f; });
  const Matte prediction = matte_of(11, 9, [](int x, int y) { return ((x * 37 + y * 91) % 101) / 100.0f; });
  EXPECT_NEAR(score(prediction, truth).weighted_f, weighted_f_by_definition(prediction, truth), 1e-12);
  const Matte close = matte_of(11, 9, [&](int x, int y) { return std::clamp(truth.at(x, y) + 0.2f * prediction.at(x, y) - 0.1f, 0.0f, 1.0f); });
  EXPECT_NEAR(score(close, truth).weighted_f, weighted_f_by_definition(close, truth), 1e-12);
}

// A disc has background pixels equally near several object pixels; with an even error on the
// object which one is taken does not matter, and the distances must still match.
TEST(WeightedF, MatchesTheDefinitionAroundACurvedObject) {
  const Matte truth = disc();
  const Matte prediction = matte_of(40, 30, [&](int x, int y) {
    return truth.at(x, y) > 0 ? 0.7f : ((x * 37 + y * 91) % 101) / 400.0f;
  });
  EXPECT_NEAR(score(prediction, truth).weighted_f, weighted_f_by_definition(prediction, truth), 1e-12);
}

TEST(WeightedF, NoObjectScoresZero) {
  EXPECT_EQ(score(matte_of({0, 0, 0}), matte_of({0, 0, 0})).weighted_f, 0);
}

// --- S-measure ---

// A flat 0.5 over the corner object. Object part: mean 0.5 with no spread on the object and on
// the background, 2 * 0.5 / (0.25 + 1) = 0.8 for both. Region part: only the top-left quadrant
// (all object, 4 of 36 pixels) scores 1, as prediction and truth are both constant there; the
// others have a varying truth and a flat prediction, SSIM 0. S = 0.5 * 0.8 + 0.5 * 4/36.
TEST(SMeasure, FlatPrediction) {
  const Matte flat = matte_of(6, 6, [](int, int) { return 0.5f; });
  EXPECT_NEAR(score(flat, corner_object()).s_measure, 0.4 + 0.5 * 4 / 36.0, 1e-12);
}

// A prediction of 0.8 on the object, 0 elsewhere. Object part: 2 * 0.8 / (0.64 + 1) on the
// object (a quarter of the pixels), 1 on the background. Region part: the top-left quadrant is
// constant in both (1); in the others p = 0.8 g, so SSIM = 4 * 0.8^2 / 1.64^2.
TEST(SMeasure, ScaledPrediction) {
  Matte prediction = corner_object();
  for (float& a : prediction.alpha) a *= 0.8f;
  const double object = 0.25 * 1.6 / 1.64 + 0.75;
  const double region = 4 / 36.0 + 32 / 36.0 * (4 * 0.64) / (1.64 * 1.64);
  EXPECT_NEAR(score(prediction, corner_object()).s_measure, 0.5 * object + 0.5 * region, 1e-6);
}

TEST(SMeasure, TruthWithoutObjectScoresHowMuchBackgroundWasFound) {
  EXPECT_NEAR(score(matte_of({0, 0.2f, 0.6f, 0}), matte_of({0, 0, 0, 0})).s_measure, 1 - 0.8 / 4, 1e-7);
  EXPECT_NEAR(score(matte_of({1, 0.2f, 0.6f, 1}), matte_of({1, 1, 1, 1})).s_measure, 2.8 / 4, 1e-7);
  // The only object pixel ignored: what remains has no object.
  const Matte ignore = matte_of({1, 0, 0, 0});
  EXPECT_NEAR(score(matte_of({0, 0.2f, 0.6f, 0}), matte_of({1, 0, 0, 0}), &ignore).s_measure, 1 - 0.8 / 3, 1e-7);
}

// --- E-measure ---

// Truth [1 1 0 0] (mean 1/2), prediction [1 .5 .5 0]. At t = 0 everything is called object:
// the prediction less its mean is 0, alignment 0, 1/4 per pixel. For t = 1..127 the binary
// prediction is [1 1 1 0] (mean 3/4): alignments 0.8, 0.8, -0.8, 12/13, enhanced 0.81, 0.81,
// 0.01, 625/676; t >= 128 ([1 0 0 0]) is the mirror image with the same sum. Sums over N - 1 = 3.
TEST(EMeasure, HandComputedCase) {
  const ImageScore s = score(matte_of({1, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}));
  const double middle = (1.63 + 625.0 / 676) / 3;
  EXPECT_NEAR(s.e_curve[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.e_curve[1], middle, 1e-12);
  EXPECT_NEAR(s.e_curve[127], middle, 1e-12);
  EXPECT_NEAR(s.e_curve[128], middle, 1e-12);
  EXPECT_NEAR(s.e_curve[255], middle, 1e-12);
  EXPECT_NEAR(s.max_e(), middle, 1e-12);
  EXPECT_NEAR(s.mean_e(), (1.0 / 3 + 255 * middle) / 256, 1e-12);
}

// With no object in the truth the alignment matrix is 1 - prediction: the count of pixels called
// background, over N - 1.
TEST(EMeasure, TruthWithoutObject) {
  const ImageScore s = score(matte_of({0, 0, 0.6f, 0}), matte_of({0, 0, 0, 0}));
  EXPECT_NEAR(s.e_curve[0], 0, 1e-12);
  EXPECT_NEAR(s.e_curve[153], 1, 1e-12);  // 0.6 * 255 = 153: still called object
  EXPECT_NEAR(s.e_curve[154], 4.0 / 3, 1e-12);
}

// --- a set ---

TEST(SetScore, CurvesAreAveragedBeforeTakingTheirMaximumAndMean) {
  ImageScore a, b;
  a.f_curve[10] = 1.0, b.f_curve[20] = 1.0;
  a.e_curve[10] = 1.0, b.e_curve[10] = 0.5, b.e_curve[30] = 1.0;
  a.mae = 0.1, b.mae = 0.3;
  a.weighted_f = 0.5, b.weighted_f = 0.7;
  a.band_sad = 4.0;
  const SetScore s = score_set({a, b});
  EXPECT_EQ(s.images, 2u);
  EXPECT_DOUBLE_EQ(s.max_f, 0.5);  // not the mean of the maxima (1.0)
  EXPECT_DOUBLE_EQ(s.max_e, 0.75);
  EXPECT_DOUBLE_EQ(s.mean_e, 1.25 / 256);
  EXPECT_DOUBLE_EQ(s.mae, 0.2);
  EXPECT_DOUBLE_EQ(s.weighted_f, 0.6);
  ASSERT_TRUE(s.band_sad.has_value());
  EXPECT_DOUBLE_EQ(*s.band_sad, 4.0);  // over the images that have a band
}

TEST(Metrics, SizesMustMatch) {
  EXPECT_THROW(score(Matte(2, 2), Matte(3, 2)), Error);
}

}  // namespace
}  // namespace rmbg
