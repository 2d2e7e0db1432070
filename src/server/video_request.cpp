#include "video_request.hpp"

#include "form_fields.hpp"
#include "rmbg/error.hpp"

namespace rmbg::server {

VideoRequest parse_video_request(const httplib::MultipartFormDataMap& form, const ServerConfig& config) {
  VideoRequest request;
  request.clip = form_file(form, "video", {"video", "format", "bg", "mask", "start", "duration", "max_side", "fps",
                                           "temporal"});
  VideoCutOptions& options = request.options;
  const auto field = [&](const char* name) -> const std::string* {
    const auto found = form.find(name);
    return found == form.end() ? nullptr : &found->second.content;
  };
  if (const std::string* format = field("format")) {
    options.output.format = parse_video_format(*format);
    if (options.output.format == VideoFormat::png_sequence)
      throw Error(ErrorCode::invalid_argument, "format png writes a folder of frames: use `rmbg video` for it");
  }
  if (const std::string* colour = field("bg")) options.background.colour = parse_colour(*colour);
  if (const std::string* mask = field("mask")) options.mask = parse_boolean(*mask);
  if (options.output.format == VideoFormat::h264_mp4 && !options.mask && !options.background.colour)
    throw Error(ErrorCode::invalid_argument, "mp4 has no transparency: give a background colour (bg) or mask=true");
  const auto non_negative = [&](const char* name) {
    const std::string* text = field(name);
    const double value = text ? parse_number(*text) : 0;
    if (value < 0) throw Error(ErrorCode::invalid_argument, std::string(name) + " cannot be negative");
    return value;
  };
  options.range = {non_negative("start"), non_negative("duration")};
  if (const std::string* side = field("max_side")) options.output.max_side = parse_int(*side);
  if (options.output.max_side != 0 && (options.output.max_side < 2 || options.output.max_side > 16384))
    throw Error(ErrorCode::invalid_argument, "max_side must be between 2 and 16384");
  options.output.frame_rate = non_negative("fps");
  if (options.output.frame_rate > 240) throw Error(ErrorCode::invalid_argument, "fps must be at most 240");
  if (const std::string* temporal = field("temporal")) options.temporal_filter = parse_boolean(*temporal);
  options.limits = {config.video_max_seconds, config.limits.max_pixels};
  // As the command line: the frame's own colours under the alpha (estimating the subject's costs
  // seconds a frame).
  options.cut = {config.preset, false, std::nullopt};
  return request;
}

}  // namespace rmbg::server
