#pragma once
// What the server counts, exposed at /metrics in the Prometheus text format.
#include <map>
#include <ostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmbg::server {

// A Prometheus histogram: counts of observations at or below each bound, their sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // `labels` is empty or a list like `route="/remove-bg"`.
  void write(std::ostream& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<unsigned long> counts_;  // per bucket, not cumulative; the last is above every bound
  double sum_ = 0;
  unsigned long count_ = 0;
};

// Values read when /metrics is scraped rather than counted as things happen.
struct Gauges {
  int inferences_running = 0;
  int queue_waiting = 0;
  int queue_capacity = 0;
  bool model_ready = false;
};

class ServiceMetrics {
 public:
  // `seconds` is absent for a request that could not be parsed, and so was never timed.
  void record_request(const std::string& route, int status, std::optional<double> seconds);
  void record_inference(double seconds);
  std::string prometheus_text(const Gauges& gauges) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, unsigned long> requests_;  // (route, status) -> count
  std::map<std::string, Histogram> latency_;                        // by route
  Histogram inference_{{0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60}};
};

}  // namespace rmbg::server
