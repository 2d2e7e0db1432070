#pragma once
// One error type for the whole library: a machine-readable code and a message for people.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rmbg {

enum class ErrorCode {
  invalid_argument,    // a wrong option or value given by the caller
  unsupported_format,  // bytes that are not an image format rmbg reads
  corrupt_image,       // a supported format, but the data is damaged or truncated
  image_too_large,     // more pixels than the configured limit
  io_error,            // a file that cannot be read or written
  model_missing,       // the model file is not in the cache
  model_corrupt,       // the model file does not match its SHA-256, or will not load
  fetch_failed,        // downloading or unpacking a model failed
  inference_failed,    // ONNX Runtime failed while running a model
  upload_too_large,    // a request body over the server's upload limit
  overloaded,          // every inference slot and queue place is taken: try again later
  not_ready,           // the server is still loading its model: try again later
  not_found,           // no such page or API route
  no_face,             // an ID photo was asked of a photograph with no face in it
  several_faces,       // an ID photo was asked of a photograph of several people
  head_cut_off,        // the photograph's edge cuts through the head: its size cannot be told
  body_cut_off,        // the photograph ends too close under the chin or beside the shoulders for the size
  file_size_unreachable,  // no quality makes the file as small as asked
  queue_unavailable,   // the work queue's server (Redis) cannot be reached or refused a command
  unauthorized,        // the server wants an API key, and the request has none or a wrong one
  forbidden,           // not for this client: a Host the server does not answer to, a route kept to loopback
  method_not_allowed,  // a known route asked with a method it does not answer
  url_refused,         // an image URL the server may not or could not fetch
  job_unfinished,      // a video job's result was asked for before the job finished
};

// Stable, snake_case name of a code, as used in JSON errors ("corrupt_image").
std::string_view code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// The longest option or form field rmbg parses: a name, a colour, a size or a number.
constexpr std::size_t kMaxOptionLength = 64;

// Refuses text of more than `limit` characters before anything parses it: options and form
// fields are short, and a long one is an attack or a mistake. The message quotes only its start.
void check_length(std::string_view text, std::size_t limit = kMaxOptionLength);

}  // namespace rmbg
