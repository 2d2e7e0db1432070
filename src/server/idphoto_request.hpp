#pragma once
// The form of POST /api/idphoto, checked and turned into what the library needs.
#include <cstddef>
#include <optional>
#include <string_view>

#include <httplib.h>

#include "rmbg/idphoto.hpp"
#include "rmbg/print_sheet.hpp"

namespace rmbg::server {

struct IdPhotoRequest {
  std::string_view image;  // the uploaded bytes, owned by the parsed form
  IdPhotoOptions options;
  OutputFormat format = OutputFormat::jpeg;
  std::optional<std::size_t> max_bytes;
  const SheetSize* sheet = nullptr;  // a print sheet was asked for
};

// Fields: image and size (required), bg, gradient, dpi, format (jpeg or png), kb, layout. An empty
// value means the default. Throws Error(invalid_argument) naming the field for anything missing,
// unknown or out of range.
IdPhotoRequest parse_idphoto_request(const httplib::MultipartFormDataMap& form);

}  // namespace rmbg::server
