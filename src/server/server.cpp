#include "server.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "rmbg/image.hpp"
#include "routes.hpp"

namespace rmbg::server {
namespace {

// The signal that asked the server to stop, set by the signal handler.
std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int signal) { stop_signal = signal; }

}  // namespace

int serve(const ServerConfig& config) {
  init_vips();
  // A client that hangs up while its reply is being written must not end the process.
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Service service(config);
  VideoJobs video_jobs(config.video_jobs);  // stopped, its files deleted, after the server stops
  add_page_routes(service);
  add_cutout_routes(service);
  add_idphoto_routes(service);
  add_status_routes(service);
  add_removebg_routes(service);
  add_rembg_routes(service);
  add_video_routes(service, video_jobs);
  service.listen_on(config.host, config.port);
  if (!is_loopback(config.host) && config.access.api_keys.empty())
    std::fprintf(stderr,
                 "rmbg: WARNING: listening on %s without an API key: anyone who can reach this address can use "
                 "this server. Give keys with --api-key, --api-keys-file or RMBG_API_KEY.\n",
                 config.host.c_str());
  std::fprintf(stderr, "rmbg: listening on http://%s:%d/ (loading model %s)\n", config.host.c_str(),
               config.port, config.model.name.c_str());

  std::atomic<bool> load_failed{false};
  std::jthread loader([&] {
    try {
      service.load_model();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rmbg: %s\n", e.what());
      load_failed = true;
    }
  });
  std::jthread stopper([&](std::stop_token stopped) {
    while (stop_signal == 0 && !load_failed && !stopped.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_signal != 0)
      std::fprintf(stderr, "rmbg: stopping; finishing %d images in progress; video jobs are cancelled\n",
                   service.images_in_progress());
    service.stop(stopped);
  });
  service.run();
  stopper.request_stop();
  stopper.join();
  loader.join();  // a stop asked for while the model loads waits for the load to end
  if (!load_failed) std::fprintf(stderr, "rmbg: stopped\n");
  return load_failed ? 1 : 0;
}

}  // namespace rmbg::server
