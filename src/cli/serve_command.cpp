#include <memory>

#include "commands.hpp"
#include "model_options.hpp"
#include "server/server.hpp"

namespace rmbg::cli {
namespace {

struct ServeOptions {
  server::ServerConfig config;
  double max_upload_mb = 50;
  int request_timeout = 60;
  int read_timeout = 30;
  int idle_timeout = 5;
  PipelineOptions pipeline;
};

int run_serve(ServeOptions& o) {
  server::ServerConfig& config = o.config;
  config.max_upload_bytes = static_cast<std::size_t>(o.max_upload_mb * 1024 * 1024);
  config.request_timeout = std::chrono::seconds(o.request_timeout);
  config.read_timeout = std::chrono::seconds(o.read_timeout);
  config.idle_timeout = std::chrono::seconds(o.idle_timeout);
  config.model = o.pipeline.model_spec();
  require_model(config.model);  // a missing model is reported now, not after the server started
  const ModelManifest manifest = ModelManifest::load();
  config.face_model = manifest.find(manifest.face_detector);
  config.engine = o.pipeline.engine_options();
  config.preset = parse_preset(o.pipeline.preset);
  config.limits = o.pipeline.decode_limits();
  return server::serve(config);
}

}  // namespace

Command add_serve_command(CLI::App& parent) {
  auto options = std::make_shared<ServeOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("serve", "Serve the web page and the HTTP API");
  app->footer(
      "Open http://127.0.0.1:8000/ for the web page, or call the API:\n"
      "  curl -F image=@photo.jpg http://127.0.0.1:8000/remove-bg -o photo.png\n"
      "  curl -F image=@portrait.jpg -F size=1inch -F bg=blue http://127.0.0.1:8000/api/idphoto -o id.jpg\n"
      "GET /api/openapi.json describes every route. SIGINT or SIGTERM stops the server once the\n"
      "requests it has received are answered.");
  app->add_option("--host", o.config.host, "Address to listen on (0.0.0.0: every network)")
      ->capture_default_str();
  app->add_option("-p,--port", o.config.port, "Port to listen on")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app->add_option("--max-upload-mb", o.max_upload_mb, "Largest upload accepted, in MB (413 above)")
      ->check(positive_up_to_a_million())
      ->capture_default_str();
  app->add_option("--concurrency", o.config.concurrency, "Images processed at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app->add_option("--queue", o.config.queue, "Requests that may wait for their turn (503 beyond)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app->add_option("--max-connections", o.config.max_connections,
                  "Connections served at once, slow ones included (more wait to be accepted)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app->add_option("--request-timeout", o.request_timeout,
                  "Seconds a request may wait for its turn before it gets 503")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app->add_option("--read-timeout", o.read_timeout,
                  "Seconds of silence from a client, mid-request, before it is disconnected")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app->add_option("--idle-timeout", o.idle_timeout, "Seconds an idle keep-alive connection stays open")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  o.pipeline.add_to(*app);
  return {app, [options] { return run_serve(*options); }};
}

}  // namespace rmbg::cli
