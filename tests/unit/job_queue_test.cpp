#include "server/job_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "rmbg/error.hpp"

namespace rmbg::server {
namespace {

using namespace std::chrono_literals;

// A job that holds its slot until released.
struct Gate {
  std::promise<void> opened;
  std::shared_future<void> open = opened.get_future().share();
  void release() { opened.set_value(); }
};

void wait_until(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(condition());
}

ErrorCode code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::invalid_argument;
}

TEST(JobQueue, RunsNoMoreThanItsConcurrencyAtOnce) {
  JobQueue queue(2, 10);
  std::atomic<int> running{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      queue.run(
          [&] {
            most = std::max(most.load(), ++running);
            std::this_thread::sleep_for(20ms);
            --running;
            ++done;
          },
          10s);
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(most, 2);
  EXPECT_EQ(done, 6);
}

TEST(JobQueue, RefusesAtOnceWhenTheQueueIsFull) {
  JobQueue queue(1, 1);
  Gate gate;
  auto running = std::async(std::launch::async, [&] { queue.run([&] { gate.open.wait(); }, 10s); });
  wait_until([&] { return queue.counts().running == 1; });
  auto waiting = std::async(std::launch::async, [&] { queue.run([] {}, 10s); });
  wait_until([&] { return queue.counts().waiting == 1; });

  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&] { queue.run([] {}, 10s); }), ErrorCode::overloaded);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_GE(queue.retry_after_seconds(), 1);

  gate.release();
  running.get();
  waiting.get();
  EXPECT_EQ(queue.counts().running + queue.counts().waiting, 0);
}

TEST(JobQueue, ServesWaitingJobsInArrivalOrder) {
  JobQueue queue(1, 5);
  Gate gate;
  std::vector<int> order;
  auto first = std::async(std::launch::async, [&] { queue.run([&] { gate.open.wait(); }, 10s); });
  wait_until([&] { return queue.counts().running == 1; });
  std::vector<std::future<void>> later;
  for (int i = 0; i < 4; ++i) {
    later.push_back(std::async(std::launch::async, [&, i] { queue.run([&, i] { order.push_back(i); }, 10s); }));
    wait_until([&] { return queue.counts().waiting == i + 1; });
  }
  gate.release();
  for (auto& job : later) job.get();
  first.get();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

// A video frame takes its turn in line with the photographs, and is let in even when the line is
// full, where a photograph would be refused.
TEST(JobQueue, AFrameTakesItsTurnInTheLineAndIsNeverRefused) {
  JobQueue queue(1, 1);
  Gate gate;
  std::vector<std::string> order;
  auto running = std::async(std::launch::async, [&] { queue.run([&] { gate.open.wait(); }, 10s); });
  wait_until([&] { return queue.counts().running == 1; });
  auto photo = std::async(std::launch::async, [&] { queue.run([&] { order.push_back("photo"); }, 10s); });
  wait_until([&] { return queue.counts().waiting == 1; });
  auto frame = std::async(std::launch::async, [&] { queue.run_in_turn([&] { order.push_back("frame"); }); });
  wait_until([&] { return queue.counts().waiting == 2; });
  gate.release();
  running.get();
  photo.get();
  frame.get();
  EXPECT_EQ(order, (std::vector<std::string>{"photo", "frame"}));
}

TEST(JobQueue, GivesUpOnAJobThatWaitsTooLongAndFreesItsPlace) {
  JobQueue queue(1, 1);
  Gate gate;
  auto running = std::async(std::launch::async, [&] { queue.run([&] { gate.open.wait(); }, 10s); });
  wait_until([&] { return queue.counts().running == 1; });
  bool ran = false;
  EXPECT_EQ(code_of([&] { queue.run([&] { ran = true; }, 50ms); }), ErrorCode::overloaded);
  EXPECT_FALSE(ran);
  EXPECT_EQ(queue.counts().waiting, 0);
  gate.release();
  running.get();
}

TEST(JobQueue, ReleasesTheSlotOfAJobThatThrows) {
  JobQueue queue(1, 0);
  EXPECT_THROW(queue.run([] { throw std::runtime_error("broken"); }, 1s), std::runtime_error);
  bool ran = false;
  queue.run([&] { ran = true; }, 1s);
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace rmbg::server
