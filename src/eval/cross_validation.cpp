#include "rmbg/cross_validation.hpp"

#include <algorithm>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

double ratio(double value, double baseline) { return baseline > 0 ? value / baseline : (value > 0 ? 2.0 : 1.0); }

}  // namespace

std::map<std::string, std::vector<size_t>> by_set(const std::vector<EvalPhoto>& photos,
                                                  const std::vector<size_t>& which) {
  std::map<std::string, std::vector<size_t>> sets;
  for (size_t i : which) sets[photos[i].set].push_back(i);
  return sets;
}

std::vector<ImageScore> pick(const std::vector<ImageScore>& scores, const std::vector<size_t>& which) {
  std::vector<ImageScore> picked;
  for (size_t i : which) picked.push_back(scores[i]);
  return picked;
}

std::vector<int> assign_folds(const std::vector<EvalPhoto>& photos, int folds, double alike) {
  if (folds < 2) throw Error(ErrorCode::invalid_argument, "cross-validation needs at least 2 folds");
  std::vector<int> fold(photos.size(), 0);
  std::vector<size_t> all(photos.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  for (const auto& [set, members] : by_set(photos, all)) {
    const size_t n = members.size();
    for (size_t first = 0; first < n;) {
      size_t end = first + 1;  // the run of photographs that look like the one before them
      while (end < n && photos[members[end]].scene_change < alike) ++end;
      // The run goes whole to the fold its middle falls in, were the set cut into equal parts.
      const int f = std::min(folds - 1, static_cast<int>((first + end) * folds / (2 * n)));
      for (size_t p = first; p < end; ++p) fold[members[p]] = f;
      first = end;
    }
  }
  return fold;
}

Comparison compare(const Candidate& candidate, const Candidate& baseline, const std::vector<EvalPhoto>& photos,
                   const std::vector<size_t>& which, double max_loss) {
  Comparison c;
  const auto sets = by_set(photos, which);
  if (sets.empty()) return c;
  double sum = 0;
  for (const auto& [set, members] : sets) {
    for (size_t i : members)
      if (candidate.scores[i].mae - baseline.scores[i].mae > max_loss) c.admissible = false;
    const SetScore ours = score_set(pick(candidate.scores, members));
    const SetScore theirs = score_set(pick(baseline.scores, members));
    if (ours.max_f < theirs.max_f - kMaxFTolerance) c.admissible = false;
    double r = ratio(ours.mae, theirs.mae);
    if (photos[members.front()].true_alpha && ours.matting && theirs.matting)
      r = 0.5 * (r + ratio(ours.matting->band.sad, theirs.matting->band.sad));
    sum += r;
  }
  c.objective = sum / sets.size();
  return c;
}

CrossValidation cross_validate(const std::vector<Candidate>& candidates, size_t baseline,
                               const std::vector<EvalPhoto>& photos, const std::vector<int>& folds,
                               double max_loss) {
  if (baseline >= candidates.size()) throw Error(ErrorCode::invalid_argument, "no baseline among the candidates");
  const int count = folds.empty() ? 0 : *std::max_element(folds.begin(), folds.end()) + 1;
  CrossValidation result;
  result.held_out.resize(photos.size());
  for (int f = 0; f < count; ++f) {
    std::vector<size_t> training, held_out;
    for (size_t i = 0; i < photos.size(); ++i) (folds[i] == f ? held_out : training).push_back(i);
    size_t chosen = baseline;
    double best = compare(candidates[baseline], candidates[baseline], photos, training).objective;
    for (size_t c = 0; c < candidates.size(); ++c) {
      const Comparison comparison = compare(candidates[c], candidates[baseline], photos, training, max_loss);
      if (comparison.admissible && comparison.objective < best) best = comparison.objective, chosen = c;
    }
    result.chosen.push_back(chosen);
    for (size_t i : held_out) result.held_out[i] = candidates[chosen].scores[i];
  }
  return result;
}

Regressions regressions(const std::vector<ImageScore>& scores, const std::vector<ImageScore>& baseline,
                        double margin) {
  Regressions r;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double loss = scores[i].mae - baseline[i].mae;
    if (loss > margin) ++r.count;
    if (i == 0 || loss > r.worst_loss) r.worst = i, r.worst_loss = loss;
  }
  return r;
}

}  // namespace rmbg
