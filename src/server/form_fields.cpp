#include "form_fields.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "rmbg/error.hpp"

namespace rmbg::server {

std::string_view form_file(const httplib::MultipartFormDataMap& form, std::string_view file_field,
                           std::initializer_list<std::string_view> fields) {
  for (const auto& [name, part] : form) {
    check_length(name);
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) {
      std::string list;
      for (const std::string_view field : fields)
        list += std::string(list.empty() ? "" : field == *std::prev(fields.end()) ? " and " : ", ") + std::string(field);
      throw Error(ErrorCode::invalid_argument, "unknown field '" + name + "' (the fields are " + list + ")");
    }
    if (name != file_field) {
      try {
        check_length(part.content);
      } catch (const Error& e) {
        throw Error(ErrorCode::invalid_argument, "field '" + name + "': " + e.what());
      }
    }
    if (form.count(name) > 1)
      throw Error(ErrorCode::invalid_argument, "field '" + name + "' is given more than once");
  }
  const auto file = form.find(std::string(file_field));
  const std::string field(file_field);
  if (file == form.end())
    throw Error(ErrorCode::invalid_argument, "no " + field + ": send it as the multipart/form-data field '" + field + "'");
  if (file->second.content.empty()) throw Error(ErrorCode::invalid_argument, "field '" + field + "': the file is empty");
  return file->second.content;
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

double parse_number(std::string_view text) {
  check_length(text);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size() || error != std::errc())
    throw Error(ErrorCode::invalid_argument, "'" + std::string(text) + "' is not a number");
  return value;
}

bool parse_boolean(std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  check_length(text);
  std::string message = "'";
  message.append(text).append("' is neither true nor false");  // (GCC 12 warns wrongly about "'" + string)
  throw Error(ErrorCode::invalid_argument, message);
}

}  // namespace rmbg::server
