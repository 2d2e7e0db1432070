#include "http_errors.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace rmbg::server {
namespace {

void send_json_error(httplib::Response& response, int status, std::string_view code,
                     std::string_view message) {
  response.status = status;
  const nlohmann::json body{{"error", {{"code", code}, {"message", message}}}};
  response.set_content(body.dump(), "application/json");
}

}  // namespace

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::url_refused: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::not_found: return 404;
    case ErrorCode::job_unfinished: return 409;
    case ErrorCode::upload_too_large: return 413;
    case ErrorCode::unsupported_format: return 415;
    case ErrorCode::corrupt_image:
    case ErrorCode::image_too_large:
    case ErrorCode::no_face:
    case ErrorCode::several_faces:
    case ErrorCode::head_cut_off:
    case ErrorCode::body_cut_off:
    case ErrorCode::file_size_unreachable: return 422;
    case ErrorCode::overloaded:
    case ErrorCode::not_ready: return 503;
    case ErrorCode::io_error:
    case ErrorCode::model_missing:
    case ErrorCode::model_corrupt:
    case ErrorCode::fetch_failed:
    case ErrorCode::inference_failed:
    case ErrorCode::queue_unavailable: return 500;
  }
  return 500;
}

ErrorCode code_of_status(int status) {
  switch (status) {
    case 404: return ErrorCode::not_found;
    case 413: return ErrorCode::upload_too_large;
    case 405: return ErrorCode::method_not_allowed;
    default: return ErrorCode::invalid_argument;
  }
}

void send_error(httplib::Response& response, const Error& error) {
  send_json_error(response, http_status(error.code()), code_name(error.code()), error.what());
  if (error.code() == ErrorCode::unauthorized) response.set_header("WWW-Authenticate", "Bearer");
}

int removebg_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::unauthorized: return 403;
    case ErrorCode::overloaded: return 429;
    default: break;
  }
  const int status = http_status(code);
  return status == 415 || status == 422 ? 400 : status;  // remove.bg: an unprocessable image is a 400
}

void send_removebg_error(httplib::Response& response, const Error& error) {
  response.status = removebg_status(error.code());
  const char* title = response.status == 400   ? "Invalid request"
                      : response.status == 403 ? "Authentication failed"
                      : response.status == 429 ? "Rate limit exceeded"
                      : response.status < 500  ? "Request refused"
                                               : "Server error";
  const nlohmann::json body{
      {"errors", {{{"title", title}, {"code", code_name(error.code())}, {"detail", error.what()}}}}};
  response.set_content(body.dump(), "application/json");
}

void send_internal_error(httplib::Response& response, std::string_view message) {
  send_json_error(response, 500, "internal_error", message);
}

}  // namespace rmbg::server
