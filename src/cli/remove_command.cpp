#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "channel.hpp"
#include "commands.hpp"
#include "folder_watch.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "progress.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/remover.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

struct RemoveOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool recursive = false;
  bool overwrite = false;
  bool mask = false;
  std::string background;
  std::string format;
  int depth = 8;
  std::optional<int> crop;
  int quality = 90;
  bool quiet = false;
  bool verbose = false;
  std::string watch;  // a folder to watch, instead of inputs
  PipelineOptions pipeline;
};

struct Job {
  std::string input;   // a path, or "-" for standard input
  std::string output;  // a path, or "-" for standard output
  std::string problem;  // set when the job cannot run at all
};

constexpr const char* kStdio = "-";

bool looks_like_directory(const std::string& path) {
  return fs::is_directory(path) || path.ends_with('/');
}

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
  if (!o.format.empty()) {
    const OutputFormat chosen = parse_format(o.format);
    if (from_name && *from_name != chosen)
      throw Error(ErrorCode::invalid_argument,
                  "--format " + o.format + " disagrees with the output name " + o.output);
    return chosen;
  }
  if (from_name) return *from_name;
  if (unnamed) return OutputFormat::png;
  throw Error(ErrorCode::invalid_argument,
              "cannot tell the format from '" + o.output +
                  "': end it in .png, .webp or .jpg, or pass --format");
}

// An output that is one of the inputs would replace the photograph with its cut-out: refused,
// --overwrite or not. Canonical paths see through "./", "..", and symbolic links.
void refuse_inputs_as_outputs(std::vector<Job>& jobs) {
  std::set<fs::path> inputs;
  for (const Job& job : jobs)
    if (job.input != kStdio) inputs.insert(fs::weakly_canonical(job.input));
  for (Job& job : jobs)
    if (job.problem.empty() && job.output != kStdio && inputs.contains(fs::weakly_canonical(job.output)))
      job.problem = "the output " + job.output + " is one of the inputs: refused, even with --overwrite";
}

// Expands directories and maps every input to its output path.
std::vector<Job> plan_batch(const RemoveOptions& o, OutputFormat format) {
  const fs::path out_dir = o.output;
  const fs::path out_dir_abs = fs::weakly_canonical(out_dir);
  std::vector<Job> jobs;
  std::set<std::string> planned;
  auto add = [&](const fs::path& input, const fs::path& relative) {
    fs::path target = out_dir / relative;
    target.replace_extension(extension(format));
    Job job{input.string(), target.string(), ""};
    if (!planned.insert(job.output).second)
      job.problem = "another input already writes " + job.output;
    jobs.push_back(job);
  };
  for (const auto& input : o.inputs) {
    if (input == kStdio) {
      jobs.push_back({input, "", "standard input can only be used for a single image"});
    } else if (fs::is_directory(input)) {
      std::vector<fs::path> files;
      auto collect = [&](const fs::directory_entry& entry) {
        if (!entry.is_regular_file() || !has_image_extension(entry.path())) return;
        const fs::path abs = fs::weakly_canonical(entry.path());
        const auto [end, _] = std::mismatch(out_dir_abs.begin(), out_dir_abs.end(), abs.begin(), abs.end());
        if (end != out_dir_abs.end()) files.push_back(entry.path());  // skip our own outputs
      };
      if (o.recursive)
        for (const auto& entry : fs::recursive_directory_iterator(input)) collect(entry);
      else
        for (const auto& entry : fs::directory_iterator(input)) collect(entry);
      std::sort(files.begin(), files.end());
      for (const auto& file : files) add(file, fs::relative(file, input));
    } else {
      add(input, fs::path(input).filename());
    }
  }
  return jobs;
}

std::vector<Job> plan(const RemoveOptions& o, OutputFormat format, bool batch) {
  std::vector<Job> jobs;
  if (batch) {
    jobs = plan_batch(o, format);
  } else {
    std::string output = o.output;
    if (output != kStdio && looks_like_directory(output))
      output = (fs::path(output) / fs::path(o.inputs[0]).stem()).string() + std::string(extension(format));
    jobs.push_back({o.inputs[0], output, ""});
  }
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

std::string read_input(const std::string& input) {
  if (input != kStdio) return read_file(input);
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void write_output(const std::string& output, const std::string& bytes) {
  if (output != kStdio) return write_file_atomic(output, bytes);
  std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::cout.flush();
  if (!std::cout) throw Error(ErrorCode::io_error, "cannot write to standard output");
}

// A job on its way through the pipeline: decoded, cut out, then written. `settled` is set as
// soon as its outcome is known without the later stages: skipped, or failed.
struct Work {
  const Job* job;
  std::string name;  // as reported
  std::optional<Image> image;
  std::optional<Cutout> cutout;
  struct Report {
    Outcome outcome;
    std::string detail;
  };
  std::optional<Report> settled;
};

std::string failure_text(const std::exception& e) {
  return dynamic_cast<const Error*>(&e) ? e.what() : std::string("internal error: ") + e.what();
}

Work decode_stage(const Job& job, bool overwrite, const DecodeLimits& limits) {
  Work work{&job, job.input == kStdio ? "standard input" : job.input, {}, {}, {}};
  if (!job.problem.empty()) {
    work.settled = {Outcome::failed, job.problem};
  } else if (job.output != kStdio && !overwrite && fs::exists(job.output)) {
    work.settled = {Outcome::skipped, job.output + " exists (--overwrite replaces it)"};
  } else {
    try {
      work.image = decode_image(read_input(job.input), limits);
    } catch (const std::exception& e) {
      work.settled = {Outcome::failed, failure_text(e)};
    }
  }
  return work;
}

Work::Report write_stage(const Work& work, const OutputSpec& spec) {
  if (work.settled) return *work.settled;
  try {
    write_output(work.job->output, encode(render(*work.image, *work.cutout, spec), spec));
    return {Outcome::written, work.job->output == kStdio ? "" : "-> " + work.job->output};
  } catch (const std::exception& e) {
    return {Outcome::failed, failure_text(e)};
  }
}

// Cuts a decoded image out with the engine, which it loads when the first image needs it.
class Cutter {
 public:
  Cutter(const RemoveOptions& o, bool foreground) : o_(o), options_(o.pipeline.cut_options(foreground)) {}

  // Leaves the cut-out in `work`, or settles it as failed. `note` hears where the model runs.
  // Throws when the model cannot be loaded: without it nothing can be done, so the batch stops
  // instead of failing every file the same way.
  void cut(Work& work, const std::function<void(const std::string&, bool)>& note) {
    if (work.settled) return;
    if (!engine_) {
      engine_ = std::make_unique<Engine>(o_.pipeline.model_spec(), o_.pipeline.engine_options());
      const DeviceReport& device = engine_->device();
      // Where the model runs is news only when a device was asked for, or to --verbose.
      if (o_.verbose || o_.pipeline.device != "auto" || device.fell_back) note(device.summary, device.fell_back);
      if (o_.verbose) note("model " + engine_->spec().name + ", preset " + o_.pipeline.preset, false);
    }
    try {
      work.cutout = Remover(*engine_).cut(*work.image, options_);
    } catch (const std::exception& e) {
      work.settled = {Outcome::failed, failure_text(e)};
    }
  }

 private:
  const RemoveOptions& o_;
  CutOptions options_;
  std::unique_ptr<Engine> engine_;
};

OutputSpec output_spec(const RemoveOptions& o, bool batch) {
  OutputSpec spec;
  spec.format = output_format(o, batch);
  spec.kind = o.mask ? OutputKind::mask : OutputKind::foreground;
  spec.depth = o.depth;
  spec.quality = o.quality;
  spec.crop_margin = o.crop;
  if (!o.background.empty()) spec.background = parse_colour(o.background);
  validate(spec);
  return spec;
}

// Cuts out each photograph that arrives in the watched folder, once it is completely written,
// into the output folder, until stopped by a signal.
int run_watch(const RemoveOptions& o) {
  FolderWatch watch(o.watch);
  const OutputSpec spec = output_spec(o, true);
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
  Cutter cutter(o, spec.kind == OutputKind::foreground);
  const DecodeLimits limits = o.pipeline.decode_limits();
  for (;;) {
    const fs::path input = watch.next();
    fs::path output = fs::path(o.output) / input.filename();
    output.replace_extension(extension(spec.format));
    const Job job{input.string(), output.string(), ""};
    Work work = decode_stage(job, o.overwrite, limits);
    cutter.cut(work, note);
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

  const OutputSpec spec = output_spec(o, batch);
  const auto jobs = o.output.empty() ? plan_beside_inputs(o, spec.format) : plan(o, spec.format, batch);
  BatchProgress progress(jobs.size(), o.quiet || o.output == kStdio);
  std::mutex progress_mutex;
  const DecodeLimits limits = o.pipeline.decode_limits();
  Cutter cutter(o, spec.kind == OutputKind::foreground);
  const auto note = [&](const std::string& text, bool warning) {
    std::lock_guard lock(progress_mutex);
    progress.note(text, warning);
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
        cutter.cut(*work, note);
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
  app->add_flag("--mask", o.mask, "Write the grey-scale alpha mask instead of the cut-out");
  app->add_option("--bg", o.background, "Fill the background with a colour: '#rrggbb' or a name")
      ->option_text("COLOUR");
  app->add_option("-f,--format", o.format, "png, webp or jpeg (default: from the output name, else png)")
      ->option_text("FORMAT");
  app->add_option("--depth", o.depth, "Bits per channel: 8, or 16 for PNG")
      ->check(CLI::IsMember({8, 16}))
      ->capture_default_str();
  app->add_option("--crop", o.crop, "Crop to the subject, keeping PX pixels around it")
      ->option_text("[PX]")
      ->expected(0, 1)
      ->default_str("0");
  app->add_option("--quality", o.quality, "Quality of JPEG and WebP output")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  auto* quiet = app->add_flag("-q,--quiet", o.quiet, "Report failures only");
  app->add_flag("-v,--verbose", o.verbose, "Also say where the model runs, which model and preset, and the time taken")
      ->excludes(quiet);
  o.pipeline.add_to(*app);
  return {app, [options] { return run_remove(*options); }};
}

}  // namespace rmbg::cli
