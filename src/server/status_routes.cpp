// GET /api/health (is the model loaded), /api/system (how busy the machine is, for the page) and
// /metrics (Prometheus).
#include <cmath>
#include <nlohmann/json.hpp>

#include "routes.hpp"

using nlohmann::json;

namespace rmbg::server {
namespace {

double one_decimal(double value) { return std::round(value * 10) / 10; }

json system_report(Service& service) {
  const SystemUsage usage = service.system().usage();
  const auto counts = service.queue().counts();
  const DeviceReport* device = service.device();
  json gpu = nullptr;
  if (device && device->provider == "cuda")  // how busy the GPU is is not measured
    gpu = {{"description", device->summary}, {"percent", nullptr}};
  const ServerConfig& config = service.config();
  return {
      {"version", RMBG_VERSION},
      {"cpu",
       {{"cores", usage.cores},
        {"machine_percent", one_decimal(usage.machine_cpu_percent)},
        {"process_percent", one_decimal(usage.process_cpu_percent)}}},
      {"memory",
       {{"machine_bytes", usage.machine_memory_bytes},
        {"machine_available_bytes", usage.machine_available_bytes},
        {"process_rss_bytes", usage.process_rss_bytes},
        {"process_peak_rss_bytes", usage.process_peak_rss_bytes}}},
      {"gpu", gpu},
      {"queue",
       {{"running", counts.running},
        {"waiting", counts.waiting},
        {"capacity", service.queue().capacity()},
        {"concurrency", service.queue().concurrency()}}},
      {"model",
       {{"name", config.model.name},
        {"ready", device != nullptr},
        {"execution_provider", device ? json(device->provider) : json(nullptr)},
        {"device", device ? json(device->summary) : json(nullptr)}}},
      {"limits", {{"max_upload_bytes", config.max_upload_bytes}, {"max_pixels", config.limits.max_pixels}}},
  };
}

}  // namespace

void add_status_routes(Service& service) {
  service.route("GET", "/api/health", [&service](const auto&, auto& response) {
    const bool ready = service.ready();
    response.status = ready ? 200 : 503;
    if (!ready) response.set_header("Retry-After", Service::kRetryWhileLoading);
    const json body{{"status", ready ? "ready" : "loading"}, {"model", service.config().model.name}};
    response.set_content(body.dump(), "application/json");
  });
  service.route("GET", "/api/system", [&service](const auto&, auto& response) {
    response.set_content(system_report(service).dump(), "application/json");
  });
  service.route("GET", "/metrics", [&service](const auto&, auto& response) {
    const auto counts = service.queue().counts();
    const Gauges gauges{counts.running, counts.waiting, service.queue().capacity(), service.ready()};
    response.set_content(service.metrics().prometheus_text(gauges), "text/plain; version=0.0.4");
  });
}

}  // namespace rmbg::server
