// The video options that need no FFmpeg, and the formats' table (video_formats.hpp): the command
// line and the server parse them before, or without, loading the video module.
#include <algorithm>
#include <cctype>

#include "rmbg/error.hpp"
#include "video_formats.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

constexpr VideoFormatTraits kFormats[] = {
    {VideoFormat::prores_mov, "mov", true, "mov", "prores_ks", "yuva444p10le", true, "aac"},
    {VideoFormat::vp9_webm, "webm", true, "webm", "libvpx-vp9", "yuva420p", true, "libopus"},
    {VideoFormat::png_sequence, "png", true, nullptr, nullptr, "rgba", false, nullptr},
    {VideoFormat::webp, "webp", true, "webp", "libwebp_anim", "yuva420p", false, nullptr},
    {VideoFormat::gif, "gif", true, "gif", "gif", "pal8", false, nullptr},
    {VideoFormat::h264_mp4, "mp4", false, "mp4", "libx264", "yuv420p", true, "aac"},
};

}  // namespace

const VideoFormatTraits& video_format_traits(VideoFormat format) {
  for (const auto& f : kFormats)
    if (f.format == format) return f;
  throw Error(ErrorCode::invalid_argument, "unknown video format");
}

VideoFormat parse_video_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (name == f.name) return f.format;
  throw Error(ErrorCode::invalid_argument,
              "unknown video format '" + std::string(name.substr(0, kMaxOptionLength)) + "': mov, webm, png, webp, gif or mp4");
}

std::string_view video_format_name(VideoFormat format) { return video_format_traits(format).name; }

std::optional<VideoFormat> video_format_of(const fs::path& output) {
  std::string ext = output.extension().string();
  if (ext.size() < 2) return std::nullopt;
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& f : kFormats)
    if (ext.substr(1) == f.name) return f.format;
  return std::nullopt;
}

bool keeps_transparency(VideoFormat format) { return video_format_traits(format).transparent; }

ModelSpec with_input_side(ModelSpec spec, int side) {
  if (side == 0 || side == spec.input.width) return spec;
  const ModelInput& input = spec.input;
  if (input.side_step <= 0 || side % input.side_step != 0 || side > input.width || side < input.side_step)
    throw Error(ErrorCode::invalid_argument,
                spec.name + " takes " +
                    (input.side_step > 0 ? "input sides in multiples of " + std::to_string(input.side_step) + " up to " +
                                               std::to_string(input.width)
                                         : "only its own input size, " + std::to_string(input.width)));
  spec.input.width = spec.input.height = side;
  spec.input.min_side = std::min(spec.input.min_side, side);
  return spec;
}

}  // namespace rmbg
