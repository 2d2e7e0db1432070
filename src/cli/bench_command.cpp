#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model_options.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/remover.hpp"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace rmbg::cli {
namespace {

struct BenchOptions {
  std::vector<std::string> images;
  std::vector<std::string> sizes{"800x600", "1920x1080", "3840x2160"};
  int repeat = 3;
  std::string json_file;
  PipelineOptions pipeline;
};

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// The photograph cropped and scaled to exactly width x height, as a JPEG like a camera's.
std::string jpeg_at_size(const std::string& path, int width, int height) {
  const vips::VImage image = read_image(path).rgb.thumbnail_image(
      width, vips::VImage::option()->set("height", height)->set("crop", VIPS_INTERESTING_CENTRE)->set(
                 "size", VIPS_SIZE_BOTH));
  void* buffer = nullptr;
  size_t size = 0;
  image.write_to_buffer(".jpg", &buffer, &size, vips::VImage::option()->set("Q", 90));
  std::string bytes(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return bytes;
}

struct Stages {
  std::vector<double> total, decode, inference, refinement, encode;
};

// Decode, cut, render and encode one photograph, as `rmbg remove` does.
void run_once(const std::string& jpeg, const Remover& remover, const BenchOptions& o, Stages& s) {
  const auto start = Clock::now();
  const Image image = decode_image(jpeg, o.pipeline.decode_limits());
  const double decoded = since(start);
  StageTimes times;
  const Cutout cutout = remover.cut(image, o.pipeline.cut_options(true), &times);
  const auto encoding = Clock::now();
  const OutputSpec spec;
  const std::string png = encode(render(image, cutout, spec), spec);
  s.encode.push_back(since(encoding));
  s.decode.push_back(decoded);
  s.inference.push_back(times.inference);
  s.refinement.push_back(times.refinement);
  s.total.push_back(since(start));
}

int run_bench(const BenchOptions& o) {
  const auto load_start = Clock::now();
  const ModelSpec spec = o.pipeline.model_spec();
  const Engine engine(spec, o.pipeline.engine_options());
  const Remover remover(engine);
  const double load_s = since(load_start);

  json report{{"model", spec.name},          {"preset", o.pipeline.preset},
              {"model_load_s", load_s},          {"execution_provider", engine.device().provider},
              {"device", engine.device().summary}, {"sizes", json::object()}};
  std::printf("model %s, loaded in %.2f s; %s\nmedians over %zu image(s) x %d run(s)\n",
              spec.name.c_str(), load_s, engine.device().summary.c_str(), o.images.size(),
              o.repeat);
  std::printf("%-10s %8s %8s %8s %8s %8s\n", "size", "total", "decode", "infer", "refine", "encode");
  bool first = true;
  for (const auto& size : o.sizes) {
    int w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0)
      throw Error(ErrorCode::invalid_argument, "--sizes: '" + size + "' is not WxH");
    Stages s;
    for (const auto& path : o.images) {
      const std::string jpeg = jpeg_at_size(path, w, h);
      for (int r = 0; r < o.repeat; ++r) {
        run_once(jpeg, remover, o, s);
        if (first) {  // the cold start: model load plus the first image of the process
          report["first_image_s"] = s.total.back();
          report["cold_s"] = load_s + s.total.back();
          first = false;
        }
      }
    }
    std::printf("%-10s %8.3f %8.3f %8.3f %8.3f %8.3f\n", size.c_str(), median(s.total),
                median(s.decode), median(s.inference), median(s.refinement), median(s.encode));
    std::fflush(stdout);
    report["sizes"][size] = {{"total_s", median(s.total)},        {"decode_s", median(s.decode)},
                             {"inference_s", median(s.inference)}, {"refine_s", median(s.refinement)},
                             {"encode_s", median(s.encode)},       {"runs", s.total.size()}};
  }
  report["peak_rss_mb"] = peak_rss_mb();
  std::printf("cold start (load + first image) %.2f s; peak RSS %.0f MB\n",
              report["cold_s"].get<double>(), peak_rss_mb());
  if (!o.json_file.empty()) write_file_atomic(o.json_file, report.dump(2) + "\n");
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& parent) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* app = parent.add_subcommand(
      "bench", "Time the whole pipeline (decode, inference, refinement, PNG encode) per image size");
  app->add_option("images", options->images, "Photographs to scale to each size")
      ->required()
      ->check(CLI::ExistingFile)
      ->option_text("IMAGE...");
  app->add_option("--sizes", options->sizes, "Sizes to test")->delimiter(',')->capture_default_str();
  app->add_option("--repeat", options->repeat, "Runs per image and size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--json", options->json_file, "Also write the figures as JSON")->option_text("FILE");
  options->pipeline.add_to(*app);
  return {app, [options] { return run_bench(*options); }};
}

}  // namespace rmbg::cli
