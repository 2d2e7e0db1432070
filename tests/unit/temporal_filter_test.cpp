// The temporal filter on synthetic frames whose true alpha is known: a still scene with a
// flickering model calms down, a moving subject leaves no ghost, a scene cut starts again.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "rmbg/temporal_filter.hpp"

namespace rmbg {
namespace {

constexpr int kWidth = 160, kHeight = 120;

// A smooth texture the optical flow can follow; another `seed` makes another scene (other
// frequencies: not the same texture moved).
std::uint8_t texture(int x, int y, int channel, double seed) {
  const double f = 1 + 0.6 * seed;
  const double v = 128 + 55 * std::sin(x * 0.31 * f + seed + channel) * std::cos(y * 0.23 / f - seed) +
                   40 * std::sin((x + 2 * y) * 0.11 * f + 3 * seed + channel);
  return static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
}

struct Scene {
  std::vector<std::uint8_t> rgba;
  Matte alpha{kWidth, kHeight};
};

// A textured square of `side` at (left, top) on a background of another texture.
Scene square_at(int left, int top, int side, double background_seed = 0) {
  Scene s;
  s.rgba.resize(kWidth * kHeight * 4);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const bool inside = x >= left && x < left + side && y >= top && y < top + side;
      std::uint8_t* p = &s.rgba[(y * kWidth + x) * 4];
      for (int c = 0; c < 3; ++c)
        p[c] = inside ? static_cast<std::uint8_t>(40 + 170 * (((x - left) / 4 + (y - top) / 4 + c) % 2))
                      : texture(x, y, c, background_seed);
      p[3] = 255;
      s.alpha.at(x, y) = inside ? 1.0f : 0.0f;
    }
  return s;
}

double mean_abs_difference(const Matte& a, const Matte& b) {
  double sum = 0;
  for (size_t i = 0; i < a.alpha.size(); ++i) sum += std::abs(a.alpha[i] - b.alpha[i]);
  return sum / static_cast<double>(a.alpha.size());
}

TEST(TemporalFilter, StillSceneStaysStillWhenTheModelFlickers) {
  const Scene scene = square_at(50, 30, 50);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> flicker(-0.25f, 0.25f);
  TemporalFilter filter;
  Matte previous_raw, previous_filtered;
  double raw_change = 0, filtered_change = 0, filtered_error = 0;
  for (int frame = 0; frame < 30; ++frame) {
    Matte raw = scene.alpha;
    for (float& a : raw.alpha) a = std::clamp(a + flicker(random), 0.0f, 1.0f);
    const Matte filtered = filter.filter(scene.rgba.data(), raw);
    if (frame > 0) {
      EXPECT_FALSE(filter.restarted()) << "frame " << frame;
      raw_change += mean_abs_difference(raw, previous_raw);
      filtered_change += mean_abs_difference(filtered, previous_filtered);
    }
    if (frame >= 10) filtered_error += mean_abs_difference(filtered, scene.alpha) / 20;
    previous_raw = raw;
    previous_filtered = filtered;
  }
  EXPECT_LT(filtered_change, 0.5 * raw_change);
  EXPECT_LT(filtered_error, 0.1);
}

TEST(TemporalFilter, MovingSubjectLeavesNoGhost) {
  TemporalFilter filter;
  Matte last;
  Scene scene;
  for (int frame = 0; frame < 12; ++frame) {
    scene = square_at(10 + 6 * frame, 35, 40);
    last = filter.filter(scene.rgba.data(), scene.alpha);
  }
  EXPECT_FALSE(filter.restarted());
  // Where the square was a few frames ago and is no more, nothing of it stays behind.
  double behind = 0;
  int count = 0;
  for (int y = 35; y < 75; ++y)
    for (int x = 10 + 6 * 8; x < 10 + 6 * 11; ++x) {
      behind += last.at(x, y);
      ++count;
    }
  EXPECT_LT(behind / count, 0.05);
  EXPECT_LT(mean_abs_difference(last, scene.alpha), 0.01);
}

TEST(TemporalFilter, SceneCutStartsAgain) {
  TemporalFilter filter;
  const Scene before = square_at(20, 20, 50, 0);
  for (int frame = 0; frame < 5; ++frame) filter.filter(before.rgba.data(), before.alpha);
  EXPECT_FALSE(filter.restarted());
  const Scene after = square_at(90, 50, 40, 2.5);
  const Matte cut = filter.filter(after.rgba.data(), after.alpha);
  EXPECT_TRUE(filter.restarted());
  EXPECT_EQ(cut.alpha, after.alpha.alpha);
}

TEST(TemporalFilter, RefusesBadOptions) {
  TemporalOptions options;
  options.strength = 1;  // would never let the model's alpha in again
  EXPECT_THROW(TemporalFilter{options}, std::exception);
}

}  // namespace
}  // namespace rmbg
