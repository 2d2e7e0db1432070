#pragma once
// rmbg's HTTP service: POST /remove-bg, POST /api/idphoto, video jobs, the web page, health, system use, metrics
// and the API description. One engine serves every request; the number of inferences at once is bounded and
// the rest wait in a bounded queue.
#include <chrono>
#include <cstddef>
#include <string>

#include "access.hpp"
#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/models.hpp"
#include "rmbg/remover.hpp"
#include "url_fetch.hpp"
#include "video_jobs.hpp"

namespace rmbg::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::size_t max_upload_bytes = 50 * 1024 * 1024;
  int concurrency = 1;                        // inferences at once, each using every core
  int queue = 16;                             // requests that may wait for an inference slot
  // Connections served at once, each on a thread of its own: a client that sends slowly holds
  // one, so that many are needed for slow clients not to keep others out. More wait to be accepted.
  int max_connections = 256;
  std::chrono::seconds request_timeout{60};   // the longest a request waits in the queue
  std::chrono::seconds read_timeout{30};      // the longest silence while a request or reply is sent
  std::chrono::seconds idle_timeout{5};       // how long an idle keep-alive connection stays open
  ModelSpec model;
  ModelSpec face_model;  // for ID photos
  EngineOptions engine;
  Preset preset = kDefaultPreset;  // a request may ask for another
  DecodeLimits limits;
  AccessConfig access;  // keys, Host names, CORS, proxies, the access log, the base path
  FetchPolicy fetch;    // which image URLs may be fetched
  VideoJobsConfig video_jobs;  // POST /api/video: how many at once, how long results are kept
  double video_max_seconds = VideoLimits{}.max_seconds;  // a longer clip (or part) is refused
};

// Listens, loads the model in the background (GET /api/health says when it is ready), and serves
// until SIGINT or SIGTERM; then answers every request already received before it returns the
// exit status: 0, or 1 when the model could not be loaded. Throws Error when it cannot listen.
int serve(const ServerConfig& config);

}  // namespace rmbg::server
