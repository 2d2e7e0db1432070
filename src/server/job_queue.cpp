#include "job_queue.hpp"

#include <algorithm>
#include <cmath>

#include "rmbg/error.hpp"

namespace rmbg::server {

JobQueue::JobQueue(int concurrency, int capacity)
    : concurrency_(std::max(1, concurrency)), capacity_(std::max(0, capacity)) {}

void JobQueue::run(const std::function<void()>& job, std::chrono::milliseconds max_wait) {
  take_turn(max_wait);
  run_taken(job);
}

void JobQueue::run_in_turn(const std::function<void()>& job) {
  take_turn(std::nullopt);
  run_taken(job);
}

void JobQueue::take_turn(std::optional<std::chrono::milliseconds> max_wait) {
  std::unique_lock lock(mutex_);
  if (running_ >= concurrency_ || !waiting_.empty()) {
    if (max_wait && static_cast<int>(waiting_.size()) >= capacity_) throw full_error();  // as full() says
    const std::uint64_t ticket = next_ticket_++;
    const auto place = waiting_.insert(waiting_.end(), ticket);
    const auto turn = [&] { return running_ < concurrency_ && waiting_.front() == ticket; };
    bool my_turn = true;
    if (max_wait)
      my_turn = slot_freed_.wait_for(lock, *max_wait, turn);
    else
      slot_freed_.wait(lock, turn);
    waiting_.erase(place);
    // Whoever is now first in line may be able to go: it was woken while this job was first.
    slot_freed_.notify_all();
    if (!my_turn)
      throw Error(ErrorCode::overloaded,
                  "the server is busy: no inference slot became free in time");
  }
  ++running_;
}

void JobQueue::run_taken(const std::function<void()>& job) {
  struct Release {
    JobQueue& queue;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~Release() {
      queue.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
  } release{*this};
  job();
}

void JobQueue::finish(double seconds) {
  {
    std::lock_guard lock(mutex_);
    --running_;
    typical_job_seconds_ = 0.8 * typical_job_seconds_ + 0.2 * seconds;
  }
  slot_freed_.notify_all();
}

Error JobQueue::full_error() {
  return Error(ErrorCode::overloaded, "the server is busy: every place in its queue is taken");
}

bool JobQueue::full() const {
  std::lock_guard lock(mutex_);
  return (running_ >= concurrency_ || !waiting_.empty()) && static_cast<int>(waiting_.size()) >= capacity_;
}

JobQueue::Counts JobQueue::counts() const {
  std::lock_guard lock(mutex_);
  return {running_, static_cast<int>(waiting_.size())};
}

int JobQueue::retry_after_seconds() const {
  std::lock_guard lock(mutex_);
  const double ahead = running_ + static_cast<double>(waiting_.size());
  return std::max(1, static_cast<int>(std::ceil(ahead * typical_job_seconds_ / concurrency_)));
}

}  // namespace rmbg::server
