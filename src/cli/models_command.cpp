#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "rmbg/error.hpp"
#include "rmbg/models.hpp"
#include "rmbg/quantize.hpp"

namespace rmbg::cli {
namespace {

struct ModelsOptions {
  std::vector<std::string> names;
  bool all = false;
  bool quiet = false;
};

// `rmbg models quantize`: remakes a derived model, by default exactly as the manifest says; the
// options change the recipe for experiments, usually with --output elsewhere than the cache.
struct QuantizeCommandOptions {
  std::string name = "isnet-qdq";
  std::string output;
  std::vector<std::string> photos;
  std::string ranges;
  double percentile = 0;
  std::vector<std::string> float_nodes;
  bool quiet = false;
};

std::string_view state_text(ModelState state) {
  switch (state) {
    case ModelState::missing: return "missing";
    case ModelState::unverified: return "present";
    case ModelState::verified: return "verified";
    case ModelState::corrupt: return "CORRUPT";
  }
  return "?";
}

int list_models() {
  const auto manifest = ModelManifest::load();
  std::printf("%-12s %9s  %-9s %-42s %s\n", "NAME", "SIZE", "STATE", "ORIGIN", "DESCRIPTION");
  for (const auto& spec : manifest.models) {
    const std::string name = spec.name + (spec.name == manifest.default_model ? " *" : "");
    const std::string origin =
        spec.source      ? "npm " + spec.source->package + "@" + spec.source->version
        : spec.made_from ? "made from " + spec.made_from->model + " (" + spec.made_from->recipe + ")"
                         : spec.file;
    // A made model has no size in the manifest: show the file's, once it is made.
    std::error_code ec;
    const auto bytes = spec.size ? spec.size : std::filesystem::file_size(model_path(spec), ec);
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", ec ? 0.0 : bytes / 1e6);
    std::printf("%-12s %9s  %-9s %-42s %s\n", name.c_str(), size,
                std::string(state_text(model_state(spec, true))).c_str(), origin.c_str(),
                spec.description.c_str());
  }
  std::printf("\n* default model. Cache: %s\n", (cache_dir() / "models").c_str());
  std::error_code ec;
  if (const auto installed = installed_models_dir(); std::filesystem::is_directory(installed, ec))
    std::printf("Installed with rmbg: %s\n", installed.c_str());
  return 0;
}

int fetch_models(const ModelsOptions& o) {
  const auto manifest = ModelManifest::load();
  std::vector<std::string> names = o.names;
  if (o.all)
    for (const auto& spec : manifest.models) names.push_back(spec.name);
  if (names.empty()) {  // what rmbg needs to run: the default model, and the face detector for ID photos
    names.push_back(manifest.default_model);
    if (!manifest.face_detector.empty()) names.push_back(manifest.face_detector);
  }
  for (const auto& name : names)
    fetch_model(manifest.find(name), [&](const std::string& line) {
      if (!o.quiet) std::fprintf(stderr, "%s\n", line.c_str());
    });
  return 0;
}

int quantize(const QuantizeCommandOptions& o) {
  ModelSpec spec = ModelManifest::load().find(o.name);
  if (!spec.made_from)
    throw Error(ErrorCode::invalid_argument,
                o.name + " is downloaded, not made here; pick a model made from another (`rmbg models list`)");
  auto& recipe = *spec.made_from;
  if (!o.photos.empty()) {
    recipe.photos.clear();
    for (const auto& p : o.photos) recipe.photos.push_back(std::filesystem::absolute(p).string());
  }
  if (!o.ranges.empty()) recipe.ranges = o.ranges;
  if (o.percentile > 0) recipe.percentile = o.percentile;
  if (!o.float_nodes.empty()) recipe.float_nodes = o.float_nodes;
  make_model(spec, [&](const std::string& line) {
    if (!o.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  }, o.output);
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& parent) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* app = parent.add_subcommand("models", "List, fetch and make models");
  app->require_subcommand(1);
  CLI::App* list = app->add_subcommand("list", "Show every model: size, state, origin");
  CLI::App* fetch = app->add_subcommand("fetch", "Download models into the cache and verify them");
  fetch->add_option("names", options->names,
                    "Models to fetch (default: the default model and the face detector)")
      ->option_text("[NAME...]");
  fetch->add_flag("--all", options->all, "Fetch every model in the manifest");
  fetch->add_flag("-q,--quiet", options->quiet, "Print errors only");

  auto q = std::make_shared<QuantizeCommandOptions>();
  CLI::App* quantize_app = app->add_subcommand(
      "quantize", "Make a model from another: float32, or static int8 calibrated on photographs");
  quantize_app->add_option("name", q->name, "Model of the manifest to make")->capture_default_str();
  quantize_app->add_option("-o,--output", q->output, "Write here instead of the model cache")
      ->option_text("FILE");
  quantize_app->add_option("--photos", q->photos, "Calibration photographs instead of the manifest's")
      ->check(CLI::ExistingFile)
      ->option_text("FILE...");
  quantize_app->add_option("--ranges", q->ranges, "Activation ranges: minmax or percentile")
      ->check(CLI::IsMember({"minmax", "percentile"}));
  quantize_app->add_option("--percentile", q->percentile, "Percentile for --ranges percentile")
      ->check(CLI::Range(50.0, 100.0));
  quantize_app->add_option("--float-node", q->float_nodes, "Conv node to leave in float (repeatable)")
      ->option_text("NAME");
  quantize_app->add_flag("-q,--quiet", q->quiet, "Print errors only");
  return {app, [options, list, quantize_app, q] {
            if (quantize_app->parsed()) return quantize(*q);
            return list->parsed() ? list_models() : fetch_models(*options);
          }};
}

}  // namespace rmbg::cli
