#pragma once
// Each output format: its name, and how it is written. Names only, no FFmpeg, so that one table
// serves the options in librmbg (video_options.cpp) and the writer in the video module.
#include "rmbg/video.hpp"

namespace rmbg {

struct VideoFormatTraits {
  VideoFormat format;
  const char* name;       // as --format takes it, and the extension
  bool transparent;
  const char* muxer;      // nullptr: a PNG sequence
  const char* encoder;
  const char* pixels;     // the encoder's pixel format
  bool sound;
  const char* audio_encoder;  // when the sound's codec cannot be copied into the container
};

const VideoFormatTraits& video_format_traits(VideoFormat format);

}  // namespace rmbg
