#pragma once
// A batch of photographs shared by workers on any number of machines, through a Redis Stream and
// a consumer group: at-least-once delivery, a job held by a worker that stopped is taken over by
// another after a visibility timeout, and a job that fails too often is set aside in a
// dead-letter stream. Inputs and outputs are paths on storage every worker sees.
//
// Keys, for a queue named NAME (the braces keep them in one Redis Cluster slot, which the
// scripts that touch several of them need):
//   {NAME}:jobs       the stream of jobs not yet done: queued, and running (pending in the group)
//   {NAME}:dead       jobs that failed too often, each with its last error
//   {NAME}:submitted  a hash of every job ever submitted, by its identity: what makes submit idempotent
//   {NAME}:done       how many jobs are done;  {NAME}:recent  when each of the last minute's was done
//   {NAME}:started    when the first job was taken, for the throughput of a batch younger than a minute
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis_client.hpp"

namespace rmbg::queue {

using Fields = std::vector<std::pair<std::string, std::string>>;

// One photograph to cut out. `options` are the front end's own (format, preset, ...), carried
// as they are: the queue only moves them.
struct Job {
  std::string input;   // an absolute path
  std::string output;  // an absolute path
  Fields options;
};

struct QueueKeys {
  explicit QueueKeys(const std::string& name);
  std::string jobs, dead, submitted, done, recent, started;
  static constexpr const char* kGroup = "workers";
};

// The group the workers read through, created with the stream if missing; safe to call again.
void create_group(RedisClient& redis, const QueueKeys& keys);

// Queues each job once: a job whose identity (input path, size and modification time, and
// output path) was submitted before is left out, so that submitting a folder again queues only
// what is new or changed. Returns how many were queued. Inputs that cannot be read are queued
// all the same: the worker's failure says why, in the dead-letter stream.
std::size_t submit(RedisClient& redis, const QueueKeys& keys, const std::vector<Job>& jobs);

struct QueueStatus {
  long long queued = 0;    // waiting for a worker
  long long running = 0;   // taken by a worker, not yet done
  long long done = 0;
  long long failed = 0;    // in the dead-letter stream
  long long submitted = 0;
  long long workers = 0;   // workers heard from in the last minute
  double per_minute = 0;   // jobs done per minute, over the last minute (or since the first was taken)
  std::optional<std::chrono::seconds> eta;  // at that rate; none while nothing is done
};
QueueStatus status(RedisClient& redis, const QueueKeys& keys);

// Dead letters back onto the queue, their tries counted from zero again. Returns how many.
std::size_t retry_failed(RedisClient& redis, const QueueKeys& keys);

struct DeadLetter {
  std::string input;
  std::string error;
  int tries = 0;
};
std::vector<DeadLetter> dead_letters(RedisClient& redis, const QueueKeys& keys, std::size_t limit);

// The fields of a stream entry, from its flat name-value array.
Fields entry_fields(const Reply& flat);
const std::string* find_field(const Fields& fields, std::string_view name);

}  // namespace rmbg::queue
