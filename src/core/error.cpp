#include "rmbg/error.hpp"

namespace rmbg {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unsupported_format: return "unsupported_format";
    case ErrorCode::corrupt_image: return "corrupt_image";
    case ErrorCode::image_too_large: return "image_too_large";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::model_missing: return "model_missing";
    case ErrorCode::model_corrupt: return "model_corrupt";
    case ErrorCode::fetch_failed: return "fetch_failed";
    case ErrorCode::inference_failed: return "inference_failed";
    case ErrorCode::upload_too_large: return "upload_too_large";
    case ErrorCode::overloaded: return "overloaded";
    case ErrorCode::not_ready: return "not_ready";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::no_face: return "no_face";
    case ErrorCode::several_faces: return "several_faces";
    case ErrorCode::head_cut_off: return "head_cut_off";
    case ErrorCode::body_cut_off: return "body_cut_off";
    case ErrorCode::file_size_unreachable: return "file_size_unreachable";
    case ErrorCode::queue_unavailable: return "queue_unavailable";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::method_not_allowed: return "method_not_allowed";
    case ErrorCode::url_refused: return "url_refused";
    case ErrorCode::job_unfinished: return "job_unfinished";
  }
  return "unknown";
}

void check_length(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return;
  constexpr std::size_t kQuoted = 20;
  throw Error(ErrorCode::invalid_argument, "'" + std::string(text.substr(0, kQuoted)) + "...' is too long (" +
                                               std::to_string(text.size()) + " characters; at most " +
                                               std::to_string(limit) + ")");
}

}  // namespace rmbg
