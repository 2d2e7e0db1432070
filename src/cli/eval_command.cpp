#include <cstdio>
#include "rmbg/files.hpp"
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model_options.hpp"
#include "rmbg/error.hpp"
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
};

// A single-channel mask of the same layout as the ground truth.
Matte read_mask(const fs::path& path) {
  return to_matte(read_image(path).rgb.extract_band(0));
}

std::optional<Matte> read_optional_mask(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  return read_mask(path);
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

json evaluate_set(const fs::path& dir, const Remover& remover, const EvalOptions& o) {
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(dir / "images"))
    if (entry.is_regular_file()) images.push_back(entry.path());
  std::sort(images.begin(), images.end());

  const CutOptions cut_options = o.pipeline.cut_options(false);
  std::vector<ImageScore> scores;
  json per_image = json::array();
  for (const auto& path : images) {
    const std::string id = path.stem().string();
    const Matte truth = read_mask(dir / "gt" / (id + ".png"));
    const auto ignore = read_optional_mask(dir / "ignore" / (id + ".png"));
    const auto trimap = read_optional_mask(dir / "trimap" / (id + ".png"));
    const Image image = read_image(path, o.pipeline.decode_limits());
    const Matte prediction = to_matte(remover.cut(image, cut_options).alpha());
    const ImageScore s =
        score(prediction, truth, ignore ? &*ignore : nullptr, trimap ? &*trimap : nullptr);
    scores.push_back(s);
    // An image's figures are those of a set of one.
    json row = figures(score_set({s}));
    row["id"] = id;
    if (o.verbose)
      std::fprintf(stderr, "  %-24s MAE %.4f  maxF %.4f  wF %.4f  S %.4f  meanE %.4f  SAD %.2f\n",
                   id.c_str(), s.mae, s.max_f(), s.weighted_f, s.s_measure, s.mean_e(), s.sad);
    per_image.push_back(row);
  }
  json result = figures(score_set(scores));
  result["images"] = images.size();
  result["per_image"] = per_image;
  return result;
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

  const ModelSpec spec = o.pipeline.model_spec();
  const Engine engine(spec, o.pipeline.engine_options());
  const Remover remover(engine);
  json report{{"model", spec.name}, {"preset", o.pipeline.preset}, {"sets", json::object()}};
  // Every set as it finishes; then the matting errors of the sets with a true alpha.
  std::printf("%-25s %6s %8s %8s %8s %8s %8s %9s\n", "set", "images", "MAE", "maxF", "wF", "S",
              "meanE", "SAD");
  std::vector<std::string> matting_sets;
  for (const auto& dir : sets) {
    const std::string name = dir.filename().string();
    if (o.verbose) std::fprintf(stderr, "%s\n", name.c_str());
    const json r = evaluate_set(dir, remover, o);
    std::printf("%-25s %6zu %8.4f %8.4f %8.4f %8.4f %8.4f %9.2f\n", name.c_str(),
                r["images"].get<size_t>(), r["mae"].get<double>(), r["max_f"].get<double>(),
                r["weighted_f"].get<double>(), r["s_measure"].get<double>(),
                r["mean_e"].get<double>(), r["sad"].get<double>());
    std::fflush(stdout);
    if (r.contains("band_sad")) matting_sets.push_back(name);
    report["sets"][name] = r;
  }
  if (!matting_sets.empty()) {
    std::printf("\n%-25s %9s %9s %9s %9s %9s %9s %9s\n", "true alpha set", "bandSAD", "MSE",
                "bandMSE", "grad", "bandGrad", "conn", "bandConn");
    for (const std::string& name : matting_sets) {
      const json& r = report["sets"][name];
      std::printf("%-25s %9.2f %9.4f %9.4f %9.2f %9.2f %9.2f %9.2f\n", name.c_str(),
                  r["band_sad"].get<double>(), r["mse"].get<double>(), r["band_mse"].get<double>(),
                  r["gradient"].get<double>(), r["band_gradient"].get<double>(),
                  r["connectivity"].get<double>(), r["band_connectivity"].get<double>());
    }
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
  options->pipeline.add_to(*app);
  return {app, [options] { return run_eval(*options); }};
}

}  // namespace rmbg::cli
