// rembg's server routes: POST /api/remove (the photograph as `file`) and GET /api/remove?url=,
// for clients written for `rembg s`. Options come as query parameters or form fields.
#include <algorithm>
#include <map>

#include "form_fields.hpp"
#include "rmbg/remover.hpp"
#include "routes.hpp"
#include "url_fetch.hpp"

namespace rmbg::server {
namespace {

Error invalid(const std::string& message) { return Error(ErrorCode::invalid_argument, message); }

// rembg's options that change nothing here: rmbg runs its own model and refinement.
const std::vector<std::string_view> kAccepted{"model", "a", "af", "ab", "ae", "ppm", "extras"};

bool is_true(const std::string& value) { return value == "true" || value == "1" || value == "True"; }

// "r,g,b,a" (rembg's bgc), each 0..255; an alpha of 0 means no fill.
std::optional<Colour> colour_of(const std::string& text) {
  check_length(text);
  std::vector<int> channels;
  std::string rest = text;
  for (std::size_t at; !rest.empty(); rest = at == std::string::npos ? "" : rest.substr(at + 1)) {
    at = rest.find(',');
    channels.push_back(parse_int(rest.substr(0, at)));
  }
  if (channels.size() != 4 || std::any_of(channels.begin(), channels.end(), [](int c) { return c < 0 || c > 255; }))
    throw invalid("bgc must be r,g,b,a with each between 0 and 255");
  if (channels[3] == 0) return std::nullopt;
  return Colour{{channels[0] / 255.f, channels[1] / 255.f, channels[2] / 255.f}};
}

// The options of a request, from its form and its query.
OutputSpec output_of(const std::map<std::string, std::string>& options) {
  OutputSpec spec;
  for (const auto& [name, value] : options) {
    try {
      check_length(name);
      if (name == "om") {
        if (is_true(value)) spec.kind = OutputKind::mask;
      } else if (name == "bgc") {
        spec.background = colour_of(value);
      } else if (std::find(kAccepted.begin(), kAccepted.end(), name) == kAccepted.end()) {
        throw invalid("unknown option (rembg's are model, a, af, ab, ae, om, ppm, bgc and extras)");
      }
    } catch (const Error& e) {
      throw invalid("option '" + name + "': " + e.what());
    }
  }
  if (spec.kind == OutputKind::mask) spec.background.reset();  // rembg ignores bgc for masks
  validate(spec);
  return spec;
}

void answer(Service& service, const std::string& bytes, const OutputSpec& spec, httplib::Response& response) {
  Engine& engine = service.engine();
  const Image image = decode_image(bytes, service.config().limits);
  std::string body;
  service.run_inference([&] {
    StageTimes times;
    const Cutout cutout =
        Remover(engine).cut(image, {service.config().preset, spec.kind == OutputKind::foreground, std::nullopt}, &times);
    service.metrics().record_inference(times.inference);
    body = encode(render(image, cutout, spec), spec);
  });
  response.body = std::move(body);
  response.set_header("Content-Type", "image/png");
}

std::map<std::string, std::string> query_of(const httplib::Request& request, std::string_view except) {
  std::map<std::string, std::string> options;
  for (const auto& [name, value] : request.params) {
    if (name == except) continue;
    if (!options.emplace(name, value).second) throw invalid("option '" + name + "' is given more than once");
  }
  return options;
}

}  // namespace

void add_rembg_routes(Service& service) {
  service.route("POST", "/api/remove", [&service](const auto& request, auto& response) {
    service.engine();  // a loading model is said before the upload is parsed
    const httplib::MultipartFormDataMap form = Service::form_of(request);
    const auto file = form.find("file");
    if (file == form.end() || file->second.content.empty())
      throw invalid("no image: send the photograph as the multipart/form-data field 'file'");
    std::map<std::string, std::string> options = query_of(request, "");
    for (const auto& [name, part] : form)
      if (name != "file" && !options.emplace(name, part.content).second)
        throw invalid("option '" + name + "' is given more than once");
    answer(service, file->second.content, output_of(options), response);
  }, Service::Work::inference);
  service.route("GET", "/api/remove", [&service](const auto& request, auto& response) {
    service.engine();
    if (!request.has_param("url")) throw invalid("give the image's address as ?url=");
    const OutputSpec spec = output_of(query_of(request, "url"));
    answer(service, fetch_url(request.get_param_value("url"), service.config().fetch), spec, response);
  }, Service::Work::inference);
}

}  // namespace rmbg::server
