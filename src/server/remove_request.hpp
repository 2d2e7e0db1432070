#pragma once
// The form of POST /remove-bg, checked and turned into what the library needs.
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "rmbg/remover.hpp"

namespace rmbg::server {

struct RemoveRequest {
  std::string_view image;  // the uploaded bytes, owned by the parsed form
  OutputSpec output;
  std::optional<Preset> preset;  // the server's own when the request does not say
};

// Fields: image (required), format, type, bg, depth, crop, quality, preset, model. An empty value means
// the default, except for crop, where it means "crop with no margin". Throws
// Error(invalid_argument) naming the field for anything missing, unknown or out of range;
// `model` must name the model this server runs, `model_name`.
RemoveRequest parse_remove_request(const httplib::MultipartFormDataMap& form,
                                   const std::string& model_name);

}  // namespace rmbg::server
