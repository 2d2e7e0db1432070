#include "rmbg/metrics.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

Matte matte_of(std::vector<float> values) {
  Matte m(static_cast<int>(values.size()), 1);
  m.alpha = std::move(values);
  return m;
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

TEST(Metrics, BandSadCountsTheTrimapsUnknownRegionOnly) {
  const Matte trimap = matte_of({0, 128 / 255.f, 128 / 255.f, 1});
  const ImageScore s = score(matte_of({0.9f, 0.5f, 0.5f, 0}), matte_of({1, 1, 0, 0}), nullptr, &trimap);
  ASSERT_TRUE(s.band_sad.has_value());
  EXPECT_NEAR(*s.band_sad, 0.001, 1e-9);
  EXPECT_NEAR(s.sad, 0.0011, 1e-9);
}

TEST(Metrics, PerfectPredictionScoresPerfectly) {
  const Matte truth = matte_of({0, 1, 1, 0, 1});
  const ImageScore s = score(truth, truth);
  EXPECT_EQ(s.mae, 0);
  EXPECT_DOUBLE_EQ(s.max_f(), 1.0);
}

TEST(Metrics, SetMaxFAveragesCurvesBeforeTakingTheMaximum) {
  FCurve a{}, b{};
  a[10] = 1.0;
  b[20] = 1.0;
  EXPECT_DOUBLE_EQ(max_f_of_mean_curve({a, b}), 0.5);  // not the mean of the maxima (1.0)
}

TEST(Metrics, SizesMustMatch) {
  EXPECT_THROW(score(Matte(2, 2), Matte(3, 2)), Error);
}

}  // namespace
}  // namespace rmbg
