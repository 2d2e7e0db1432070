// remove.bg's API: POST /v1.0/removebg and GET /v1.0/account, so that a client written for
// remove.bg works against rmbg by changing its base URL. Errors come in remove.bg's shape.
#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "http_errors.hpp"
#include "removebg_request.hpp"
#include "rmbg/remover.hpp"
#include "routes.hpp"
#include "url_fetch.hpp"
#include "zip_archive.hpp"

using nlohmann::json;

namespace rmbg::server {
namespace {

// What /v1.0/account reports: rmbg charges nothing, and JSON has no infinity.
constexpr long kUnlimited = 1'000'000'000;

struct Result {
  std::string body;
  std::string media_type;
  int width = 0, height = 0;
  Region subject;
};

// color.jpg (the subject's colours) and alpha.png (its transparency), as remove.bg's zip holds them.
std::string zipped(const vips::VImage& image) {
  const vips::VImage colour = image.bands() >= 3 ? image.extract_band(0, vips::VImage::option()->set("n", 3)) : image;
  const vips::VImage alpha = image.bands() == 4 || image.bands() == 1 ? image[image.bands() - 1]
                                                                      : vips::VImage::black(image.width(), image.height()) + 255;
  OutputSpec jpeg, png;
  jpeg.format = OutputFormat::jpeg;
  return zip_archive({{"color.jpg", encode(colour.cast(VIPS_FORMAT_UCHAR), jpeg)},
                      {"alpha.png", encode(alpha.cast(VIPS_FORMAT_UCHAR), png)}});
}

Result cut_out(Service& service, Engine& engine, const RemovebgRequest& request, const Image& image) {
  const CutOptions options{service.config().preset, request.output.kind == OutputKind::foreground, std::nullopt};
  StageTimes times;
  const Cutout cutout = Remover(engine).cut(image, options, &times);
  service.metrics().record_inference(times.inference);
  Result result;
  const vips::VImage out = render(image, cutout, request.output, &result.subject);
  result.width = out.width();
  result.height = out.height();
  result.body = request.zip ? zipped(out) : encode(out, request.output);
  result.media_type = request.zip ? "application/zip" : std::string(media_type(request.output.format));
  return result;
}

void remove_background(Service& service, const httplib::Request& http_request, httplib::Response& response) {
  Engine& engine = service.engine();
  const ServerConfig& config = service.config();
  RemovebgRequest request = parse_removebg_request(removebg_fields(http_request, Service::form_of(http_request)));
  if (!request.image_url.empty()) request.image = fetch_url(request.image_url, config.fetch);
  if (!request.backdrop_url.empty()) request.backdrop = fetch_url(request.backdrop_url, config.fetch);
  const Image image = decode_image(request.image, config.limits);
  if (!request.backdrop.empty()) request.output.backdrop = decode_image(request.backdrop, config.limits).rgb;
  Result result;
  service.run_inference([&] { result = cut_out(service, engine, request, image); });
  response.set_header("X-Width", std::to_string(result.width));
  response.set_header("X-Height", std::to_string(result.height));
  response.set_header("X-Type", request.type);
  response.set_header("X-Credits-Charged", "0");
  response.set_header("X-Foreground-Top", std::to_string(result.subject.top));
  response.set_header("X-Foreground-Left", std::to_string(result.subject.left));
  response.set_header("X-Foreground-Width", std::to_string(result.subject.width));
  response.set_header("X-Foreground-Height", std::to_string(result.subject.height));
  if (!Service::wants_json(http_request)) {
    response.body = std::move(result.body);
    response.set_header("Content-Type", result.media_type);
    return;
  }
  const json body{{"data",
                   {{"result_b64", base64(result.body)},
                    {"foreground_top", result.subject.top},
                    {"foreground_left", result.subject.left},
                    {"foreground_width", result.subject.width},
                    {"foreground_height", result.subject.height}}}};
  response.set_content(body.dump(), "application/json");
}

}  // namespace

void add_removebg_routes(Service& service) {
  service.route("POST", "/v1.0/removebg",
                [&service](const auto& request, auto& response) { remove_background(service, request, response); },
                {.work = Service::Work::inference, .write_error = send_removebg_error});
  service.route("GET", "/v1.0/account", [](const auto&, auto& response) {
    const json body{{"data",
                     {{"attributes",
                       {{"credits", {{"total", kUnlimited}, {"subscription", 0}, {"payg", kUnlimited}, {"enterprise", 0}}},
                        {"api", {{"free_calls", kUnlimited}, {"sizes", "all"}}}}}}}};
    response.set_content(body.dump(), "application/json");
  }, {.write_error = send_removebg_error});
}

}  // namespace rmbg::server
