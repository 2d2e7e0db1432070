#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "rmbg/models.hpp"

namespace rmbg::cli {
namespace {

struct ModelsOptions {
  std::vector<std::string> names;
  bool all = false;
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
        spec.source ? "npm " + spec.source->package + "@" + spec.source->version : spec.file;
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", spec.size / 1e6);
    std::printf("%-12s %9s  %-9s %-42s %s\n", name.c_str(), size,
                std::string(state_text(model_state(spec, true))).c_str(), origin.c_str(),
                spec.description.c_str());
  }
  std::printf("\n* default model. Cache: %s\n", (cache_dir() / "models").c_str());
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

}  // namespace

Command add_models_command(CLI::App& parent) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* app = parent.add_subcommand("models", "List and fetch models");
  app->require_subcommand(1);
  CLI::App* list = app->add_subcommand("list", "Show every model: size, state, origin");
  CLI::App* fetch = app->add_subcommand("fetch", "Download models into the cache and verify them");
  fetch->add_option("names", options->names,
                    "Models to fetch (default: the default model and the face detector)")
      ->option_text("[NAME...]");
  fetch->add_flag("--all", options->all, "Fetch every model in the manifest");
  fetch->add_flag("--quiet", options->quiet, "Print errors only");
  return {app, [options, list] { return list->parsed() ? list_models() : fetch_models(*options); }};
}

}  // namespace rmbg::cli
