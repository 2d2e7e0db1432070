#pragma once
// Options shared by every command that runs the pipeline: which model, which preset.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/remover.hpp"

namespace rmbg::cli {

struct PipelineOptions {
  std::string model;
  std::string model_file;
  std::string input_size = "1024x1024";
  std::vector<float> mean{128, 128, 128};
  std::vector<float> std{256, 256, 256};
  bool sigmoid = false;
  int output_index = 0;
  int threads = 0;
  std::string preset{preset_name(kDefaultPreset)};
  std::string steps;  // CutSteps instead of the preset's, when given
  std::string device = "auto";
  double max_megapixels = DecodeLimits{}.max_pixels / 1e6;  // the library's own default

  void add_to(CLI::App& app) {
    add_model_to(app);
    add_cut_to(app);
  }
  // Which model, and where it runs: for a command that loads it.
  void add_model_to(CLI::App& app);
  // How each photograph is cut out: preset, steps, the size limit.
  void add_cut_to(CLI::App& app);
  ModelSpec model_spec() const;  // from the manifest, or a user's own file
  EngineOptions engine_options() const {
    EngineOptions options;
    options.threads = threads;
    options.device = parse_device(device);
    return options;
  }
  CutOptions cut_options(bool estimate_foreground) const;
  DecodeLimits decode_limits() const;
};

// For options in units (MB, KB, megapixels) converted to bytes or pixels: beyond a million of
// them the conversion would overflow.
CLI::Validator positive_up_to_a_million();

}  // namespace rmbg::cli
