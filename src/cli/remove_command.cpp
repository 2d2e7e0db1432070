#include <malloc.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "batch_plan.hpp"
#include "channel.hpp"
#include "commands.hpp"
#include "cut_stages.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "output_options.hpp"
#include "progress.hpp"
#include "rmbg/error.hpp"
#include "rmbg/remover.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

struct RemoveOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool recursive = false;
  bool overwrite = false;
  OutputOptions output_options;
  bool quiet = false;
  PipelineOptions pipeline;
};

std::optional<OutputFormat> format_of_extension(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext.empty()) return std::nullopt;
  try {
    return parse_format(ext);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// One input file to one output file: the format comes from --format or the output's extension;
// into a folder or to standard output, PNG unless --format says otherwise.
OutputFormat single_output_format(const RemoveOptions& o) {
  const bool unnamed = o.output == kStdio || looks_like_directory(o.output);
  const auto from_name = unnamed ? std::nullopt : format_of_extension(o.output);
  const std::string& format = o.output_options.format;
  if (!format.empty()) {
    const OutputFormat chosen = parse_format(format);
    if (from_name && *from_name != chosen)
      throw Error(ErrorCode::invalid_argument,
                  "--format " + format + " disagrees with the output name " + o.output);
    return chosen;
  }
  if (from_name) return *from_name;
  if (unnamed) return OutputFormat::png;
  throw Error(ErrorCode::invalid_argument,
              "cannot tell the format from '" + o.output +
                  "': end it in .png, .webp or .jpg, or pass --format");
}

std::vector<Job> plan(const RemoveOptions& o, OutputFormat format, bool batch) {
  if (batch) return plan_batch(o.inputs, o.output, o.recursive, format);
  std::string output = o.output;
  if (output != kStdio && looks_like_directory(output))
    output = (fs::path(output) / fs::path(o.inputs[0]).stem()).string() + std::string(extension(format));
  std::vector<Job> jobs{{o.inputs[0], output, ""}};
  refuse_inputs_as_outputs(jobs);
  return jobs;
}

int run_remove(const RemoveOptions& o) {
  const bool batch = o.inputs.size() > 1 || fs::is_directory(o.inputs[0]);
  if (batch && o.output == kStdio)
    throw Error(ErrorCode::invalid_argument, "several images cannot all go to standard output");
  if (batch && fs::exists(o.output) && !fs::is_directory(o.output))
    throw Error(ErrorCode::invalid_argument,
                "with several inputs, -o must be a directory, and " + o.output + " is a file");

  const OutputSpec spec =
      o.output_options.spec(batch ? o.output_options.batch_format() : single_output_format(o));

  const auto jobs = plan(o, spec.format, batch);
  BatchProgress progress(jobs.size(), o.quiet || o.output == kStdio);
  std::mutex progress_mutex;
  const DecodeLimits limits = o.pipeline.decode_limits();
  const CutOptions cut_options = o.pipeline.cut_options(spec.kind == OutputKind::foreground);
  std::unique_ptr<Engine> engine;  // loaded when the first image needs it
  const auto load_engine = [&]() -> const Engine& {
    if (!engine) {
      engine = std::make_unique<Engine>(o.pipeline.model_spec(), o.pipeline.engine_options());
      std::lock_guard lock(progress_mutex);
      progress.note(engine->device().summary, engine->device().fell_back);
    }
    return *engine;
  };
  const StopOnSignal stop_on_signal([&](const char* signal) {
    std::lock_guard lock(progress_mutex);
    progress.interrupted(signal);
  });

  // Three stages, each in its own thread: reading and decoding the next image and encoding and
  // writing the previous one overlap with the inference of this one. Queues of one item keep at
  // most five images in memory; results are reported in the order of the inputs.
  Channel<Work> decoded(1), cut(1);
  {
    std::jthread decoder([&] {
      for (const auto& job : jobs)
        if (!decoded.push(decode_stage(job, o.overwrite, limits))) break;
      decoded.close();
    });
    std::jthread writer([&] {
      while (auto work = cut.pop()) {
        const Work::Report report = write_stage(*work, spec);
        const std::string name = std::move(work->name);
        work.reset();
        // Each stage frees into the glibc arena of its own thread; without handing the freed
        // pages back, the resident size grows towards the sum of every thread's own peak.
        ::malloc_trim(0);
        std::lock_guard lock(progress_mutex);
        progress.finish(name, report.outcome, report.detail);
      }
    });
    try {
      while (auto work = decoded.pop()) {
        {
          std::lock_guard lock(progress_mutex);
          progress.start(work->name);
        }
        cut_stage(*work, load_engine, cut_options);
        cut.push(std::move(*work));
      }
    } catch (...) {
      // The decoder stops, the writer reports what it was already given; both end with the scope.
      decoded.close();
      cut.close();
      throw;
    }
    cut.close();
  }
  if (batch || progress.failed() > 0) progress.summary();
  return progress.failed() > 0 ? 1 : 0;
}

}  // namespace

Command add_remove_command(CLI::App& parent) {
  auto options = std::make_shared<RemoveOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("remove", "Cut the subject out of images");
  app->footer(
      "Examples:\n"
      "  rmbg remove photo.jpg -o photo.png\n"
      "  rmbg remove shots/ -o cutouts/ --recursive --bg '#ffffff' --format jpeg\n"
      "  rmbg remove a.jpg b.webp -o masks/ --mask\n"
      "  cat photo.jpg | rmbg remove - -o - > photo.png\n"
      "\n"
      "Exit status: 0 when every image was written or skipped, 1 when any failed, 2 for bad usage,\n"
      "130 or 143 when stopped by SIGINT (Ctrl-C) or SIGTERM. Outputs are renamed into place only when\n"
      "complete: run the same command again to carry on where it stopped.");
  app->add_option("inputs", o.inputs, "Images or directories ('-' reads standard input)")
      ->required()
      ->option_text("INPUT...");
  app->add_option("-o,--output", o.output,
                  "Output file for one image ('-' writes standard output); a directory otherwise")
      ->required()
      ->option_text("OUTPUT");
  app->add_flag("-r,--recursive", o.recursive, "Descend into subdirectories of directory inputs");
  app->add_flag("--overwrite", o.overwrite, "Replace outputs that already exist (default: skip them)");
  o.output_options.add_to(*app);
  app->add_flag("--quiet", o.quiet, "Report failures only");
  o.pipeline.add_to(*app);
  return {app, [options] { return run_remove(*options); }};
}

}  // namespace rmbg::cli
