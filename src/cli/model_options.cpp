#include "model_options.hpp"

#include <charconv>

#include "rmbg/error.hpp"

namespace rmbg::cli {
namespace {

// The number `text` holds, or 0 when it holds anything else or one out of the range of an int.
int whole_number(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

}  // namespace

void PipelineOptions::add_model_to(CLI::App& app) {
  app.add_option("-m,--model", model, "Model from `rmbg models list` (default: the manifest's default)")
      ->option_text("NAME");
  auto* file = app.add_option("--model-file", model_file,
                              "Run your own ONNX model instead (one NCHW RGB input, alpha output)")
                   ->option_text("PATH")
                   ->check(CLI::ExistingFile);
  app.add_option("--input-size", input_size, "Input size of --model-file, WxH or N")
      ->option_text("WxH")
      ->needs(file)
      ->capture_default_str();
  app.add_option("--mean", mean, "Per-channel mean of --model-file, in 0..255 units")
      ->option_text("R,G,B")
      ->delimiter(',')
      ->expected(3)
      ->needs(file);
  app.add_option("--std", std, "Per-channel standard deviation of --model-file, in 0..255 units")
      ->option_text("R,G,B")
      ->delimiter(',')
      ->expected(3)
      ->needs(file);
  app.add_flag("--sigmoid", sigmoid, "Apply a sigmoid to the output of --model-file (logits)")->needs(file);
  app.add_option("--output-index", output_index, "Which output of --model-file is the alpha")
      ->needs(file)
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--threads", threads, "Inference threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--device", device,
                 "Where the model runs: cuda (an NVIDIA GPU, after scripts/bootstrap --gpu), "
                 "cpu, or auto (the GPU when it can be had)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
}

void PipelineOptions::add_cut_to(CLI::App& app) {
  app.add_option("--preset", preset,
                 "Edge quality: fast, balanced or best; raw is the model's mask stretched back, for comparison")
      ->check(CLI::IsMember({"raw", "fast", "balanced", "best"}))
      ->capture_default_str();
  app.add_option("--steps", steps,
                 "Steps instead of the preset's, for measuring them (docs/ACCURACY.md), e.g. "
                 "balanced,snap=0.1:0.9,second=letterbox:768:0.2")
      ->option_text("STEPS")
      ->check([](const std::string& text) {
        parse_steps(text);
        return std::string();
      });
  app.add_option("--max-megapixels", max_megapixels, "Refuse images larger than this")
      ->check(positive_up_to_a_million())
      ->capture_default_str();
}

ModelSpec PipelineOptions::model_spec() const {
  if (model_file.empty()) {
    const auto manifest = ModelManifest::load();
    return manifest.find(model.empty() ? manifest.default_model : model);
  }
  if (!model.empty())
    throw Error(ErrorCode::invalid_argument, "--model and --model-file cannot be used together");
  ModelSpec spec;
  spec.name = std::filesystem::path(model_file).stem().string();
  spec.file = std::filesystem::absolute(model_file).string();
  check_length(input_size);
  const size_t times = input_size.find('x');
  const int w = whole_number(input_size.substr(0, times));
  const int h = times == std::string::npos ? w : whole_number(input_size.substr(times + 1));
  if (w <= 0 || h <= 0 || w > 8192 || h > 8192)
    throw Error(ErrorCode::invalid_argument,
                "--input-size '" + input_size + "' is not a size like 1024x1024 or 1024");
  spec.input.width = w;
  spec.input.height = h;
  for (int c = 0; c < 3; ++c) {
    if (std[c] == 0) throw Error(ErrorCode::invalid_argument, "--std cannot contain 0");
    spec.input.mean[c] = mean[c];
    spec.input.std[c] = std[c];
  }
  spec.output = {output_index, sigmoid};
  return spec;
}

CutOptions PipelineOptions::cut_options(bool estimate_foreground) const {
  return {parse_preset(preset), estimate_foreground,
          steps.empty() ? std::nullopt : std::optional(parse_steps(steps))};
}

CLI::Validator positive_up_to_a_million() { return CLI::PositiveNumber & CLI::Range(0.0, 1e6); }

DecodeLimits PipelineOptions::decode_limits() const {
  return {static_cast<std::uint64_t>(max_megapixels * 1e6)};
}

}  // namespace rmbg::cli
