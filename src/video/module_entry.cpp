// The one symbol librmbg-video.so exports (named kVideoModuleSymbol) for the program that loads it
// (video_module.cpp).
#include "rmbg/video_module.hpp"

namespace rmbg {
namespace {

VideoInfo read_info(const std::filesystem::path& clip, const VideoLimits& limits, const ClipRange& range) {
  return VideoReader(clip, limits, range).info();
}

}  // namespace
}  // namespace rmbg

extern "C" const rmbg::VideoModule rmbg_video_module{rmbg::read_info, rmbg::cut_video};
