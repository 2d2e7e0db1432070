#pragma once
// Video: clips decoded, cut out frame by frame, smoothed over time and encoded, one frame at a
// time, so that memory does not grow with the length of a clip.
//
//   rmbg::VideoReader reader("clip.mp4");
//   rmbg::VideoWriter writer("clip.webm", {rmbg::VideoFormat::vp9_webm}, reader.info(),
//                            rmbg::AudioSource{"clip.mp4", {}});
//   while (auto frame = reader.next()) writer.write(*frame);   // RGBA frames
//   writer.finish();                                           // renamed into place here
//
// cut_video() does all of it with the model and the temporal filter in between.
//
// VideoReader, VideoWriter and cut_video() need FFmpeg: they are built into librmbg-video.so,
// which rmbg reaches through video_module() (rmbg/video_module.hpp). The formats' names and
// with_input_side() are in librmbg itself.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rmbg/engine.hpp"
#include "rmbg/matte.hpp"
#include "rmbg/remover.hpp"
#include "rmbg/render.hpp"
#include "rmbg/temporal_filter.hpp"

namespace rmbg {

struct Rational {
  int num = 0;
  int den = 1;
};

// One picture of a clip, upright, 8-bit RGBA (alpha 255 when the clip has none).
struct VideoFrame {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;
  std::int64_t pts = 0;  // in the clip's time base, counted from the start of the part read
  double seconds = 0;    // the same time in seconds
};

struct VideoInfo {
  int width = 0;   // upright: after the rotation below
  int height = 0;
  int rotation = 0;           // degrees the frames are turned to be upright (phone clips)
  Rational time_base;         // of the frames' pts: the clip's own, so 30000/1001 stays exact
  double origin = 0;          // the time in the source, in seconds, that pts 0 stands for
  Rational frame_rate;        // average; 0/1 when the clip does not say
  double duration = 0;        // seconds of the part read, 0 when unknown
  std::int64_t frame_count = 0;  // expected frames of the part read, 0 when unknown
  std::string codec;          // "h264", "vp9", ...
  int bits = 8;               // bits per component of the source
  bool has_alpha = false;
  bool has_audio = false;
};

struct VideoLimits {
  double max_seconds = 600;                  // a longer clip (or part) is refused
  std::uint64_t max_pixels = 3840ull * 2160;  // per frame
};

// The part of a clip to read: from `start` seconds, for `duration` seconds (0: to the end).
struct ClipRange {
  double start = 0;
  double duration = 0;
};

// Throws Error: unsupported_format (not a video, no video stream, a codec FFmpeg cannot decode),
// corrupt_image (a damaged or truncated clip, no frame at all), image_too_large (over `limits`,
// refused before decoding), io_error.
class VideoReader {
 public:
  VideoReader(const std::filesystem::path& path, const VideoLimits& limits = {}, const ClipRange& range = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  std::optional<VideoFrame> next();  // none after the last frame of the range

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class VideoFormat {
  prores_mov,    // ProRes 4444 with alpha: what Premiere, Resolve and Final Cut import
  vp9_webm,      // VP9 with alpha: plays with transparency in Chrome and Firefox
  png_sequence,  // a folder of RGBA PNGs and frames.txt with each frame's time
  webp,          // animated WebP with alpha, for stickers
  gif,           // animated GIF, transparency on or off per pixel
  h264_mp4,      // H.264 without alpha: the subject on a background, or the grey matte
};
// "mov", "webm", "png", "webp", "gif" or "mp4"; throws Error(invalid_argument) for others.
VideoFormat parse_video_format(std::string_view name);
std::string_view video_format_name(VideoFormat format);
// The format an output name's extension says; none for no extension (a PNG sequence's folder)
// or one that is not a video format.
std::optional<VideoFormat> video_format_of(const std::filesystem::path& output);
bool keeps_transparency(VideoFormat format);

struct VideoOutputSpec {
  VideoFormat format = VideoFormat::vp9_webm;
  int max_side = 0;        // the longer side scaled down to this; 0 keeps the size
  double frame_rate = 0;   // frames resampled to this rate; 0 keeps every frame and its time
};

// The sound of `path`'s part `range`: copied when the output's container takes its codec,
// re-encoded otherwise (Opus for WebM, AAC for MOV and MP4). Image formats drop it.
struct AudioSource {
  std::filesystem::path path;
  ClipRange range;
};

// Writes to a temporary name beside `path` (a temporary folder for a PNG sequence) and renames
// it into place in finish(); destroyed before that, it deletes what it wrote.
class VideoWriter {
 public:
  VideoWriter(const std::filesystem::path& path, const VideoOutputSpec& spec, const VideoInfo& source,
              const std::optional<AudioSource>& audio = std::nullopt);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  void write(const VideoFrame& frame);  // RGBA, the size and time base of `source`
  void finish();
  bool writes_audio() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// What goes behind the subject of an output without transparency (and of any output when set).
struct VideoBackground {
  std::optional<Colour> colour;
  std::filesystem::path picture;  // a photograph, scaled to cover the frame
  std::filesystem::path video;    // a clip, scaled to cover the frame, looped when shorter
};

struct VideoCutOptions {
  CutOptions cut;
  VideoLimits limits;
  ClipRange range;
  VideoOutputSpec output;
  bool mask = false;               // the grey matte instead of the cut-out
  VideoBackground background;
  bool temporal_filter = true;
  TemporalOptions temporal;
  bool keep_audio = true;
  // Runs each frame's cut-out (the model and the refinement) when given, so that a caller can
  // make the frames take turns with other work for the engine (the server's queue); else the
  // frames run directly.
  std::function<void(const std::function<void()>&)> run_cut;
};

struct VideoProgress {
  std::int64_t frames = 0;  // done so far
  std::int64_t total = 0;   // expected, 0 when unknown
};

// `spec` with a square model input of `side` (a faster setting for video); throws
// Error(invalid_argument) when the model does not take that size. 0 keeps the model's own.
ModelSpec with_input_side(ModelSpec spec, int side);

// The whole clip: decode, cut out, filter, compose, encode. `progress` is called after each frame.
// Throws Error; no file is left under `output` unless it is complete.
void cut_video(const Engine& engine, const std::filesystem::path& input, const std::filesystem::path& output,
               const VideoCutOptions& options, const std::function<void(const VideoProgress&)>& progress = {});

}  // namespace rmbg
