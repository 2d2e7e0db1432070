#pragma once
// What every form of the API shares: a photograph in the field `image`, option fields each given
// at most once, and whole numbers.
#include <initializer_list>
#include <string>
#include <string_view>

#include <httplib.h>

namespace rmbg::server {

// The uploaded file of the field `file_field`. Throws Error(invalid_argument) for a field not in
// `fields` (which includes `file_field`), a field given twice, a name or a value other than the
// file's longer than a few dozen characters (before anything parses it), and a missing or empty file.
std::string_view form_file(const httplib::MultipartFormDataMap& form, std::string_view file_field,
                           std::initializer_list<std::string_view> fields);
// The uploaded photograph, in the field `image`.
inline std::string_view form_image(const httplib::MultipartFormDataMap& form, std::initializer_list<std::string_view> fields) {
  return form_file(form, "image", fields);
}

// Throws Error(invalid_argument) for anything but a whole number, and for one out of the range
// of an int.
int parse_int(const std::string& text);
// Throws Error(invalid_argument) for anything but a decimal number.
double parse_number(std::string_view text);
// "true" or "1", "false" or "0"; throws Error(invalid_argument) for anything else.
bool parse_boolean(std::string_view text);

}  // namespace rmbg::server
