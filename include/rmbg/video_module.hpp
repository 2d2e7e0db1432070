#pragma once
// The code that needs FFmpeg and OpenCV (VideoReader, VideoWriter, TemporalFilter, cut_video) is
// built into librmbg-video.so, which rmbg loads only when a clip is cut: a photograph starts
// without FFmpeg's and OpenCV's hundred libraries. The module takes the rest (the engine, the
// remover, image files) from the program that loads it.
#include <filesystem>
#include <functional>

#include "rmbg/video.hpp"

namespace rmbg {

// What the program asks of the module; the module exports one of these as kVideoModuleSymbol.
struct VideoModule {
  // What VideoReader tells of `clip`'s part `range`; throws what it throws (not a video, over
  // `limits`), so that a clip is refused before it waits for its turn.
  VideoInfo (*read_info)(const std::filesystem::path& clip, const VideoLimits& limits, const ClipRange& range);
  void (*cut_video)(const Engine& engine, const std::filesystem::path& input, const std::filesystem::path& output,
                    const VideoCutOptions& options, const std::function<void(const VideoProgress&)>& progress);
};

constexpr const char* kVideoModuleSymbol = "rmbg_video_module";

// The module, loaded on the first call (from any thread) from the program's folder, else from
// where it is installed (../lib/rmbg beside bin/). Throws Error(io_error) saying where it looked
// when it is not there, or why it would not load; a later call tries again.
const VideoModule& video_module();

}  // namespace rmbg
