#pragma once
// CPU and memory use of the machine and of this process, read from /proc.
#include <chrono>
#include <cstdint>
#include <mutex>

namespace rmbg::server {

struct SystemUsage {
  int cores = 0;
  double machine_cpu_percent = 0;  // busy share of all cores, 0..100
  double process_cpu_percent = 0;  // this process's share of all cores, 0..100
  std::uint64_t machine_memory_bytes = 0;
  std::uint64_t machine_available_bytes = 0;
  std::uint64_t process_rss_bytes = 0;
  std::uint64_t process_peak_rss_bytes = 0;
};

class SystemMonitor {
 public:
  SystemMonitor();
  // CPU use is averaged since the previous reading; readings closer together than half a second
  // repeat the last figures, so that many pollers see steady values instead of noise.
  SystemUsage usage();

 private:
  struct CpuTimes {
    std::chrono::steady_clock::time_point when;
    std::uint64_t machine_busy = 0, machine_total = 0;  // clock ticks, all cores
    std::uint64_t process = 0;                          // clock ticks, user + system
  };
  static CpuTimes read_cpu_times();

  std::mutex mutex_;
  CpuTimes last_;
  double machine_cpu_percent_ = 0;
  double process_cpu_percent_ = 0;
};

}  // namespace rmbg::server
