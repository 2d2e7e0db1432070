#include <mutex>

#include "commands.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "progress.hpp"
#include "rmbg/error.hpp"
#include "rmbg/video_module.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

struct VideoOptions {
  std::string input;
  std::string output;
  std::string format;
  bool overwrite = false;
  bool mask = false;
  std::string background;
  std::string background_picture;
  std::string background_video;
  double start = 0;
  double duration = 0;
  double max_seconds = VideoLimits{}.max_seconds;
  int max_side = 0;
  double fps = 0;
  int model_side = 0;
  bool no_filter = false;
  double strength = TemporalOptions{}.strength;
  bool no_audio = false;
  bool quiet = false;
  PipelineOptions pipeline;
};

VideoFormat output_format(const VideoOptions& o) {
  const auto from_name = video_format_of(o.output);
  if (!o.format.empty()) {
    const VideoFormat chosen = parse_video_format(o.format);
    if (from_name && *from_name != chosen)
      throw Error(ErrorCode::invalid_argument, "--format " + o.format + " disagrees with the output name " + o.output);
    return chosen;
  }
  if (from_name) return *from_name;
  throw Error(ErrorCode::invalid_argument, "cannot tell the format from '" + o.output +
                                               "': end it in .mov, .webm, .webp, .gif or .mp4, or pass --format "
                                               "(png writes a folder of frames)");
}

int run_video(const VideoOptions& o) {
  VideoCutOptions options;
  options.output.format = output_format(o);
  options.output.max_side = o.max_side;
  options.output.frame_rate = o.fps;
  options.mask = o.mask;
  if (!o.background.empty()) options.background.colour = parse_colour(o.background);
  options.background.picture = o.background_picture;
  options.background.video = o.background_video;
  options.range = {o.start, o.duration};
  options.limits = {o.max_seconds, o.pipeline.decode_limits().max_pixels};
  // The frame's own colours are kept under the alpha: estimating the subject's costs seconds a frame.
  options.cut = o.pipeline.cut_options(false);
  options.temporal_filter = !o.no_filter;
  options.temporal.strength = o.strength;
  options.keep_audio = !o.no_audio;
  if (fs::exists(o.output) && !o.overwrite)
    throw Error(ErrorCode::invalid_argument, o.output + " exists (--overwrite replaces it)");
  // Before the model, which takes seconds to load.
  const VideoModule& video = video_module();

  const Engine engine(with_input_side(o.pipeline.model_spec(), o.model_side), o.pipeline.engine_options());
  std::mutex progress_mutex;
  FrameProgress progress(o.quiet);
  const StopOnSignal stop_on_signal([&](const char* signal) {
    std::lock_guard lock(progress_mutex);
    progress.interrupted(signal);
  });
  video.cut_video(engine, o.input, o.output, options, [&](const VideoProgress& p) {
    std::lock_guard lock(progress_mutex);
    progress.update(p.frames, p.total);
  });
  progress.summary(o.output);
  return 0;
}

}  // namespace

Command add_video_command(CLI::App& parent) {
  auto options = std::make_shared<VideoOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("video", "Cut the subject out of a video clip, frame by frame, without flicker");
  app->footer(
      "Formats (--format, or the output's extension): mov (ProRes 4444 with alpha), webm (VP9 with alpha),\n"
      "png (a folder of RGBA frames and frames.txt), webp and gif (animated, for stickers), mp4 (H.264 on a\n"
      "background given by --bg, --bg-image or --bg-video, or the grey matte with --mask).\n"
      "\n"
      "Examples:\n"
      "  rmbg video clip.mp4 -o clip.webm\n"
      "  rmbg video clip.mov -o cutout.mov --start 5 --duration 10\n"
      "  rmbg video clip.mp4 -o sticker.gif --max-side 320 --fps 12\n"
      "  rmbg video clip.mp4 -o green.mp4 --bg '#00ff00'\n"
      "  rmbg video clip.mp4 -o matte.mp4 --mask\n"
      "\n"
      "Exit status: 0 when written, 1 on an error, 2 for bad usage, 130 or 143 when stopped by SIGINT\n"
      "(Ctrl-C) or SIGTERM. The output is renamed into place only when complete.");
  app->add_option("input", o.input, "The clip")->required()->check(CLI::ExistingFile);
  app->add_option("-o,--output", o.output, "The output file (a folder for png)")->required();
  app->add_option("-f,--format", o.format, "mov, webm, png, webp, gif or mp4 (default: from the output name)")
      ->option_text("FORMAT");
  app->add_flag("--overwrite", o.overwrite, "Replace the output if it exists");
  app->add_flag("--mask", o.mask, "Write the grey matte instead of the cut-out");
  app->add_option("--bg", o.background, "The subject on a colour: '#rrggbb' or a name")->option_text("COLOUR");
  app->add_option("--bg-image", o.background_picture, "The subject on a picture, scaled to cover the frame")
      ->option_text("PATH")
      ->check(CLI::ExistingFile);
  app->add_option("--bg-video", o.background_video, "The subject on another clip, scaled to cover, looped")
      ->option_text("PATH")
      ->check(CLI::ExistingFile);
  app->add_option("--start", o.start, "Start this many seconds into the clip")
      ->check(CLI::NonNegativeNumber)
      ->option_text("SECONDS");
  app->add_option("--duration", o.duration, "Only this many seconds")
      ->check(CLI::PositiveNumber)
      ->option_text("SECONDS");
  app->add_option("--max-seconds", o.max_seconds, "Refuse clips (or parts) longer than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--max-side", o.max_side, "Scale the output down so its longer side is at most PX")
      ->check(CLI::Range(2, 16384))
      ->option_text("PX");
  app->add_option("--fps", o.fps, "Resample the output to this frame rate (stickers)")
      ->check(CLI::Range(0.1, 240.0))
      ->option_text("RATE");
  app->add_option("--model-side", o.model_side,
                  "A smaller square model input: faster, a little less exact (isnet-qdq: 512 is ~3x faster)")
      ->check(CLI::Range(64, 4096))
      ->option_text("PX");
  app->add_flag("--no-temporal", o.no_filter, "Cut every frame on its own (flickers; for comparison)");
  app->add_option("--strength", o.strength, "Weight of the frames before and after where they agree and the motion is reliable")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_flag("--no-audio", o.no_audio, "Drop the sound");
  app->add_flag("--quiet", o.quiet, "No progress bar or summary");
  o.pipeline.add_to(*app);
  return {app, [options] { return run_video(*options); }};
}

}  // namespace rmbg::cli
