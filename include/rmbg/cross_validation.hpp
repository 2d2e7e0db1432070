#pragma once
// Choosing a pipeline's steps so that the choice holds on photographs it was not made on: k-fold
// cross-validation over evaluation sets. Each fold's choice is made on the other folds and scored
// on that fold alone; only those held-out scores are reported.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "rmbg/metrics.hpp"

namespace rmbg {

// One photograph of an evaluation set.
struct EvalPhoto {
  std::string set;
  std::string id;
  bool true_alpha = false;   // its truth is an alpha matte with a trimap (band SAD counts)
  double scene_change = 1;   // how unlike the set's previous photograph it looks, 0..1
};

// The photographs `which` (indices into `photos`), grouped by set, sets in name order.
std::map<std::string, std::vector<size_t>> by_set(const std::vector<EvalPhoto>& photos,
                                                  const std::vector<size_t>& which);
// The scores of the photographs `which`, in that order.
std::vector<ImageScore> pick(const std::vector<ImageScore>& scores, const std::vector<size_t>& which);

// Each photograph's fold, 0..folds-1, drawn within each set: the set's photographs, in order, cut
// into `folds` runs of about equal length, where a photograph whose scene change is below `alike`
// goes with the one before it. Frames of one video clip are neighbours that look alike, so a clip
// lands in one fold and no fold is scored on frames of a clip its choice was made on. The 0.2 of
// `alike`: frames 3-4 apart in the DAVIS clips of the evaluation data differ by up to 0.19.
std::vector<int> assign_folds(const std::vector<EvalPhoto>& photos, int folds, double alike = 0.2);

// Steps that were measured: a name and the score of every photograph, in the order of `photos`.
struct Candidate {
  std::string name;
  std::vector<ImageScore> scores;
};

// By default no photograph may come out worse than the baseline's by more than this MAE.
inline constexpr double kMaxLossPerPhoto = 0.05;
// A set's max F counts as lower only below the baseline's by more than this: the F curve is
// sampled at 256 thresholds, and steps that only stretch the alpha move its maximum by about that.
inline constexpr double kMaxFTolerance = 0.001;

// A candidate against the baseline over the photographs `which`.
struct Comparison {
  // Mean over the sets of the candidate's MAE over the baseline's; for a set with true alphas the
  // mean of that ratio and band SAD's. Below 1 is better than the baseline.
  double objective = 1;
  // No photograph worse than the baseline by more than `max_loss` MAE, and no set's max F lower
  // (by more than kMaxFTolerance).
  bool admissible = true;
};
Comparison compare(const Candidate& candidate, const Candidate& baseline, const std::vector<EvalPhoto>& photos,
                   const std::vector<size_t>& which, double max_loss = kMaxLossPerPhoto);

// Per fold, the admissible candidate with the lowest objective on the other folds (the baseline
// itself when none beats it), and per photograph the score of the candidate chosen without it.
struct CrossValidation {
  std::vector<size_t> chosen;        // candidate index, per fold
  std::vector<ImageScore> held_out;  // per photograph
};
CrossValidation cross_validate(const std::vector<Candidate>& candidates, size_t baseline,
                               const std::vector<EvalPhoto>& photos, const std::vector<int>& folds,
                               double max_loss = kMaxLossPerPhoto);

// How many photographs lose more than `margin` MAE against the baseline, and the one that loses most.
struct Regressions {
  size_t count = 0;
  size_t worst = 0;        // index of the photograph with the largest loss (or smallest gain)
  double worst_loss = 0;   // its MAE minus the baseline's
};
Regressions regressions(const std::vector<ImageScore>& scores, const std::vector<ImageScore>& baseline,
                        double margin = 0.01);

}  // namespace rmbg
