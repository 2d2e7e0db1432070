#include "worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"

namespace rmbg::queue {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a worker waits for a new job in one call, and so how soon it notices it should stop.
constexpr milliseconds kBlock{1000};

// KEYS: jobs. ARGV: group, entry id, consumer. Resets the job's idle time, but only while this
// worker still holds it: one that was taken over is left to its new holder.
constexpr const char* kTouch = R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 1 and p[1][2] == ARGV[3] then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
  return 1
end
return 0
)lua";

// KEYS: jobs, done, recent, started. ARGV: group, entry id, milliseconds the job took. Counts the
// job done once, however many workers finish it.
constexpr const char* kDone = R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[3], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)
redis.call('SET', KEYS[4], now - tonumber(ARGV[3]), 'NX')
return 1
)lua";

// KEYS: jobs, dead. ARGV: group, entry id, 'dead' or 'retry', tries, error, the job's fields.
// The job leaves the group and goes to the end of the queue again, or to the dead letters.
constexpr const char* kFailed = R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local target = ARGV[3] == 'dead' and KEYS[2] or KEYS[1]
redis.call('XADD', target, '*', 'tries', ARGV[4], 'error', ARGV[5], unpack(ARGV, 6))
return 1
)lua";

// KEYS: jobs. ARGV: group, consumer. A worker that stops leaves the group, unless it holds jobs.
constexpr const char* kLeave = R"lua(
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return 1
)lua";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string one_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

struct Worker::Delivery {
  std::string id;
  Job job;
  int tries_before = 0;    // failed or abandoned tries before this one
  std::string last_error;  // of the last failed try, if any
  bool reclaimed = false;  // taken over from a worker that stopped
};

Worker::Worker(RedisAddress address, QueueKeys keys, WorkerOptions options,
               std::function<JobResult(const Job&)> process, std::function<void(std::string_view)> say)
    : address_(std::move(address)),
      keys_(std::move(keys)),
      options_(std::move(options)),
      process_(std::move(process)),
      say_(std::move(say)) {}

Worker::Delivery Worker::delivery_of(const Reply& entry) {
  Delivery d;
  d.id = entry.elements.at(0).text;
  for (auto& [name, value] : entry_fields(entry.elements.at(1))) {
    if (name == "input") d.job.input = value;
    else if (name == "output") d.job.output = value;
    else if (name == "tries") d.tries_before = static_cast<int>(to_integer(value));
    else if (name == "error") d.last_error = value;
    else d.job.options.emplace_back(name, value);
  }
  return d;
}

std::optional<Worker::Delivery> Worker::take_abandoned(RedisClient& redis) {
  const std::string min_idle = std::to_string(options_.visibility_timeout.count());
  std::string cursor = "0-0";
  do {  // XAUTOCLAIM looks at a few pending jobs per call: go on from where it stopped
    const Reply reply = redis.command({"XAUTOCLAIM", keys_.jobs, QueueKeys::kGroup, options_.consumer, min_idle,
                                       cursor, "COUNT", "1"});
    cursor = reply.elements.at(0).text;
    const Reply& claimed = reply.elements.at(1);
    if (claimed.elements.empty()) continue;
    Delivery d = delivery_of(claimed.elements.front());
    const Reply pending = redis.command({"XPENDING", keys_.jobs, QueueKeys::kGroup, d.id, d.id, "1"});
    const long long deliveries = pending.elements.empty() ? 1 : pending.elements.front().elements.at(3).as_integer();
    d.tries_before += static_cast<int>(deliveries - 1);
    d.reclaimed = true;
    return d;
  } while (cursor != "0-0");
  return std::nullopt;
}

std::optional<Worker::Delivery> Worker::take_new(RedisClient& redis) {
  const Reply reply = redis.command({"XREADGROUP", "GROUP", QueueKeys::kGroup, options_.consumer, "COUNT", "1",
                                     "BLOCK", std::to_string(kBlock.count()), "STREAMS", keys_.jobs, ">"});
  if (reply.is_nil() || reply.elements.empty()) return std::nullopt;
  const Reply& entries = reply.elements.front().elements.at(1);
  if (entries.elements.empty()) return std::nullopt;
  return delivery_of(entries.elements.front());
}

void Worker::set_aside_or_retry(RedisClient& redis, const Delivery& d, int tries, const std::string& error) {
  const bool dead = tries >= options_.max_tries;
  std::vector<std::string> args{QueueKeys::kGroup, d.id, dead ? "dead" : "retry", std::to_string(tries), error,
                                "input", d.job.input, "output", d.job.output};
  for (const auto& [name, value] : d.job.options) {
    args.push_back(name);
    args.push_back(value);
  }
  redis.command(eval(kFailed, {keys_.jobs, keys_.dead}, args));
  const std::string count = " (try " + std::to_string(tries) + " of " + std::to_string(options_.max_tries) + ")";
  say_((dead ? "gave up on " : "failed ") + d.job.input + count + ": " + error);
}

void Worker::handle(RedisClient& redis, const Delivery& d) {
  if (d.reclaimed) {
    say_("took over " + d.job.input + " from a worker that stopped (try " + std::to_string(d.tries_before + 1) +
         " of " + std::to_string(options_.max_tries) + ")");
    // The stopped worker may have left half a file under a temporary name beside the output.
    remove_abandoned_temporary_files(d.job.output, options_.visibility_timeout);
    if (d.tries_before >= options_.max_tries) {
      const std::string error = "workers stopped while cutting it out (killed, or out of memory?)" +
                                (d.last_error.empty() ? "" : "; before that: " + d.last_error);
      return set_aside_or_retry(redis, d, d.tries_before, error);
    }
  } else {
    say_("working on " + d.job.input);
  }
  const Clock::time_point start = Clock::now();
  JobResult result{false, ""};
  {
    // Says that this worker is alive and still on the job, from a thread and a connection of its
    // own, while the job runs on this one.
    const milliseconds interval = std::min<milliseconds>(options_.visibility_timeout / 3, milliseconds(10'000));
    std::mutex mutex;
    std::condition_variable_any wake;
    std::jthread heartbeat([&](std::stop_token stop) {
      std::unique_ptr<RedisClient> own;
      std::unique_lock lock(mutex);
      while (true) {
        wake.wait_for(lock, stop, interval, [] { return false; });
        if (stop.stop_requested()) return;
        try {
          if (!own) own = std::make_unique<RedisClient>(address_);
          own->command(eval(kTouch, {keys_.jobs}, {QueueKeys::kGroup, d.id, options_.consumer}));
        } catch (const Error& e) {
          own.reset();  // reconnects at the next beat; meanwhile the job may be taken over
          say_(std::string("cannot say that the job is still in hand: ") + e.what());
        }
      }
    });
    try {
      result = process_(d.job);
    } catch (const std::exception& e) {
      result = {false, e.what()};
    }
  }
  const double seconds = seconds_since(start);
  if (!result.done) return set_aside_or_retry(redis, d, d.tries_before + 1, result.detail);
  const auto elapsed_ms = std::to_string(std::llround(seconds * 1000));
  redis.command(eval(kDone, {keys_.jobs, keys_.done, keys_.recent, keys_.started},
                       {QueueKeys::kGroup, d.id, elapsed_ms}));
  say_("done " + d.job.input + " in " + one_decimal(seconds) + " s" +
       (result.detail.empty() ? "" : ": " + result.detail));
}

std::size_t Worker::run(const std::atomic<bool>& stop) {
  std::unique_ptr<RedisClient> redis;
  std::size_t finished = 0;
  while (!stop) {
    try {
      if (!redis) {
        redis = std::make_unique<RedisClient>(address_);
        create_group(*redis, keys_);
      }
      std::optional<Delivery> delivery;
      if (Clock::now() >= next_reclaim_) {
        delivery = take_abandoned(*redis);
        // Looked through every pending job: the next look can wait a while.
        if (!delivery) next_reclaim_ = Clock::now() + options_.visibility_timeout / 4;
      }
      if (!delivery) delivery = take_new(*redis);
      if (!delivery) {
        if (options_.exit_when_empty && redis->command({"XLEN", keys_.jobs}).as_integer() == 0) break;
        continue;
      }
      handle(*redis, *delivery);
      ++finished;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::queue_unavailable) throw;
      say_(std::string(e.what()) + "; trying again in a second");
      redis.reset();
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(milliseconds(100));
    }
  }
  if (redis) redis->command(eval(kLeave, {keys_.jobs}, {QueueKeys::kGroup, options_.consumer}));
  return finished;
}

}  // namespace rmbg::queue
