#include "system_usage.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

namespace rmbg::server {
namespace {

// The value in kB of `key` in a /proc file of "Key:   123 kB" lines, in bytes; 0 when absent.
std::uint64_t proc_kilobytes(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(key + ":")) return std::stoull(line.substr(key.size() + 1)) * 1024;
  return 0;
}

int core_count() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

SystemMonitor::CpuTimes SystemMonitor::read_cpu_times() {
  CpuTimes times;
  times.when = std::chrono::steady_clock::now();
  // First line of /proc/stat: "cpu  user nice system idle iowait irq softirq steal ..."
  std::ifstream stat("/proc/stat");
  std::string label;
  std::uint64_t field[8] = {};
  stat >> label;
  for (auto& value : field) stat >> value;
  for (auto value : field) times.machine_total += value;
  times.machine_busy = times.machine_total - field[3] - field[4];
  // /proc/self/stat: utime and stime are the 14th and 15th fields; the 2nd, the command name in
  // parentheses, may hold spaces, so counting starts after its closing parenthesis.
  std::ifstream self("/proc/self/stat");
  const std::string line((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string skipped;
  for (int i = 3; i < 14; ++i) rest >> skipped;
  std::uint64_t user = 0, system = 0;
  rest >> user >> system;
  times.process = user + system;
  return times;
}

SystemMonitor::SystemMonitor() : last_(read_cpu_times()) {}

SystemUsage SystemMonitor::usage() {
  SystemUsage usage;
  usage.cores = core_count();
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - last_.when >= std::chrono::milliseconds(500)) {
      const CpuTimes now = read_cpu_times();
      const double seconds = std::chrono::duration<double>(now.when - last_.when).count();
      const double total = static_cast<double>(now.machine_total - last_.machine_total);
      if (total > 0)
        machine_cpu_percent_ = 100.0 * static_cast<double>(now.machine_busy - last_.machine_busy) / total;
      const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
      process_cpu_percent_ = std::min(100.0, 100.0 * static_cast<double>(now.process - last_.process) /
                                                 ticks_per_second / seconds / usage.cores);
      last_ = now;
    }
    usage.machine_cpu_percent = machine_cpu_percent_;
    usage.process_cpu_percent = process_cpu_percent_;
  }
  usage.machine_memory_bytes = proc_kilobytes("/proc/meminfo", "MemTotal");
  usage.machine_available_bytes = proc_kilobytes("/proc/meminfo", "MemAvailable");
  usage.process_rss_bytes = proc_kilobytes("/proc/self/status", "VmRSS");
  usage.process_peak_rss_bytes = proc_kilobytes("/proc/self/status", "VmHWM");
  return usage;
}

}  // namespace rmbg::server
