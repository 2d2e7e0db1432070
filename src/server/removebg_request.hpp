#pragma once
// remove.bg's POST /v1.0/removebg, so that a client written for remove.bg only changes its base URL:
// its fields, from a multipart form, a urlencoded form or a JSON body, checked and turned into
// what the library needs.
#include <httplib.h>

#include <string>

#include "rmbg/render.hpp"

namespace rmbg::server {

struct RemovebgRequest {
  std::string image;         // the photograph (image_file, or image_file_b64 decoded); empty when
  std::string image_url;     // it is to be fetched from here
  std::string backdrop;      // bg_image_file: a picture to put the cut-out on; empty when
  std::string backdrop_url;  // it is to be fetched from here, or there is none
  OutputSpec output;         // without the backdrop, which is decoded later
  bool zip = false;          // format=zip: color.jpg and alpha.png in one archive, as remove.bg sends
  std::string type;          // what X-Type answers: the type asked for, "other" for auto
};

// The fields of a request, whichever body they came in: the `form` (multipart or urlencoded) when
// there is one, else a JSON object (Content-Type application/json), else the query.
// Throws Error(invalid_argument) for a JSON body that is not an object of plain values.
httplib::MultipartFormDataMap removebg_fields(const httplib::Request& request, httplib::MultipartFormDataMap form);

// Throws Error(invalid_argument) naming the field for anything missing, unknown or wrong.
RemovebgRequest parse_removebg_request(const httplib::MultipartFormDataMap& fields);

}  // namespace rmbg::server
