#include <malloc.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "batch_plan.hpp"
#include "commands.hpp"
#include "cut_stages.hpp"
#include "folder_watch.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "output_options.hpp"
#include "progress.hpp"
#include "rmbg/channel.hpp"
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
  bool verbose = false;
  std::string watch;  // a folder to watch, instead of inputs
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

// The output format: from --format or the name of the one output file; PNG when neither says.
OutputFormat output_format(const RemoveOptions& o, bool batch) {
  const bool unnamed = batch || o.output.empty() || o.output == kStdio || looks_like_directory(o.output);
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

// With no -o, each output goes beside its input: photo.jpg -> photo.png, or photo-nobg.png where
// that would be the input itself (photo.png), which the result line then names.
std::vector<Job> plan_beside_inputs(const RemoveOptions& o, OutputFormat format) {
  std::vector<Job> jobs;
  for (const auto& input : o.inputs) {
    if (fs::is_directory(input))
      throw Error(ErrorCode::invalid_argument, "the folder " + input + " needs -o OUTDIR for its cut-outs");
    fs::path output = input;
    output.replace_extension(extension(format));
    if (fs::weakly_canonical(output) == fs::weakly_canonical(input))
      output.replace_filename(output.stem().string() + "-nobg" + std::string(extension(format)));
    jobs.push_back({input, output.string(), ""});
  }
  return jobs;
}

// The engine, loaded when the first photograph needs it. Where the model runs is news only when
// a device was asked for, when it fell back, or to --verbose; `note` hears it.
class EngineOnFirstUse {
 public:
  using Note = std::function<void(const std::string& text, bool warning)>;
  EngineOnFirstUse(const RemoveOptions& o, Note note) : o_(o), note_(std::move(note)) {}

  const Engine& operator()() {
    if (engine_) return *engine_;
    engine_ = std::make_unique<Engine>(o_.pipeline.model_spec(), o_.pipeline.engine_options());
    const DeviceReport& device = engine_->device();
    if (o_.verbose || o_.pipeline.device != "auto" || device.fell_back) note_(device.summary, device.fell_back);
    if (o_.verbose) note_("model " + engine_->spec().name + ", preset " + o_.pipeline.preset, false);
    return *engine_;
  }

 private:
  const RemoveOptions& o_;
  Note note_;
  std::unique_ptr<Engine> engine_;
};

// Cuts out each photograph that arrives in the watched folder, once it is completely written,
// into the output folder, until stopped by a signal.
int run_watch(const RemoveOptions& o) {
  FolderWatch watch(o.watch);
  const OutputSpec spec = o.output_options.spec(output_format(o, true));
  if (o.output.empty() || o.output == kStdio)
    throw Error(ErrorCode::invalid_argument, "--watch needs -o OUTDIR, a folder for the cut-outs");
  if (fs::exists(o.output) && !fs::is_directory(o.output))
    throw Error(ErrorCode::invalid_argument, "with --watch, -o must be a folder, and " + o.output + " is a file");
  fs::create_directories(o.output);
  if (fs::equivalent(o.output, o.watch))
    throw Error(ErrorCode::invalid_argument, "--watch and -o must be different folders: the cut-outs would be watched too");
  BatchProgress progress(0, o.quiet);
  std::mutex progress_mutex;
  const StopOnSignal stop_on_signal([&](const char* signal) {
    std::lock_guard lock(progress_mutex);
    progress.interrupted(signal);
  });
  const auto note = [&](const std::string& text, bool warning) {
    std::lock_guard lock(progress_mutex);
    progress.note(text, warning);
  };
  note("watching " + o.watch + " for photographs; Ctrl-C stops", false);
  EngineOnFirstUse engine(o, note);
  const CutOptions cut_options = o.pipeline.cut_options(spec.kind == OutputKind::foreground);
  const DecodeLimits limits = o.pipeline.decode_limits();
  for (;;) {
    const fs::path input = watch.next();
    fs::path output = fs::path(o.output) / input.filename();
    output.replace_extension(extension(spec.format));
    const Job job{input.string(), output.string(), ""};
    Work work = decode_stage(job, o.overwrite, limits);
    cut_stage(work, std::ref(engine), cut_options);
    const Work::Report report = write_stage(work, spec);
    std::lock_guard lock(progress_mutex);
    progress.finish(work.name, report.outcome, report.detail);
  }
}

int run_remove(RemoveOptions o) {
  if (!o.watch.empty()) {
    if (!o.inputs.empty()) throw Error(ErrorCode::invalid_argument, "--watch takes no other inputs");
    return run_watch(o);
  }
  if (o.inputs.empty()) {
    if (isatty(STDIN_FILENO)) throw Error(ErrorCode::invalid_argument, "no input: name photographs or folders, or pipe one in");
    o.inputs.push_back(kStdio);
  }
  // A pipe in goes to a pipe out, unless -o says otherwise.
  if (o.output.empty() && o.inputs == std::vector<std::string>{kStdio}) o.output = kStdio;
  const bool batch = o.inputs.size() > 1 || fs::is_directory(o.inputs[0]);
  if (batch && o.output == kStdio)
    throw Error(ErrorCode::invalid_argument, "several images cannot all go to standard output");
  if (batch && fs::exists(o.output) && !fs::is_directory(o.output))
    throw Error(ErrorCode::invalid_argument,
                "with several inputs, -o must be a directory, and " + o.output + " is a file");

  const OutputSpec spec = o.output_options.spec(output_format(o, batch));
  const auto jobs = o.output.empty() ? plan_beside_inputs(o, spec.format) : plan(o, spec.format, batch);
  BatchProgress progress(jobs.size(), o.quiet || o.output == kStdio);
  std::mutex progress_mutex;
  const DecodeLimits limits = o.pipeline.decode_limits();
  const CutOptions cut_options = o.pipeline.cut_options(spec.kind == OutputKind::foreground);
  EngineOnFirstUse engine(o, [&](const std::string& text, bool warning) {
    std::lock_guard lock(progress_mutex);
    progress.note(text, warning);
  });
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
        cut_stage(*work, std::ref(engine), cut_options);
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
  if (batch || progress.failed() > 0 || o.verbose) progress.summary();
  return progress.failed() > 0 ? 1 : 0;
}

}  // namespace

Command add_remove_command(CLI::App& parent) {
  auto options = std::make_shared<RemoveOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("remove", "Cut the subject out of images");
  app->footer(
      "Examples:\n"
      "  rmbg remove photo.jpg                      (writes photo.png beside it)\n"
      "  rmbg remove shots/ -o cutouts/ --recursive --bg '#ffffff' --format jpeg\n"
      "  rmbg remove a.jpg b.webp -o masks/ --mask\n"
      "  cat photo.jpg | rmbg remove > photo.png\n"
      "  rmbg remove --watch incoming/ -o cutouts/\n"
      "\n"
      "Exit status: 0 when every image was written or skipped, 1 when any failed, 2 for bad usage,\n"
      "130 or 143 when stopped by SIGINT (Ctrl-C) or SIGTERM. Outputs are renamed into place only when\n"
      "complete: run the same command again to carry on where it stopped.");
  app->add_option("inputs", o.inputs,
                  "Images or directories; '-' or none reads standard input when it is a pipe")
      ->option_text("INPUT...");
  app->add_option("-o,--output", o.output,
                  "Output file for one image ('-' writes standard output); a directory otherwise. "
                  "Without it, each cut-out goes beside its image as NAME.png (NAME-nobg.png when that "
                  "is the image itself), and a pipe in goes to standard output")
      ->option_text("OUTPUT");
  app->add_option("-w,--watch", o.watch,
                  "Watch this folder and cut out each photograph that appears in it, once it is "
                  "completely written, into -o OUTDIR (sub-folders are not watched)")
      ->option_text("INDIR");
  app->add_flag("-r,--recursive", o.recursive, "Descend into subdirectories of directory inputs");
  app->add_flag("--overwrite", o.overwrite, "Replace outputs that already exist (default: skip them)");
  o.output_options.add_to(*app);
  auto* quiet = app->add_flag("-q,--quiet", o.quiet, "Report failures only");
  app->add_flag("-v,--verbose", o.verbose, "Also say where the model runs, which model and preset, and the time taken")
      ->excludes(quiet);
  o.pipeline.add_to(*app);
  return {app, [options] { return run_remove(*options); }};
}

}  // namespace rmbg::cli
