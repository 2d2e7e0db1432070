#pragma once
// A worker of the queue (work_queue.hpp): takes one job at a time, keeps it while working on it,
// acknowledges it when done, and gives it back or sets it aside when it fails.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "work_queue.hpp"

namespace rmbg::queue {

struct WorkerOptions {
  std::string consumer;  // this worker's name in the group, unique: host and process id
  // A job whose worker has not been heard from for this long is taken over by another. While a
  // worker works on a job it says so every third of this (and every 10 s at most), so a photograph
  // may take far longer than this; only a worker that stopped loses its job.
  std::chrono::milliseconds visibility_timeout{30'000};
  int max_tries = 3;         // a job that fails this often goes to the dead-letter stream
  bool exit_when_empty = false;  // stop when no job is queued or running, instead of waiting for more
};

// What became of one job.
struct JobResult {
  bool done;           // written, or skipped because its output exists
  std::string detail;  // the error when not done
};

class Worker {
 public:
  // `process` does one job; it may throw, which counts as a failure with the exception's message.
  // `say` receives one line about each thing the worker does, from more than one thread.
  Worker(RedisAddress address, QueueKeys keys, WorkerOptions options,
         std::function<JobResult(const Job&)> process, std::function<void(std::string_view)> say);

  // Works until `stop` is set (it then finishes the job in hand first) or, with exit_when_empty,
  // until the queue is empty. A lost connection to Redis is retried every second.
  // Returns how many jobs it finished (done or failed).
  std::size_t run(const std::atomic<bool>& stop);

 private:
  struct Delivery;
  // The job and its history from a stream entry: [id, [name, value, ...]].
  static Delivery delivery_of(const Reply& entry);
  std::optional<Delivery> take_abandoned(RedisClient& redis);
  std::optional<Delivery> take_new(RedisClient& redis);
  void handle(RedisClient& redis, const Delivery& delivery);
  void set_aside_or_retry(RedisClient& redis, const Delivery& delivery, int tries, const std::string& error);

  RedisAddress address_;
  QueueKeys keys_;
  WorkerOptions options_;
  std::function<JobResult(const Job&)> process_;
  std::function<void(std::string_view)> say_;
  std::chrono::steady_clock::time_point next_reclaim_{};
};

}  // namespace rmbg::queue
