#pragma once
// The form of POST /api/video, checked and turned into what the library needs.
#include <httplib.h>

#include <string_view>

#include "rmbg/video.hpp"
#include "server.hpp"

namespace rmbg::server {

struct VideoRequest {
  std::string_view clip;  // the uploaded bytes, owned by the parsed form
  VideoCutOptions options;  // as the command line's, without run_cut
};

// Fields: video (required), format, bg, mask, start, duration, max_side, fps, temporal; the
// `config`'s preset and limits. Throws Error(invalid_argument) naming the field for anything
// missing, unknown or out of range.
VideoRequest parse_video_request(const httplib::MultipartFormDataMap& form, const ServerConfig& config);

}  // namespace rmbg::server
