#include <cctype>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "model_options.hpp"
#include "rmbg/error.hpp"
#include "server/server.hpp"

namespace rmbg::cli {
namespace {

struct ServeOptions {
  server::ServerConfig config;
  double max_upload_mb = 50;
  int request_timeout = 60;
  int read_timeout = 30;
  int idle_timeout = 5;
  std::string api_keys_file;
  std::string log_format = "text";
  double url_fetch_max_mb = 20;
  int url_fetch_timeout = 10;
  int keep_video_minutes = 60;
  PipelineOptions pipeline;
};

// One key a line; blank lines and lines starting with # are skipped.
std::vector<std::string> read_keys(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::io_error, "cannot read the API keys file " + path);
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty() && !line.starts_with('#')) keys.push_back(line);
  }
  if (keys.empty()) throw Error(ErrorCode::invalid_argument, "the API keys file " + path + " holds no key");
  return keys;
}

// "/rmbg/" as "/rmbg"; "/" as "" (the root).
std::string normalised_base_path(std::string path) {
  if (!path.empty() && !path.starts_with('/'))
    throw Error(ErrorCode::invalid_argument, "--base-path must start with /, like /rmbg");
  while (path.ends_with('/')) path.pop_back();
  return path;
}

// These options also read RMBG_<NAME> (--max-upload-mb: RMBG_MAX_UPLOAD_MB), so that a service
// manager can set them as environment variables (systemd's EnvironmentFile, a container's
// environment); the command line wins over the environment. The help's footer lists them.
void read_from_environment(CLI::App& app, std::initializer_list<const char*> options) {
  std::string variables;
  for (const std::string name : options) {
    std::string variable = "RMBG";
    for (const char c : name.substr(1)) variable += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    app.get_option(name)->envname(variable);
    variables += (variables.empty() ? "" : ", ") + variable;
  }
  app.footer(app.get_footer() + "\nFrom the environment too (the command line wins): " + variables + ".");
}

int run_serve(ServeOptions& o) {
  server::ServerConfig& config = o.config;
  config.max_upload_bytes = static_cast<std::size_t>(o.max_upload_mb * 1024 * 1024);
  config.request_timeout = std::chrono::seconds(o.request_timeout);
  config.read_timeout = std::chrono::seconds(o.read_timeout);
  config.idle_timeout = std::chrono::seconds(o.idle_timeout);
  if (!o.api_keys_file.empty()) {
    const std::vector<std::string> keys = read_keys(o.api_keys_file);
    config.access.api_keys.insert(config.access.api_keys.end(), keys.begin(), keys.end());
  }
  config.access.json_log = o.log_format == "json";
  config.access.base_path = normalised_base_path(config.access.base_path);
  config.fetch.max_bytes = static_cast<std::size_t>(o.url_fetch_max_mb * 1024 * 1024);
  config.fetch.timeout = std::chrono::seconds(o.url_fetch_timeout);
  config.video_jobs.keep_results = std::chrono::minutes(o.keep_video_minutes);
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
      "remove.bg's API answers at /v1.0/removebg and /v1.0/account, rembg's at /api/remove.\n"
      "GET /api/docs describes every route (/api/openapi.json for tools). SIGINT or SIGTERM stops\n"
      "the server once the requests it has received are answered.\n"
      "Exposed to a network: give API keys (--api-key or RMBG_API_KEY), which every route but the\n"
      "page, /api/docs and /api/health then needs, as X-Api-Key or Authorization: Bearer.");
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
  app->add_option("--api-key", o.config.access.api_keys,
                  "A key that API requests must present (X-Api-Key or Authorization: Bearer); repeat for several")
      ->delimiter(',');
  app->add_option("--api-keys-file", o.api_keys_file, "A file of API keys, one a line (# starts a comment)")
      ->check(CLI::ExistingFile);
  app->add_option("--status-key", o.config.access.status_key,
                  "A key of their own for /api/system and /metrics, instead of the API keys");
  app->add_flag("--status-loopback-only", o.config.access.status_loopback_only,
                "Answer /api/system and /metrics to loopback clients only");
  app->add_option("--allowed-host", o.config.access.hosts,
                  "A Host name answered besides loopback ones (others get 403, against DNS rebinding)")
      ->delimiter(',');
  app->add_option("--cors-origin", o.config.access.cors_origins,
                  "An origin whose pages may call the API, like https://shop.example (* for any); none by default")
      ->delimiter(',');
  app->add_option("--trusted-proxy", o.config.access.trusted_proxies,
                  "A reverse proxy's address, whose X-Forwarded-For names the client in the log")
      ->delimiter(',');
  app->add_option("--log-format", o.log_format, "Access log lines on standard error: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app->add_option("--base-path", o.config.access.base_path,
                  "Serve everything under this path, like /rmbg, behind a reverse proxy");
  app->add_option("--allow-url-fetch", o.config.fetch.hosts,
                  "A host that image_url and ?url= may fetch from: a name, *.domain or an address; "
                  "fetching is off without one")
      ->delimiter(',');
  app->add_option("--url-fetch-max-mb", o.url_fetch_max_mb, "Largest image fetched from a URL, in MB")
      ->check(positive_up_to_a_million())
      ->capture_default_str();
  app->add_option("--url-fetch-timeout", o.url_fetch_timeout, "Seconds a fetch from a URL may take")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  o.pipeline.add_to(*app);
  app->add_option("--max-video-jobs", o.config.video_jobs.max_jobs,
                  "Video clips queued or being cut out at once (POST /api/video; 503 beyond)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app->add_option("--max-video-seconds", o.config.video_max_seconds, "Longest clip (or part) POST /api/video takes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--keep-video-minutes", o.keep_video_minutes, "Minutes a finished video's result is kept")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app->add_option("--video-jobs-dir", o.config.video_jobs.folder,
                  "Where clips and results are kept (default: a temporary folder, deleted at exit)")
      ->option_text("DIR");
  read_from_environment(
      *app, {"--host", "--port", "--max-upload-mb", "--concurrency", "--queue", "--max-connections",
             "--request-timeout", "--read-timeout", "--idle-timeout", "--api-key", "--api-keys-file",
             "--status-key", "--status-loopback-only", "--allowed-host", "--cors-origin", "--trusted-proxy",
             "--log-format", "--base-path", "--allow-url-fetch", "--url-fetch-max-mb", "--url-fetch-timeout",
             "--max-video-jobs", "--max-video-seconds", "--keep-video-minutes", "--video-jobs-dir", "--model",
             "--threads", "--preset", "--device", "--max-megapixels"});
  return {app, [options] { return run_serve(*options); }};
}

}  // namespace rmbg::cli
