#pragma once
// Files the server answers with as they are: the web page and the API description. They are
// built into the binary (cmake/embed_files.cmake), so rmbg serves them with no files beside it.
#include <span>
#include <string_view>

namespace rmbg::server {

struct EmbeddedFile {
  std::string_view url;  // where it is served: "/", "/app.js", ...
  std::string_view content_type;
  std::string_view content;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace rmbg::server
