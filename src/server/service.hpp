#pragma once
// What every family of routes shares: the HTTP server, the one engine and face detector, the
// bounded queue of inferences, the metrics and the configuration. Each family adds its routes
// with route() (see routes.hpp); the handlers only translate HTTP into library calls.
#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <string>
#include <vector>

#include "http_errors.hpp"
#include "job_queue.hpp"
#include "rmbg/engine.hpp"
#include "rmbg/error.hpp"
#include "rmbg/face.hpp"
#include "server.hpp"
#include "service_metrics.hpp"
#include "system_usage.hpp"

namespace rmbg::server {

class Service {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Seconds a client is asked to wait while the model loads: loading takes a few seconds.
  static constexpr const char* kRetryWhileLoading = "2";

  explicit Service(const ServerConfig& config);

  // What a route does: inference routes wait for a place in the bounded queue, and a client that
  // announces its upload (Expect: 100-continue) is refused before sending it when none is free.
  enum class Work { light, inference };
  // Who may call a route: anyone (the page, its description, health), holders of an API key when
  // the server has keys, or holders of the status key (see AccessConfig).
  enum class Access { open, api, status };
  using ErrorWriter = void (*)(httplib::Response&, const Error&);
  struct RouteOptions {
    Work work = Work::light;
    Access access = Access::api;
    ErrorWriter write_error = send_error;  // how the route's errors look, the Service's own included
  };

  // Registers `handler` for `path` (under --base-path), GET, POST or DELETE. A "{name}" segment of
  // the path matches a token of letters, digits, - and _ (at most 64), handed to the handler as
  // request.matches[1], [2]... An Error the handler throws is answered as JSON with the status
  // its code calls for; anything else as a 500. Nothing escapes.
  void route(const std::string& method, const std::string& path, Handler handler, RouteOptions options);
  void route(const std::string& method, const std::string& path, Handler handler, Work work = Work::light) {
    route(method, path, std::move(handler), RouteOptions{.work = work});
  }

  void listen_on(const std::string& host, int port);
  // Returns once stop() was called and every request received before it has been answered.
  void run();
  void stop(const std::stop_token& stopped);
  void load_model();

  const ServerConfig& config() const { return config_; }
  bool ready() const { return ready_; }
  // Throw Error(not_ready) while the model loads; the face detector also when it could not be loaded.
  Engine& engine();
  FaceDetector& face_detector();
  // Device of the loaded model; null while it loads.
  const DeviceReport* device() const { return ready_ ? &engine_->device() : nullptr; }

  // Runs `work` in an inference slot of the bounded queue (see JobQueue::run).
  void run_inference(const std::function<void()>& work);
  // Runs one frame of a video job in its turn in the same queue, never refused (JobQueue::run_in_turn):
  // photographs and a clip's frames take turns.
  void run_video_frame(const std::function<void()>& work);
  const JobQueue& queue() const { return queue_; }
  int images_in_progress() const;
  ServiceMetrics& metrics() { return metrics_; }
  SystemMonitor& system() { return system_; }

  // The fields of a multipart or urlencoded form, read by rmbg rather than httplib; none for any other body.
  static httplib::MultipartFormDataMap form_of(const httplib::Request& request);
  // Whether the client asked for a JSON answer (Accept: application/json) instead of a file.
  static bool wants_json(const httplib::Request& request);

 private:
  struct Registered {
    std::string method;
    RouteOptions options;
  };
  // Runs before routing: request id, base path, Host, CORS, OPTIONS, 405 and keys. False when it
  // has answered the request itself.
  bool admit(httplib::Request& request, httplib::Response& response) const;
  using Routes = std::map<std::string, std::vector<Registered>>;  // by path, "{id}" segments included
  Routes::const_iterator route_of(std::string_view path) const;   // routes_.end() when none answers `path`
  static const Registered* registered(const std::vector<Registered>& route, const std::string& method);
  static std::string allowed_methods(const std::vector<Registered>& route);  // "POST, OPTIONS"
  std::optional<Error> host_refusal(const httplib::Request& request) const;
  std::optional<Error> access_refusal(const httplib::Request& request, Access access) const;
  // An error Service would answer before reading the request's body, if any.
  std::optional<Error> refusal_before_upload(const httplib::Request& request) const;
  void answer_error(httplib::Response& response, const Error& error, ErrorWriter write_error) const;
  Error error_of_status(const httplib::Request& request, int status) const;
  void count(const httplib::Request& request, const httplib::Response& response);
  void log(const httplib::Request& request, const httplib::Response& response) const;

  const ServerConfig& config_;
  httplib::Server http_;
  Routes routes_;
  JobQueue queue_;
  ServiceMetrics metrics_;
  SystemMonitor system_;
  std::unique_ptr<Engine> engine_;        // set once by load_model, read only after ready_
  std::unique_ptr<FaceDetector> faces_;   // likewise; null when it could not be loaded,
  std::unique_ptr<Error> faces_problem_;  // and this says why
  std::atomic<bool> ready_{false};
};

}  // namespace rmbg::server
