// POST /remove-bg: a photograph in, its cut-out (or matte, or a fill) out.
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

}  // namespace

void add_cutout_routes(Service& service) {
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
