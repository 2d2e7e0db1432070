#pragma once
// Bounds the work done at once: `concurrency` jobs run, up to `capacity` more wait their turn in
// arrival order, and anything beyond is refused at once so that a client can come back later
// instead of piling up behind a queue that cannot drain.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>

#include "rmbg/error.hpp"

namespace rmbg::server {

class JobQueue {
 public:
  JobQueue(int concurrency, int capacity);

  // Runs `job` on the calling thread once a slot is free. Throws Error(overloaded) without
  // waiting when `capacity` jobs already wait, and after `max_wait` if no slot freed up by then.
  // Exceptions from `job` pass through; its slot is released either way.
  void run(const std::function<void()>& job, std::chrono::milliseconds max_wait);
  // As run(), for work that must not be refused, one piece at a time (the frames of a video job):
  // it takes its turn in the same line, but is let in when the line is full and waits as long as
  // it takes.
  void run_in_turn(const std::function<void()>& job);

  struct Counts {
    int running = 0;
    int waiting = 0;
  };
  Counts counts() const;
  // Whether run() would refuse a job now, without waiting, and the error it would throw.
  bool full() const;
  static Error full_error();
  int concurrency() const { return concurrency_; }
  int capacity() const { return capacity_; }

  // Seconds after which a refused client may expect a free slot: the queue ahead of it times the
  // typical job length, at least one second.
  int retry_after_seconds() const;

 private:
  void take_turn(std::optional<std::chrono::milliseconds> max_wait);  // none: no limit, never refused
  void run_taken(const std::function<void()>& job);                    // in the turn take_turn took
  void finish(double seconds);

  const int concurrency_;
  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  int running_ = 0;
  std::list<std::uint64_t> waiting_;  // tickets, oldest first
  std::uint64_t next_ticket_ = 0;
  double typical_job_seconds_ = 1.0;  // moving average of finished jobs
};

}  // namespace rmbg::server
