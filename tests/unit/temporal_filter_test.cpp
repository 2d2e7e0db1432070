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

// Every frame through the filter, in order: the filtered alphas, each settled when the next came.
std::vector<Matte> filter_all(TemporalFilter& filter, const std::vector<const Scene*>& frames,
                              const std::vector<Matte>& model) {
  std::vector<Matte> out;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto settled = filter.push(frames[i]->rgba.data(), model[i]);
    EXPECT_EQ(settled.has_value(), i > 0) << "frame " << i;
    if (settled) out.push_back(std::move(*settled));
  }
  out.push_back(filter.finish().value());
  EXPECT_FALSE(filter.finish().has_value());
  return out;
}

TEST(TemporalFilter, StillSceneStaysStillWhenTheModelFlickers) {
  const Scene scene = square_at(50, 30, 50);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> flicker(-0.25f, 0.25f);
  std::vector<Matte> raw(30, scene.alpha);
  for (Matte& m : raw)
    for (float& a : m.alpha) a = std::clamp(a + flicker(random), 0.0f, 1.0f);
  TemporalFilter filter;
  const std::vector<Matte> filtered = filter_all(filter, std::vector<const Scene*>(raw.size(), &scene), raw);
  EXPECT_FALSE(filter.restarted());
  double raw_change = 0, filtered_change = 0, filtered_error = 0;
  for (size_t frame = 1; frame < raw.size(); ++frame) {
    raw_change += mean_abs_difference(raw[frame], raw[frame - 1]);
    filtered_change += mean_abs_difference(filtered[frame], filtered[frame - 1]);
    if (frame >= 10) filtered_error += mean_abs_difference(filtered[frame], scene.alpha) / 20;
  }
  EXPECT_LT(filtered_change, 0.5 * raw_change);
  EXPECT_LT(filtered_error, 0.1);
}

TEST(TemporalFilter, OneFrameOfAFlipIsOutvotedByTheFramesAround) {
  const Scene scene = square_at(50, 30, 50);
  std::vector<Matte> raw(5, scene.alpha);
  for (int y = 0; y < kHeight; ++y)  // the model loses the square's left half in the middle frame
    for (int x = 50; x < 75; ++x) raw[2].at(x, y) = 0;
  TemporalFilter filter;
  const std::vector<Matte> filtered = filter_all(filter, std::vector<const Scene*>(raw.size(), &scene), raw);
  EXPECT_GT(mean_abs_difference(raw[2], scene.alpha), 0.05);
  EXPECT_LT(mean_abs_difference(filtered[2], scene.alpha), 0.005);
}

TEST(TemporalFilter, MovingSubjectLeavesNoGhost) {
  std::vector<Scene> scenes;
  for (int frame = 0; frame < 12; ++frame) scenes.push_back(square_at(10 + 6 * frame, 35, 40));
  std::vector<const Scene*> frames;
  std::vector<Matte> raw;
  for (const Scene& scene : scenes) {
    frames.push_back(&scene);
    raw.push_back(scene.alpha);
  }
  TemporalFilter filter;
  const Matte last = filter_all(filter, frames, raw).back();
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
  EXPECT_LT(mean_abs_difference(last, scenes.back().alpha), 0.01);
}

TEST(TemporalFilter, SceneCutStartsAgain) {
  const Scene before = square_at(20, 20, 50, 0);
  const Scene after = square_at(90, 50, 40, 2.5);
  TemporalFilter filter;
  const std::vector<Matte> filtered =
      filter_all(filter, {&before, &before, &before, &before, &after}, {before.alpha, before.alpha, before.alpha,
                                                                         before.alpha, after.alpha});
  EXPECT_TRUE(filter.restarted());
  EXPECT_EQ(filtered.back().alpha, after.alpha.alpha);
  EXPECT_LT(mean_abs_difference(filtered[3], before.alpha), 0.001);  // nothing of the next scene
}

TEST(TemporalFilter, RefusesBadOptions) {
  TemporalOptions options;
  options.strength = 1.5;  // a neighbour counted more than the model's own alpha
  EXPECT_THROW(TemporalFilter{options}, std::exception);
  options = {};
  options.agreement = 0;
  EXPECT_THROW(TemporalFilter{options}, std::exception);
}

}  // namespace
}  // namespace rmbg
