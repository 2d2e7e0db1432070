#include "rmbg/cross_validation.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

// A score whose MAE is `mae` and whose F-measure is `f` at every threshold.
ImageScore scored(double mae, double f = 0.9) {
  ImageScore s;
  s.mae = mae;
  s.f_curve.fill(f);
  return s;
}

std::vector<EvalPhoto> photos(const std::string& set, const std::vector<double>& changes) {
  std::vector<EvalPhoto> p;
  for (size_t i = 0; i < changes.size(); ++i) p.push_back({set, set + std::to_string(i), false, changes[i]});
  return p;
}

TEST(AssignFolds, CutsEachSetIntoRunsOfAboutEqualLength) {
  auto all = photos("a", std::vector<double>(10, 0.5));
  const auto more = photos("b", std::vector<double>(4, 0.5));
  all.insert(all.end(), more.begin(), more.end());
  const std::vector<int> folds = assign_folds(all, 2);
  EXPECT_EQ(folds, (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1}));
}

TEST(AssignFolds, KeepsTheFramesOfAClipInOneFold) {
  // Clips of three frames: frames of a clip look alike (change 0.1), a new clip does not (0.6).
  const auto clips = photos("davis", {1, 0.1, 0.1, 0.6, 0.1, 0.1, 0.6, 0.1, 0.1});
  const std::vector<int> folds = assign_folds(clips, 2);
  EXPECT_EQ(folds, (std::vector<int>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_THROW(assign_folds(clips, 1), Error);
}

TEST(Compare, RelativeMaeAveragedOverSetsAndRefusesALargeLossOnOnePhotograph) {
  auto all = photos("a", {1, 1});
  const auto b = photos("b", {1, 1});
  all.insert(all.end(), b.begin(), b.end());
  const Candidate baseline{"raw", {scored(0.1), scored(0.1), scored(0.2), scored(0.2)}};
  const Candidate better{"x", {scored(0.05), scored(0.05), scored(0.2), scored(0.2)}};
  const Comparison c = compare(better, baseline, all, {0, 1, 2, 3});
  EXPECT_NEAR(c.objective, (0.5 + 1.0) / 2, 1e-12);
  EXPECT_TRUE(c.admissible);
  // Better on average, but one photograph loses 0.08: not admissible.
  const Candidate risky{"y", {scored(0.0), scored(0.0), scored(0.28), scored(0.1)}};
  EXPECT_FALSE(compare(risky, baseline, all, {0, 1, 2, 3}).admissible);
  // Lower error but a lower max F on a set: not admissible either.
  const Candidate blurred{"z", {scored(0.05, 0.8), scored(0.05, 0.8), scored(0.2), scored(0.2)}};
  EXPECT_FALSE(compare(blurred, baseline, all, {0, 1, 2, 3}).admissible);
}

TEST(CrossValidate, ScoresEachFoldWithTheChoiceMadeOnTheOthers) {
  const auto all = photos("a", {1, 1, 1, 1});
  const std::vector<int> folds{0, 0, 1, 1};
  const Candidate baseline{"raw", {scored(0.1), scored(0.1), scored(0.1), scored(0.1)}};
  // Good on fold 0 only, so chosen for fold 1 (by fold 0) and then scored there, where it loses.
  const Candidate lucky{"lucky", {scored(0.01), scored(0.01), scored(0.14), scored(0.14)}};
  const CrossValidation cv = cross_validate({baseline, lucky}, 0, all, folds);
  ASSERT_EQ(cv.chosen.size(), 2u);
  EXPECT_EQ(cv.chosen[0], 0u);  // chosen on fold 1, where `lucky` loses: the baseline
  EXPECT_EQ(cv.chosen[1], 1u);  // chosen on fold 0, where `lucky` wins
  EXPECT_DOUBLE_EQ(cv.held_out[0].mae, 0.1);
  EXPECT_DOUBLE_EQ(cv.held_out[2].mae, 0.14);
}

TEST(Regressions, CountsLossesAboveTheMarginAndFindsTheWorst) {
  const std::vector<ImageScore> baseline{scored(0.1), scored(0.1), scored(0.1)};
  const Regressions r = regressions({scored(0.12), scored(0.105), scored(0.3)}, baseline);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.worst, 2u);
  EXPECT_NEAR(r.worst_loss, 0.2, 1e-12);
}

}  // namespace
}  // namespace rmbg
