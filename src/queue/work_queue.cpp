#include "work_queue.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "rmbg/error.hpp"

namespace rmbg::queue {
namespace {

// Jobs sent to Redis in one round trip when submitting.
constexpr std::size_t kSubmitBatch = 500;

// Creates the group unless it exists (XGROUP CREATE answers BUSYGROUP then).
constexpr const char* kCreateGroup = R"lua(
local ok = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
return ok and 1 or 0
)lua";

// KEYS: jobs, submitted. ARGV: the job's identity, then its fields. Marking it submitted and
// queueing it happen together or not at all.
constexpr const char* kSubmit = R"lua(
if redis.call('HSETNX', KEYS[2], ARGV[1], '1') == 0 then return 0 end
redis.call('XADD', KEYS[1], '*', 'tries', '0', unpack(ARGV, 2))
return 1
)lua";

// KEYS: jobs, dead, done, recent, started, submitted. ARGV: group. One consistent snapshot.
constexpr const char* kStatus = R"lua(
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local running, workers = 0, 0
local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
if ok then running = pending[1] end
local ok2, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if ok2 then
  for _, consumer in ipairs(consumers) do
    for i = 1, #consumer, 2 do
      if consumer[i] == 'idle' and consumer[i + 1] < 60000 then workers = workers + 1 end
    end
  end
end
return {redis.call('XLEN', KEYS[1]), running, tonumber(redis.call('GET', KEYS[3]) or '0'),
        redis.call('XLEN', KEYS[2]), redis.call('HLEN', KEYS[6]), workers,
        redis.call('ZCOUNT', KEYS[4], now - 60000, '+inf'),
        tonumber(redis.call('GET', KEYS[5]) or now), now}
)lua";

// KEYS: jobs, dead. ARGV: how many. Moves the oldest dead letters back, tries from zero.
constexpr const char* kRetryFailed = R"lua(
local entries = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', ARGV[1])
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'tries' then fields[i + 1] = '0' end
  end
  redis.call('XADD', KEYS[1], '*', unpack(fields))
  redis.call('XDEL', KEYS[2], entry[1])
end
return #entries
)lua";

// What makes two submissions the same job: the same input, unchanged, to the same output.
std::string identity(const Job& job) {
  struct stat info {};
  if (::stat(job.input.c_str(), &info) != 0) return job.input + "|missing|" + job.output;
  return job.input + "|" + std::to_string(info.st_size) + "|" + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec) + "|" + job.output;
}

}  // namespace

QueueKeys::QueueKeys(const std::string& name) {
  if (name.empty() || name.find_first_of("{}") != std::string::npos)
    throw Error(ErrorCode::invalid_argument, "a queue name is not empty and has no braces: '" + name + "'");
  const std::string prefix = "{" + name + "}:";
  jobs = prefix + "jobs";
  dead = prefix + "dead";
  submitted = prefix + "submitted";
  done = prefix + "done";
  recent = prefix + "recent";
  started = prefix + "started";
}

void create_group(RedisClient& redis, const QueueKeys& keys) {
  redis.command(eval(kCreateGroup, {keys.jobs}, {QueueKeys::kGroup}));
}

std::size_t submit(RedisClient& redis, const QueueKeys& keys, const std::vector<Job>& jobs) {
  create_group(redis, keys);
  std::size_t queued = 0;
  for (std::size_t first = 0; first < jobs.size(); first += kSubmitBatch) {
    std::vector<std::vector<std::string>> commands;
    for (std::size_t i = first; i < std::min(jobs.size(), first + kSubmitBatch); ++i) {
      const Job& job = jobs[i];
      std::vector<std::string> args{identity(job), "input", job.input, "output", job.output};
      for (const auto& [name, value] : job.options) {
        args.push_back(name);
        args.push_back(value);
      }
      commands.push_back(eval(kSubmit, {keys.jobs, keys.submitted}, args));
    }
    for (const Reply& reply : redis.pipeline(commands)) queued += reply.as_integer();
  }
  return queued;
}

QueueStatus status(RedisClient& redis, const QueueKeys& keys) {
  const Reply reply = redis.command(eval(
      kStatus, {keys.jobs, keys.dead, keys.done, keys.recent, keys.started, keys.submitted}, {QueueKeys::kGroup}));
  const auto value = [&](size_t i) { return reply.elements.at(i).as_integer(); };
  QueueStatus s;
  s.running = value(1);
  s.queued = value(0) - s.running;
  s.done = value(2);
  s.failed = value(3);
  s.submitted = value(4);
  s.workers = value(5);
  const long long recent = value(6), started_ms = value(7), now_ms = value(8);
  // A batch younger than a minute is measured over its own age, not diluted by a whole minute.
  const double window_minutes = std::min(60000LL, std::max(now_ms - started_ms, 1000LL)) / 60000.0;
  s.per_minute = recent / window_minutes;
  if (s.per_minute > 0 && s.queued + s.running > 0)
    s.eta = std::chrono::seconds(std::llround((s.queued + s.running) / s.per_minute * 60));
  return s;
}

std::size_t retry_failed(RedisClient& redis, const QueueKeys& keys) {
  create_group(redis, keys);
  std::size_t moved = 0;
  while (const long long n = redis.command(eval(kRetryFailed, {keys.jobs, keys.dead}, {"500"})).as_integer())
    moved += static_cast<std::size_t>(n);
  return moved;
}

Fields entry_fields(const Reply& flat) {
  Fields fields;
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2)
    fields.emplace_back(flat.elements[i].text, flat.elements[i + 1].text);
  return fields;
}

const std::string* find_field(const Fields& fields, std::string_view name) {
  for (const auto& [key, value] : fields)
    if (key == name) return &value;
  return nullptr;
}

std::vector<DeadLetter> dead_letters(RedisClient& redis, const QueueKeys& keys, std::size_t limit) {
  const Reply entries = redis.command({"XRANGE", keys.dead, "-", "+", "COUNT", std::to_string(limit)});
  std::vector<DeadLetter> letters;
  for (const Reply& entry : entries.elements) {
    const Fields fields = entry_fields(entry.elements.at(1));
    const auto text = [&](std::string_view name) {
      const std::string* value = find_field(fields, name);
      return value ? *value : std::string();
    };
    letters.push_back({text("input"), text("error"), static_cast<int>(to_integer(text("tries")))});
  }
  return letters;
}

}  // namespace rmbg::queue
