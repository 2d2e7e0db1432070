// The web page, its assets and the API description, all built into the binary.
#include "embedded_files.hpp"
#include "routes.hpp"

namespace rmbg::server {

void add_page_routes(Service& service) {
  for (const EmbeddedFile& file : embedded_files()) {
    service.route("GET", std::string(file.url), [file](const auto&, auto& response) {
      response.set_content(file.content.data(), file.content.size(), std::string(file.content_type));
      response.set_header("Cache-Control", "no-cache");
    });
  }
}

}  // namespace rmbg::server
