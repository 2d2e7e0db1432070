// The work queue's own cost, without cutting anything out: W stand-in workers (threads, each a
// queue::Worker with its own Redis connections, exactly as `rmbg worker` runs it) whose job is to
// sleep S ms instead of cutting out, through one Redis. Prints the wall time per job, the Redis
// server's CPU time per job (from INFO cpu), and the throughput against the ideal W / S.
//   queue_bench --redis redis://127.0.0.1:PORT --workers 64 --jobs 1280 --sleep-ms 1000
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "queue/worker.hpp"
#include "rmbg/error.hpp"

using Clock = std::chrono::steady_clock;
namespace queue = rmbg::queue;

namespace {

// Seconds of CPU the Redis server has used, user and system.
double redis_cpu_seconds(queue::RedisClient& redis) {
  const std::string info = redis.command({"INFO", "cpu"}).text;
  double total = 0;
  for (const char* field : {"used_cpu_sys:", "used_cpu_user:"})
    if (const size_t at = info.find(field); at != std::string::npos)
      total += std::stod(info.substr(at + std::string(field).size()));
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "redis://127.0.0.1:6379";
  int workers = 64, jobs = 1280, sleep_ms = 1000;
  CLI::App app{"The work queue's cost per job, with workers that sleep instead of cutting out"};
  app.add_option("--redis", url, "A Redis server for the benchmark alone");
  app.add_option("--workers", workers)->check(CLI::Range(1, 1024));
  app.add_option("--jobs", jobs)->check(CLI::Range(1, 10'000'000));
  app.add_option("--sleep-ms", sleep_ms, "What each stand-in job takes")->check(CLI::Range(0, 600'000));
  CLI11_PARSE(app, argc, argv);

  try {
    const queue::RedisAddress address = queue::RedisAddress::parse(url);
    const queue::QueueKeys keys("bench-" + std::to_string(Clock::now().time_since_epoch().count()));
    queue::RedisClient redis(address);
    std::vector<queue::Job> batch;
    for (int i = 0; i < jobs; ++i)
      batch.push_back({"/stand-in/photo-" + std::to_string(i) + ".jpg", "/stand-in/out-" + std::to_string(i) + ".png",
                       {{"preset", "balanced"}, {"format", "png"}}});
    Clock::time_point start = Clock::now();
    queue::submit(redis, keys, batch);
    const double submit_seconds = std::chrono::duration<double>(Clock::now() - start).count();

    const double cpu_before = redis_cpu_seconds(redis);
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    start = Clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back([&, w] {
        queue::WorkerOptions options;
        options.consumer = "stand-in-" + std::to_string(w);
        options.exit_when_empty = true;
        queue::Worker worker(
            address, keys, options,
            [&](const queue::Job&) {
              std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
              return queue::JobResult{true, ""};
            },
            [&](std::string_view line) {
              if (line.starts_with("failed") || line.starts_with("gave up")) ++failures;
            });
        worker.run(stop);
      });
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double redis_cpu = redis_cpu_seconds(redis) - cpu_before;
    const queue::QueueStatus status = queue::status(redis, keys);
    for (const std::string& key : {keys.jobs, keys.dead, keys.submitted, keys.done, keys.recent, keys.started})
      redis.command({"DEL", key});

    const double ideal = sleep_ms > 0 ? workers * 1000.0 / sleep_ms : 0;
    std::printf("workers %d, jobs %d (done %lld, failed %d), stand-in job %d ms\n", workers, jobs, status.done,
                failures.load(), sleep_ms);
    std::printf("submit: %.3f ms per job\n", submit_seconds * 1000 / jobs);
    std::printf("run: %.2f s, %.1f jobs/s", seconds, jobs / seconds);
    if (ideal > 0) std::printf(" (ideal %.1f: %.1f%%)", ideal, 100 * jobs / seconds / ideal);
    std::printf("\nwall time per job beyond the stand-in's sleep, per worker: %.3f ms\n",
                (seconds * workers / jobs - sleep_ms / 1000.0) * 1000);
    std::printf("Redis CPU: %.3f ms per job, so one Redis core carries about %.0f jobs/s\n", redis_cpu * 1000 / jobs,
                redis_cpu > 0 ? jobs / redis_cpu : 0);
    return status.done == jobs ? 0 : 1;
  } catch (const rmbg::Error& e) {
    std::fprintf(stderr, "queue_bench: %s\n", e.what());
    return 1;
  }
}
