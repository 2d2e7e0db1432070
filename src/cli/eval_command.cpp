#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model_options.hpp"
#include "rmbg/cross_validation.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/metrics.hpp"
#include "rmbg/remover.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace rmbg::cli {
namespace {

struct EvalOptions {
  std::string data;
  std::vector<std::string> sets;
  std::string json_file;
  bool verbose = false;
  PipelineOptions pipeline;
  std::string candidates_file;
  int folds = 5;
  double max_loss = kMaxLossPerPhoto;
  std::string prediction_cache;
};

// Steps to measure under a name.
struct NamedSteps {
  std::string name;
  CutSteps steps;
};

constexpr const char* kBaseline = "raw";

// A candidates file: one `NAME STEPS` a line (STEPS as parse_steps reads them); blank lines and
// lines starting with # are skipped. The baseline, the bare model, comes first.
std::vector<NamedSteps> read_candidates(const fs::path& file) {
  std::vector<NamedSteps> candidates{{kBaseline, preset_steps(Preset::raw)}};
  std::istringstream lines(read_file(file));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::istringstream words(line);
    std::string name, steps, extra;
    if (!(words >> name) || name[0] == '#') continue;
    if (!(words >> steps) || (words >> extra))
      throw Error(ErrorCode::invalid_argument,
                  file.string() + ":" + std::to_string(number) + ": expected NAME STEPS, got '" + line + "'");
    if (name == kBaseline) continue;
    for (const auto& c : candidates)
      if (c.name == name)
        throw Error(ErrorCode::invalid_argument, file.string() + ": '" + name + "' is named twice");
    candidates.push_back({name, parse_steps(steps)});
  }
  return candidates;
}

// A single-channel mask of the same layout as the ground truth.
Matte read_mask(const fs::path& path) {
  return to_matte(read_image(path).rgb.extract_band(0));
}

std::optional<Matte> read_optional_mask(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  return read_mask(path);
}

// The photograph as a tiny float image, to tell how much it differs from its neighbour.
vips::VImage thumbnail(const Image& image) {
  return image.rgb.thumbnail_image(32, vips::VImage::option()->set("height", 18)->set("size", VIPS_SIZE_FORCE))
      .cast(VIPS_FORMAT_FLOAT)
      .linear(unit_scale(image.rgb), 0.0)
      .copy_memory();
}

// Every figure of a set (or of one image) under the report's keys.
json figures(const SetScore& s) {
  json j{{"mae", s.mae},       {"max_f", s.max_f},   {"weighted_f", s.weighted_f},
         {"s_measure", s.s_measure}, {"mean_e", s.mean_e}, {"max_e", s.max_e},
         {"sad", s.sad},       {"mse", s.mse}};
  if (s.matting) {
    const MattingErrors &whole = s.matting->whole, &band = s.matting->band;
    j["band_sad"] = band.sad;
    j["band_mse"] = band.mse;
    j["gradient"] = whole.gradient;
    j["band_gradient"] = band.gradient;
    j["connectivity"] = whole.connectivity;
    j["band_connectivity"] = band.connectivity;
  }
  return j;
}

// Every photograph of the sets, scored with every candidate's steps.
struct Evaluation {
  std::vector<EvalPhoto> photos;
  std::vector<Candidate> candidates;
};

Evaluation evaluate(const std::vector<fs::path>& sets, const Remover& remover,
                    const std::vector<NamedSteps>& steps, const EvalOptions& o) {
  Evaluation e;
  for (const auto& s : steps) e.candidates.push_back({s.name, {}});
  for (const auto& dir : sets) {
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(dir / "images"))
      if (entry.is_regular_file()) images.push_back(entry.path());
    std::sort(images.begin(), images.end());
    if (o.verbose) std::fprintf(stderr, "%s\n", dir.filename().c_str());
    std::optional<vips::VImage> previous;
    for (const auto& path : images) {
      const std::string id = path.stem().string();
      const Matte truth = read_mask(dir / "gt" / (id + ".png"));
      const auto ignore = read_optional_mask(dir / "ignore" / (id + ".png"));
      const auto trimap = read_optional_mask(dir / "trimap" / (id + ".png"));
      const Image image = read_image(path, o.pipeline.decode_limits());
      const vips::VImage small = thumbnail(image);
      const double change = previous ? (small - *previous).abs().avg() : 1.0;
      previous = small;
      e.photos.push_back({dir.filename().string(), id, trimap.has_value(), change});
      for (size_t c = 0; c < steps.size(); ++c) {
        const CutOptions options{Preset::raw, false, steps[c].steps};
        const Matte prediction = to_matte(remover.cut(image, options).alpha());
        const ImageScore s =
            score(prediction, truth, ignore ? &*ignore : nullptr, trimap ? &*trimap : nullptr);
        e.candidates[c].scores.push_back(s);
        if (o.verbose)
          std::fprintf(stderr, "  %-24s %-16s MAE %.4f  maxF %.4f  wF %.4f  S %.4f  meanE %.4f  SAD %.2f\n",
                       id.c_str(), steps[c].name.c_str(), s.mae, s.max_f(), s.weighted_f, s.s_measure,
                       s.mean_e(), s.sad);
      }
    }
  }
  return e;
}

// Indices of the photographs of each set, sets in name order.
std::map<std::string, std::vector<size_t>> photos_by_set(const std::vector<EvalPhoto>& photos) {
  std::vector<size_t> all(photos.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return by_set(photos, all);
}

// Each set's figures for these scores, with every photograph's.
json set_reports(const std::vector<EvalPhoto>& photos, const std::vector<ImageScore>& scores) {
  json sets = json::object();
  for (const auto& [name, members] : photos_by_set(photos)) {
    json r = figures(score_set(pick(scores, members)));
    r["images"] = members.size();
    json per_image = json::array();
    for (size_t i : members) {
      json row = figures(score_set({scores[i]}));  // an image's figures are those of a set of one
      row["id"] = photos[i].id;
      per_image.push_back(row);
    }
    r["per_image"] = per_image;
    sets[name] = r;
  }
  return sets;
}

void print_sets(const json& sets) {
  std::printf("%-25s %6s %8s %8s %8s %8s %8s %9s\n", "set", "images", "MAE", "maxF", "wF", "S", "meanE", "SAD");
  for (const auto& [name, r] : sets.items())
    std::printf("%-25s %6zu %8.4f %8.4f %8.4f %8.4f %8.4f %9.2f\n", name.c_str(), r["images"].get<size_t>(),
                r["mae"].get<double>(), r["max_f"].get<double>(), r["weighted_f"].get<double>(),
                r["s_measure"].get<double>(), r["mean_e"].get<double>(), r["sad"].get<double>());
  bool header = false;
  for (const auto& [name, r] : sets.items()) {
    if (!r.contains("band_sad")) continue;
    if (!header)
      std::printf("\n%-25s %9s %9s %9s %9s %9s %9s %9s\n", "true alpha set", "bandSAD", "MSE", "bandMSE", "grad",
                  "bandGrad", "conn", "bandConn");
    header = true;
    std::printf("%-25s %9.2f %9.4f %9.4f %9.2f %9.2f %9.2f %9.2f\n", name.c_str(), r["band_sad"].get<double>(),
                r["mse"].get<double>(), r["band_mse"].get<double>(), r["gradient"].get<double>(),
                r["band_gradient"].get<double>(), r["connectivity"].get<double>(),
                r["band_connectivity"].get<double>());
  }
}

// One line a set: MAE / max F (band SAD) of `scores`, and its change of MAE against the baseline.
std::string summary(const std::vector<EvalPhoto>& photos, const std::vector<ImageScore>& scores,
                    const std::vector<ImageScore>& baseline) {
  std::string text;
  for (const auto& [name, members] : photos_by_set(photos)) {
    const SetScore ours = score_set(pick(scores, members)), theirs = score_set(pick(baseline, members));
    char part[160];
    std::snprintf(part, sizeof part, "  %.12s %.4f/%.4f", name.c_str(), ours.mae, ours.max_f);
    text += part;
    if (ours.matting) {
      std::snprintf(part, sizeof part, "/%.2f", ours.matting->band.sad);
      text += part;
    }
    std::snprintf(part, sizeof part, " (%+.1f%%)", 100 * (ours.mae / theirs.mae - 1));
    text += part;
  }
  return text;
}

json worst_of(const std::vector<EvalPhoto>& photos, const std::vector<ImageScore>& scores,
              const std::vector<ImageScore>& baseline) {
  const Regressions r = regressions(scores, baseline);
  const EvalPhoto& p = photos[r.worst];
  return {{"photos_worse_by_0.01", r.count},
          {"worst", {{"set", p.set}, {"id", p.id}, {"mae", scores[r.worst].mae},
                     {"baseline_mae", baseline[r.worst].mae}, {"loss", r.worst_loss}}}};
}

std::string worst_text(const json& w) {
  char text[200];
  std::snprintf(text, sizeof text, "%zu photo(s) worse by > 0.01 MAE; worst %s/%s %+.4f (%.4f vs %.4f)",
                w["photos_worse_by_0.01"].get<size_t>(), w["worst"]["set"].get<std::string>().c_str(),
                w["worst"]["id"].get<std::string>().c_str(), w["worst"]["loss"].get<double>(),
                w["worst"]["mae"].get<double>(), w["worst"]["baseline_mae"].get<double>());
  return text;
}

// Every candidate on all the data, then the choice among them cross-validated.
json choose(const Evaluation& e, const std::vector<NamedSteps>& steps, const EvalOptions& o) {
  const Candidate& baseline = e.candidates[0];
  std::vector<size_t> everyone(e.photos.size());
  for (size_t i = 0; i < everyone.size(); ++i) everyone[i] = i;
  json report{{"folds", o.folds}, {"max_loss", o.max_loss}, {"baseline", kBaseline}, {"candidates", json::array()}};
  std::printf("every candidate on all %zu photographs: MAE / max F (/ band SAD), change of MAE against %s\n",
              e.photos.size(), kBaseline);
  for (size_t c = 0; c < e.candidates.size(); ++c) {
    const Comparison whole = compare(e.candidates[c], baseline, e.photos, everyone, o.max_loss);
    const json worst = worst_of(e.photos, e.candidates[c].scores, baseline.scores);
    std::printf("%-18s objective %.4f%s\n%s\n  %s\n", steps[c].name.c_str(), whole.objective,
                whole.admissible ? "" : " (not admissible)",
                summary(e.photos, e.candidates[c].scores, baseline.scores).c_str(), worst_text(worst).c_str());
    report["candidates"].push_back({{"name", steps[c].name},
                                    {"steps", describe_steps(steps[c].steps)},
                                    {"objective", whole.objective},
                                    {"admissible", whole.admissible},
                                    {"against_baseline", worst},
                                    {"sets", set_reports(e.photos, e.candidates[c].scores)}});
  }

  const std::vector<int> folds = assign_folds(e.photos, o.folds);
  const CrossValidation cv = cross_validate(e.candidates, 0, e.photos, folds, o.max_loss);
  json chosen = json::array();
  std::printf("\nchosen on the other folds:");
  for (size_t f = 0; f < cv.chosen.size(); ++f) {
    chosen.push_back(steps[cv.chosen[f]].name);
    std::printf(" fold %zu: %s;", f + 1, steps[cv.chosen[f]].name.c_str());
  }
  const json worst = worst_of(e.photos, cv.held_out, baseline.scores);
  std::printf("\nheld out:%s\n  %s\n", summary(e.photos, cv.held_out, baseline.scores).c_str(),
              worst_text(worst).c_str());
  json per_image = json::array();
  for (size_t i = 0; i < e.photos.size(); ++i)
    per_image.push_back({{"set", e.photos[i].set},
                         {"id", e.photos[i].id},
                         {"fold", folds[i] + 1},
                         {"chosen", steps[cv.chosen[folds[i]]].name},
                         {"mae", cv.held_out[i].mae},
                         {"baseline_mae", baseline.scores[i].mae}});
  report["held_out"] = {{"chosen_per_fold", chosen},
                        {"against_baseline", worst},
                        {"sets", set_reports(e.photos, cv.held_out)},
                        {"baseline_sets", set_reports(e.photos, baseline.scores)},
                        {"per_image", per_image}};
  return report;
}

int run_eval(const EvalOptions& o) {
  if (!fs::is_directory(o.data))
    throw Error(ErrorCode::invalid_argument, "--data " + o.data + " is not a directory");
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(o.data))
    if (fs::is_directory(entry.path() / "images") && fs::is_directory(entry.path() / "gt") &&
        (o.sets.empty() ||
         std::find(o.sets.begin(), o.sets.end(), entry.path().filename()) != o.sets.end()))
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    throw Error(ErrorCode::invalid_argument,
                "no evaluation set under " + o.data + " (expected <set>/images and <set>/gt)");

  const CutOptions pipeline = o.pipeline.cut_options(false);
  const std::vector<NamedSteps> steps =
      o.candidates_file.empty()
          ? std::vector<NamedSteps>{{o.pipeline.preset, pipeline.steps.value_or(preset_steps(pipeline.preset))}}
          : read_candidates(o.candidates_file);
  const ModelSpec spec = o.pipeline.model_spec();
  EngineOptions engine_options = o.pipeline.engine_options();
  engine_options.prediction_cache = o.prediction_cache;
  const Engine engine(spec, engine_options);
  const Evaluation e = evaluate(sets, Remover(engine), steps, o);

  json report{{"model", spec.name}};
  if (o.candidates_file.empty()) {
    report["preset"] = o.pipeline.preset;
    report["steps"] = describe_steps(steps[0].steps);
    report["sets"] = set_reports(e.photos, e.candidates[0].scores);
    print_sets(report["sets"]);
  } else {
    report.update(choose(e, steps, o));
  }
  if (!o.json_file.empty()) write_file_atomic(o.json_file, report.dump(2) + "\n");
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& parent) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* app = parent.add_subcommand(
      "eval", "Measure accuracy against ground-truth mattes (<set>/images, <set>/gt, "
              "optional <set>/ignore and <set>/trimap)");
  app->add_option("--data", options->data, "Folder of evaluation sets")->required()->option_text("DIR");
  app->add_option("--set", options->sets, "Evaluate only these sets")->option_text("NAME");
  app->add_option("--json", options->json_file, "Also write every figure, per image, as JSON")
      ->option_text("FILE");
  app->add_flag("-v,--verbose", options->verbose, "Print each image's figures");
  app->add_option("--choose", options->candidates_file,
                  "Measure each candidate of FILE (lines NAME STEPS) and the bare model, then choose "
                  "among them by cross-validation and report the held-out figures")
      ->option_text("FILE")
      ->check(CLI::ExistingFile);
  app->add_option("--folds", options->folds, "Folds of the cross-validation of --choose")
      ->check(CLI::Range(2, 50))
      ->capture_default_str();
  app->add_option("--max-loss", options->max_loss,
                  "With --choose: steps that leave any photograph worse than the bare model by more "
                  "than this MAE are not chosen")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--prediction-cache", options->prediction_cache,
                  "Keep the model's outputs in DIR and reuse them in later runs (for sweeps)")
      ->option_text("DIR");
  options->pipeline.add_to(*app);
  return {app, [options] { return run_eval(*options); }};
}

}  // namespace rmbg::cli
