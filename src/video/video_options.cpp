// The video options that need no FFmpeg: the command line and the server parse them before, or
// without, loading the video module.
#include <algorithm>
#include <cctype>

#include "rmbg/error.hpp"
#include "rmbg/video.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

struct FormatName {
  VideoFormat format;
  const char* name;  // as --format takes it, and the extension
  bool transparent;
};

constexpr FormatName kFormats[] = {
    {VideoFormat::prores_mov, "mov", true}, {VideoFormat::vp9_webm, "webm", true},
    {VideoFormat::png_sequence, "png", true}, {VideoFormat::webp, "webp", true},
    {VideoFormat::gif, "gif", true},         {VideoFormat::h264_mp4, "mp4", false},
};

const FormatName& format_name(VideoFormat format) {
  for (const auto& f : kFormats)
    if (f.format == format) return f;
  throw Error(ErrorCode::invalid_argument, "unknown video format");
}

}  // namespace

VideoFormat parse_video_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (name == f.name) return f.format;
  throw Error(ErrorCode::invalid_argument,
              "unknown video format '" + std::string(name.substr(0, kMaxOptionLength)) + "': mov, webm, png, webp, gif or mp4");
}

std::string_view video_format_name(VideoFormat format) { return format_name(format).name; }

std::optional<VideoFormat> video_format_of(const fs::path& output) {
  std::string ext = output.extension().string();
  if (ext.size() < 2) return std::nullopt;
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& f : kFormats)
    if (ext.substr(1) == f.name) return f.format;
  return std::nullopt;
}

bool keeps_transparency(VideoFormat format) { return format_name(format).transparent; }

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
