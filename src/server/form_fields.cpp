#include "form_fields.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "rmbg/error.hpp"

namespace rmbg::server {

std::string_view form_image(const httplib::MultipartFormDataMap& form, std::initializer_list<std::string_view> fields) {
  for (const auto& [name, part] : form) {
    check_length(name);
    if (name != "image") {
      try {
        check_length(part.content);
      } catch (const Error& e) {
        throw Error(ErrorCode::invalid_argument, "field '" + name + "': " + e.what());
      }
    }
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) {
      std::string list;
      for (const std::string_view field : fields)
        list += std::string(list.empty() ? "" : field == *std::prev(fields.end()) ? " and " : ", ") + std::string(field);
      throw Error(ErrorCode::invalid_argument, "unknown field '" + name + "' (the fields are " + list + ")");
    }
    if (form.count(name) > 1)
      throw Error(ErrorCode::invalid_argument, "field '" + name + "' is given more than once");
  }
  const auto image = form.find("image");
  if (image == form.end())
    throw Error(ErrorCode::invalid_argument,
                "no image: send the photograph as the multipart/form-data field 'image'");
  if (image->second.content.empty()) throw Error(ErrorCode::invalid_argument, "field 'image': the file is empty");
  return image->second.content;
}

int parse_int(const std::string& text) {
  check_length(text);
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size() || (error != std::errc() && error != std::errc::result_out_of_range))
    throw Error(ErrorCode::invalid_argument, "'" + text + "' is not a whole number");
  if (error == std::errc::result_out_of_range)
    throw Error(ErrorCode::invalid_argument, "'" + text + "' is out of range (" +
                                                 std::to_string(std::numeric_limits<int>::min()) + " to " +
                                                 std::to_string(std::numeric_limits<int>::max()) + ")");
  return value;
}

}  // namespace rmbg::server
