// POST /remove-bg: a photograph in, its cut-out (or matte, or a fill) out; POST /api/preview: the
// photograph itself as a JPEG, for a page showing an original its browser cannot draw (HEIC, TIFF).
#include "form_fields.hpp"
#include "remove_request.hpp"
#include "rmbg/remover.hpp"
#include "routes.hpp"

namespace rmbg::server {
namespace {

std::string cut_out(Service& service, Engine& engine, const RemoveRequest& request) {
  const CutOptions options{request.preset.value_or(service.config().preset),
                           request.output.kind == OutputKind::foreground, std::nullopt};
  const Image image = decode_image(request.image, service.config().limits);
  StageTimes times;
  const Cutout cutout = Remover(engine).cut(image, options, &times);
  service.metrics().record_inference(times.inference);
  return encode(render(image, cutout, request.output), request.output);
}

// The photograph decoded as /remove-bg decodes it (upright, the same pixel limit), at its full
// size, as an 8-bit JPEG without metadata.
std::string preview(const Service& service, std::string_view bytes) {
  const Image image = decode_image(bytes, service.config().limits);
  const vips::VImage rgb = image.is_16bit() ? (image.rgb / 257).cast(VIPS_FORMAT_UCHAR) : image.rgb;
  OutputSpec spec;
  spec.format = OutputFormat::jpeg;
  return encode(rgb, spec);
}

}  // namespace

void add_cutout_routes(Service& service) {
  // No model runs, but a large photograph costs as much memory to decode as to cut out: it takes
  // a place in the same queue.
  service.route("POST", "/api/preview", [&service](const auto& http_request, auto& response) {
    const httplib::MultipartFormDataMap form = Service::form_of(http_request);  // the image points into it
    const std::string_view image = form_image(form, {"image"});
    std::string body;
    service.run_inference([&] { body = preview(service, image); });
    response.body = std::move(body);
    response.set_header("Content-Type", std::string(media_type(OutputFormat::jpeg)));
  }, Service::Work::inference);
  service.route("POST", "/remove-bg", [&service](const auto& http_request, auto& response) {
    Engine& engine = service.engine();  // a loading model is said before the upload is parsed
    const httplib::MultipartFormDataMap form = Service::form_of(http_request);  // the request points into it
    const RemoveRequest request = parse_remove_request(form, service.config().model.name);
    std::string body;
    service.run_inference([&] { body = cut_out(service, engine, request); });
    response.body = std::move(body);
    response.set_header("Content-Type", std::string(media_type(request.output.format)));
  }, Service::Work::inference);
}

}  // namespace rmbg::server
