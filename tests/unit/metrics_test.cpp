#include "rmbg/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
  return matte_of(40, 30,
                  [](int x, int y) { return std::hypot(x - 20, y - 14) < 9 ? 1.0f : 0.0f; });
}

// A disc whose edge ramps from 1 to 0 over four pixels.
Matte soft_disc() {
  return matte_of(40, 30, [](int x, int y) {
    return std::clamp((11 - std::hypot(x - 20, y - 14)) / 4, 0.0, 1.0);
  });
}

// The trimap of a matte: its fractional pixels are the unknown band.
Matte band_of(const Matte& alpha) {
  Matte trimap = alpha;
  for (float& a : trimap.alpha) a = a > 0 && a < 1 ? 0.5f : a;
  return trimap;
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
  EXPECT_FALSE(s.matting.has_value());
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
  const Matte ignore =
      matte_of(6, 6, [](int x, int y) { return (x == 5 && y == 5) || (x == 1 && y == 1); });

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

TEST(Metrics, BandErrorsCountTheTrimapsUnknownRegionOnly) {
  const Matte trimap = matte_of({0, 128 / 255.f, 128 / 255.f, 1});
  const ImageScore s =
      score(matte_of({0.9f, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}), nullptr, &trimap);
  ASSERT_TRUE(s.matting.has_value());
  EXPECT_NEAR(s.matting->band.sad, 0.001, 1e-9);
  EXPECT_NEAR(s.matting->band.mse, 0.25, 1e-7);
  EXPECT_NEAR(s.matting->whole.sad, 0.0011, 1e-9);
  EXPECT_NEAR(s.matting->whole.mse, (0.01 + 0.25 + 0.25) / 4, 1e-7);
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

TEST(Metrics, PerfectAlphaMatteHasNoMattingError) {
  const Matte truth = soft_disc();
  const Matte trimap = band_of(truth);
  const ImageScore s = score(truth, truth, nullptr, &trimap);
  ASSERT_TRUE(s.matting.has_value());
  for (const MattingErrors& e : {s.matting->whole, s.matting->band}) {
    EXPECT_EQ(e.sad, 0);
    EXPECT_EQ(e.mse, 0);
    EXPECT_EQ(e.gradient, 0);
    EXPECT_EQ(e.connectivity, 0);
  }
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
  const Matte prediction =
      matte_of(12, 12, [&](int x, int y) { return object(x, y) ? 0.5f : 0.0f; });
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
  auto error = [&](int x, int y) {
    return std::abs(prediction.at(x, y) - (object(x, y) ? 1.0 : 0.0));
  };
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
    for (int j = 0; j < 7; ++j)
      kernel_sum += kernel[i][j] = std::exp(-((i - 3) * (i - 3) + (j - 3) * (j - 3)) / 50.0);
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
          if (u >= 0 && u < w && v >= 0 && v < h)
            blurred += kernel[i][j] / kernel_sum * spread[v * w + u];
        }
      object_error += std::min(error(x, y), blurred);
      object_pixels += 1;
    }
  const double recall = 1 - object_error / object_pixels,
               true_positive = object_pixels - object_error;
  const double precision = true_positive / (true_positive + false_positive);
  return 2 * recall * precision / (recall + precision);
}

// A rectangle touching the image's edge (so zero padding matters) under an uneven prediction.
// A rectangle keeps every background pixel's nearest object pixel unique.
TEST(WeightedF, MatchesTheDefinitionComputedByExhaustiveSearch) {
  const Matte truth =
      matte_of(11, 9, [](int x, int y) { return x >= 2 && x < 7 && y < 5 ? 1.0f : 0.0f; });
  const Matte prediction =
      matte_of(11, 9, [](int x, int y) { return ((x * 37 + y * 91) % 101) / 100.0f; });
  EXPECT_NEAR(score(prediction, truth).weighted_f, weighted_f_by_definition(prediction, truth),
              1e-12);
  const Matte close = matte_of(11, 9, [&](int x, int y) {
    return std::clamp(truth.at(x, y) + 0.2f * prediction.at(x, y) - 0.1f, 0.0f, 1.0f);
  });
  EXPECT_NEAR(score(close, truth).weighted_f, weighted_f_by_definition(close, truth), 1e-12);
}

// A disc has background pixels equally near several object pixels; with an even error on the
// object which one is taken does not matter, and the distances must still match.
TEST(WeightedF, MatchesTheDefinitionAroundACurvedObject) {
  const Matte truth = disc();
  const Matte prediction = matte_of(40, 30, [&](int x, int y) {
    return truth.at(x, y) > 0 ? 0.7f : ((x * 37 + y * 91) % 101) / 400.0f;
  });
  EXPECT_NEAR(score(prediction, truth).weighted_f, weighted_f_by_definition(prediction, truth),
              1e-12);
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
  EXPECT_NEAR(score(matte_of({0, 0.2f, 0.6f, 0}), matte_of({0, 0, 0, 0})).s_measure, 1 - 0.8 / 4,
              1e-7);
  EXPECT_NEAR(score(matte_of({1, 0.2f, 0.6f, 1}), matte_of({1, 1, 1, 1})).s_measure, 2.8 / 4, 1e-7);
  // The only object pixel ignored: what remains has no object.
  const Matte ignore = matte_of({1, 0, 0, 0});
  EXPECT_NEAR(score(matte_of({0, 0.2f, 0.6f, 0}), matte_of({1, 0, 0, 0}), &ignore).s_measure,
              1 - 0.8 / 3, 1e-7);
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

// --- matting: gradient and connectivity ---

// The reference gaussgradient() as written: a kernel G(i) G'(j) built entry by entry, its half
// size from the reference formula, normalised to unit L2 norm, its transpose for y, convolved
// with replicated borders.
std::vector<double> gradient_magnitude_by_definition(const Matte& m) {
  const double sigma = 1.4, pi = std::acos(-1.0);
  const int half = static_cast<int>(
      std::ceil(sigma * std::sqrt(-2 * std::log(std::sqrt(2 * pi) * sigma * 0.01))));
  EXPECT_EQ(half, 4);
  const int size = 2 * half + 1;
  auto gauss = [&](double x) {
    return std::exp(-x * x / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * pi));
  };
  auto dgauss = [&](double x) { return -x * gauss(x) / (sigma * sigma); };
  std::vector<std::vector<double>> hx(size, std::vector<double>(size));
  double norm = 0;
  for (int i = 0; i < size; ++i)
    for (int j = 0; j < size; ++j)
      norm += std::pow(hx[i][j] = gauss(i - half) * dgauss(j - half), 2);
  std::vector<double> magnitude;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x) {
      double gx = 0, gy = 0;
      for (int i = 0; i < size; ++i)
        for (int j = 0; j < size; ++j) {
          const float v = m.at(std::clamp(x - (j - half), 0, m.width - 1),
                               std::clamp(y - (i - half), 0, m.height - 1));
          gx += hx[i][j] / std::sqrt(norm) * v;
          gy += hx[j][i] / std::sqrt(norm) * v;
        }
      magnitude.push_back(std::hypot(gx, gy));
    }
  return magnitude;
}

TEST(Gradient, MatchesTheReferenceKernelAppliedDirectly) {
  const Matte truth =
      matte_of(13, 11, [](int x, int y) { return ((x * 37 + y * 91) % 101) / 100.0f; });
  const Matte prediction =
      matte_of(13, 11, [](int x, int y) { return ((x * 53 + y * 17) % 89) / 88.0f; });
  const Matte trimap = matte_of(13, 11, [](int x, int) { return x > 3 && x < 9 ? 0.5f : 0.0f; });
  const std::vector<double> p = gradient_magnitude_by_definition(prediction),
                            g = gradient_magnitude_by_definition(truth);
  double whole = 0, band = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    whole += (p[i] - g[i]) * (p[i] - g[i]);
    if (trimap.alpha[i] == 0.5f) band += (p[i] - g[i]) * (p[i] - g[i]);
  }
  const ImageScore s = score(prediction, truth, nullptr, &trimap);
  EXPECT_GT(band, 0.1);
  EXPECT_NEAR(s.matting->whole.gradient, whole / 1000, 1e-12);
  EXPECT_NEAR(s.matting->band.gradient, band / 1000, 1e-12);
}

TEST(Gradient, FlatMattesHaveNoGradientError) {
  const Matte trimap = matte_of(9, 9, [](int, int) { return 0.5f; });
  const ImageScore s = score(matte_of(9, 9, [](int, int) { return 0.3f; }),
                             matte_of(9, 9, [](int, int) { return 0.8f; }), nullptr, &trimap);
  EXPECT_NEAR(s.matting->whole.sad, 81 * 0.5 / 1000, 1e-9);
  EXPECT_NEAR(s.matting->whole.gradient, 0, 1e-12);
}

// Truth [1 .75 .35 .85 0], prediction [1 .75 .75 .85 0]; both reach at least [1 .75 .35 .85 0].
// Up to t = 0.3 pixels 0-3 form the largest region: pixel 4 is out at t = 0.1 (level 0).
// From t = 0.4 pixel 2 splits it: {0, 1} is the largest; pixels 2 and 3 get level 0.3.
// At t = 0.8 pixel 1 drops out (level 0.7); pixel 0 stays to t = 1 (level 1).
// Alpha less level: truth [0 .05 .05 .55 0], prediction [0 .05 .45 .55 0]; below theta = 0.15
// counts as connected (phi = 1), so phi differs only at pixel 2: 1 against 0.55.
TEST(Connectivity, HandComputedCase) {
  const Matte trimap = matte_of({0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
  const ImageScore s = score(matte_of({1, 0.75f, 0.75f, 0.85f, 0}),
                             matte_of({1, 0.75f, 0.35f, 0.85f, 0}), nullptr, &trimap);
  EXPECT_NEAR(s.matting->whole.connectivity, 0.45 / 1000, 1e-9);
  EXPECT_NEAR(s.matting->band.connectivity, 0.45 / 1000, 1e-9);
}

// Regions are 4-connected: the corner pixel only touches the 2x2 block diagonally, so it is
// disconnected from the first threshold on (level 0) and the truth's 1 there counts fully
// (phi 0) against the prediction's 0.45 (phi 0.55). With 8-connectivity it would be 0.6.
TEST(Connectivity, RegionsAreFourConnected) {
  const Matte truth = matte_of(
      3, 3, [](int x, int y) { return (x < 2 && y < 2) || (x == 2 && y == 2) ? 1.0f : 0.0f; });
  Matte prediction = truth;
  prediction.at(2, 2) = 0.45f;
  const Matte trimap = matte_of(3, 3, [](int, int) { return 0.0f; });
  const ImageScore s = score(prediction, truth, nullptr, &trimap);
  EXPECT_NEAR(s.matting->whole.connectivity, 0.55 / 1000, 1e-9);
  EXPECT_EQ(s.matting->band.connectivity, 0);  // no band in this trimap
}

// A U (9 pixels) whose arms only meet on its bottom row, and a bar of 8 apart from it; the
// prediction has the bar at 0.45. The U is the largest region at every threshold, so the bar
// drops out at t = 0.1 (level 0): phi 0 for the truth, 0.55 for the prediction, on 8 pixels.
// Were an arm not joined, the bar would be the largest region up to 0.4 (0.6 per pixel).
TEST(Connectivity, RegionsJoinThroughLaterRows) {
  auto in_u = [](int x, int y) { return (y <= 2 && (x == 0 || x == 4)) || (y == 2 && x <= 4); };
  const Matte truth =
      matte_of(7, 8, [&](int x, int y) { return in_u(x, y) || x == 6 ? 1.0f : 0.0f; });
  Matte prediction = truth;
  for (int y = 0; y < 8; ++y) prediction.at(6, y) = 0.45f;
  const Matte trimap = matte_of(7, 8, [](int, int) { return 0.0f; });
  EXPECT_NEAR(score(prediction, truth, nullptr, &trimap).matting->whole.connectivity,
              8 * 0.55 / 1000, 1e-9);
}

// Wrong inside an ignored square, right elsewhere: with prediction and truth both 0 there, no
// gradient or connectivity error reaches the pixels around it.
TEST(Matting, IgnoredPixelsSpreadNoError) {
  const Matte truth = soft_disc();
  Matte prediction = truth;
  const Matte ignore = matte_of(
      40, 30, [](int x, int y) { return x >= 12 && x < 18 && y >= 10 && y < 16 ? 1.0f : 0.0f; });
  for (std::size_t i = 0; i < prediction.alpha.size(); ++i)
    if (ignore.alpha[i] > 0) prediction.alpha[i] = 1 - truth.alpha[i] * 0.5f;
  const Matte trimap = band_of(truth);

  const MattingErrors seen = score(prediction, truth, nullptr, &trimap).matting->whole;
  EXPECT_GT(seen.gradient, 0);
  EXPECT_GT(seen.connectivity, 0);
  const MattingErrors s = score(prediction, truth, &ignore, &trimap).matting->whole;
  EXPECT_EQ(s.sad, 0);
  EXPECT_EQ(s.gradient, 0);
  EXPECT_EQ(s.connectivity, 0);
}

// --- a set ---

TEST(SetScore, CurvesAreAveragedBeforeTakingTheirMaximumAndMean) {
  ImageScore a, b;
  a.f_curve[10] = 1.0, b.f_curve[20] = 1.0;
  a.e_curve[10] = 1.0, b.e_curve[10] = 0.5, b.e_curve[30] = 1.0;
  a.mae = 0.1, b.mae = 0.3;
  a.weighted_f = 0.5, b.weighted_f = 0.7;
  a.matting = MattingScore{{1, 2, 3, 4}, {5, 6, 7, 8}};
  const SetScore s = score_set({a, b});
  EXPECT_EQ(s.images, 2u);
  EXPECT_DOUBLE_EQ(s.max_f, 0.5);  // not the mean of the maxima (1.0)
  EXPECT_DOUBLE_EQ(s.max_e, 0.75);
  EXPECT_DOUBLE_EQ(s.mean_e, 1.25 / 256);
  EXPECT_DOUBLE_EQ(s.mae, 0.2);
  EXPECT_DOUBLE_EQ(s.weighted_f, 0.6);
  // Matting figures are the mean over the images that have them.
  ASSERT_TRUE(s.matting.has_value());
  EXPECT_DOUBLE_EQ(s.matting->whole.sad, 1);
  EXPECT_DOUBLE_EQ(s.matting->whole.connectivity, 4);
  EXPECT_DOUBLE_EQ(s.matting->band.mse, 6);
  EXPECT_DOUBLE_EQ(s.matting->band.gradient, 7);
  EXPECT_FALSE(score_set({b}).matting.has_value());
}

TEST(Metrics, SizesMustMatch) { EXPECT_THROW(score(Matte(2, 2), Matte(3, 2)), Error); }

}  // namespace
}  // namespace rmbg
