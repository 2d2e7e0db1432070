#pragma once
// What every form of the API shares: a photograph in the field `image`, option fields each given
// at most once, and whole numbers.
#include <initializer_list>
#include <string>
#include <string_view>

#include <httplib.h>

namespace rmbg::server {

// The uploaded photograph. Throws Error(invalid_argument) for a field not in `fields` (which
// includes "image"), a field given twice, a name or a value other than the image's longer than a
// few dozen characters (before anything parses it), and a missing or empty image.
std::string_view form_image(const httplib::MultipartFormDataMap& form, std::initializer_list<std::string_view> fields);

// Throws Error(invalid_argument) for anything but a whole number, and for one out of the range
// of an int.
int parse_int(const std::string& text);

}  // namespace rmbg::server
