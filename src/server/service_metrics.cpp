#include "service_metrics.hpp"

#include <algorithm>
#include <sstream>

namespace rmbg::server {
namespace {

// Request latency runs from a few milliseconds (the page, health checks) to a minute (a queued
// inference of a large photograph).
const std::vector<double> kLatencyBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                         2.5,   5,    10,    20,   30,  60,   120};

void write_header(std::ostream& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void write_gauge(std::ostream& out, std::string_view name, std::string_view help, double value) {
  write_header(out, name, "gauge", help);
  out << name << ' ' << value << '\n';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

void Histogram::write(std::ostream& out, std::string_view name, std::string_view labels) const {
  unsigned long cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    out << name << "_bucket{";
    if (!labels.empty()) out << labels << ',';
    out << "le=\"";
    if (i < bounds_.size())
      out << bounds_[i];
    else
      out << "+Inf";
    out << "\"} " << cumulative << '\n';
  }
  for (const auto& [suffix, value] : {std::pair{"_sum", sum_}, std::pair{"_count", double(count_)}}) {
    out << name << suffix;
    if (!labels.empty()) out << '{' << labels << '}';
    out << ' ' << value << '\n';
  }
}

void ServiceMetrics::record_request(const std::string& route, int status,
                                    std::optional<double> seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  if (seconds) latency_.try_emplace(route, kLatencyBounds).first->second.observe(*seconds);
}

void ServiceMetrics::record_inference(double seconds) {
  std::lock_guard lock(mutex_);
  inference_.observe(seconds);
}

std::string ServiceMetrics::prometheus_text(const Gauges& gauges) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out.precision(10);
  write_header(out, "rmbg_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, count] : requests_)
    out << "rmbg_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << count << '\n';
  write_header(out, "rmbg_http_request_duration_seconds", "histogram",
               "Time from a request's headers to its response, by route.");
  for (const auto& [route, histogram] : latency_)
    histogram.write(out, "rmbg_http_request_duration_seconds", "route=\"" + route + "\"");
  write_header(out, "rmbg_inference_seconds", "histogram", "Time the model took per image.");
  inference_.write(out, "rmbg_inference_seconds", "");
  write_gauge(out, "rmbg_inferences_running", "Images being processed now.", gauges.inferences_running);
  write_gauge(out, "rmbg_queue_waiting", "Requests waiting for an inference slot.", gauges.queue_waiting);
  write_gauge(out, "rmbg_queue_capacity", "Requests that may wait before the server answers 503.",
              gauges.queue_capacity);
  write_gauge(out, "rmbg_model_ready", "1 once the model is loaded.", gauges.model_ready ? 1 : 0);
  return out.str();
}

}  // namespace rmbg::server
