// The distributed batch end to end: a real redis-server, `rmbg queue submit`, three `rmbg worker`
// processes with the real model, one killed mid-photograph and one stopped by SIGTERM.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "child_process.hpp"
#include "queue/work_queue.hpp"
#include "redis_server.hpp"
#include "rmbg/files.hpp"
#include "rmbg/image.hpp"
#include "rmbg/models.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::ChildProcess;
using test::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kQueue = "test";
constexpr int kPhotos = 40;
constexpr int kMaxTries = 3;

struct Result {
  int status;
  std::string out;
};

Result rmbg(const std::string& args, const TempDir& dir) {
  const fs::path out = dir / "stdout.txt";
  const std::string command = std::string(RMBG_BINARY) + " " + args + " >" + out.string() + " 2>&1";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
}

// Forty different small photographs: crops of the sample photographs, 160x120 JPEGs.
void make_photos(const fs::path& folder) {
  init_vips();
  fs::create_directories(folder);
  const std::vector<std::string> names{"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"};
  std::vector<vips::VImage> samples;
  for (const auto& name : names) samples.push_back(vips::VImage::new_from_file(test::sample(name).c_str()));
  for (int i = 0; i < kPhotos; ++i) {
    const vips::VImage& sample = samples[i % samples.size()];
    const int left = (i / 4) * 12, top = (i / 4) * 8;
    const vips::VImage crop = sample.extract_area(left, top, sample.width() - left - 100, sample.height() - top - 80);
    char name[32];
    std::snprintf(name, sizeof name, "photo-%02d.jpg", i);
    crop.thumbnail_image(160, vips::VImage::option()->set("height", 120)->set("size", VIPS_SIZE_FORCE))
        .write_to_file((folder / name).c_str());
  }
}

std::string hostname() {
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  return host;
}

// The input of the job the worker with process id `pid` holds, if it holds one.
std::optional<std::string> job_held_by(queue::RedisClient& redis, pid_t pid) {
  const std::string consumer = hostname() + "-" + std::to_string(pid);
  const queue::QueueKeys keys(kQueue);
  const queue::Reply pending =
      redis.command({"XPENDING", keys.jobs, queue::QueueKeys::kGroup, "-", "+", "10", consumer});
  if (pending.elements.empty()) return std::nullopt;
  const std::string id = pending.elements.front().elements.at(0).text;
  const queue::Reply entry = redis.command({"XRANGE", keys.jobs, id, id});
  return *queue::find_field(queue::entry_fields(entry.elements.at(0).elements.at(1)), "input");
}

// Freezes the worker at a moment when it holds a job (SIGSTOP, so that the job cannot finish
// meanwhile) and returns that job's input; the worker stays frozen.
std::string freeze_mid_job(ChildProcess& worker, queue::RedisClient& redis) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    worker.signal(SIGSTOP);
    if (auto input = job_held_by(redis, worker.pid())) return *input;
    worker.signal(SIGCONT);
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "the worker never held a job:\n" << worker.log();
  return "";
}

nlohmann::json status(const std::string& url, const TempDir& dir) {
  const Result run = rmbg("queue status --json --queue " + std::string(kQueue) + " --redis " + url, dir);
  EXPECT_EQ(run.status, 0) << run.out;
  return nlohmann::json::parse(run.out);
}

void wait_until_done(const std::string& url, const TempDir& dir, int done) {
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  while (status(url, dir)["done"].get<int>() < done) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "fewer than " << done << " photographs done";
    std::this_thread::sleep_for(100ms);
  }
}

TEST(Queue, EveryPhotographOnceThoughAWorkerIsKilledAndAFileIsCorrupt) {
  TempDir dir;
  const test::RedisServer server(dir);
  auto redis = server.client();
  const fs::path in = dir / "in", out = dir / "out";
  make_photos(in);
  write_file_atomic(in / "corrupt.jpg", read_file(in / "photo-00.jpg").substr(0, 300));

  const std::string queue = " --queue " + std::string(kQueue) + " --redis " + server.url();
  const std::string submit = "queue submit " + in.string() + " -o " + out.string() + " --preset fast" + queue;
  const Result first = rmbg(submit, dir);
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("queued 41 photographs"), std::string::npos) << first.out;

  // The default model, shown each photograph at 256x256 instead of 1024x1024: a real cut-out at a
  // ninth of the time, which is all this test of the queue needs.
  const ModelManifest manifest = ModelManifest::load();
  const std::string model = model_path(manifest.find(manifest.default_model)).string();
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (int i = 0; i < 3; ++i)
    workers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{RMBG_BINARY, "worker", "--redis", server.url(), "--queue", kQueue,
                                 "--visibility-timeout", "2", "--max-tries", std::to_string(kMaxTries),
                                 "--exit-when-empty", "--threads", "1", "--model-file", model, "--input-size", "256"},
        dir / ("worker-" + std::to_string(i) + ".log")));
  ChildProcess& killed = *workers[0];
  ChildProcess& stopped = *workers[1];

  wait_until_done(server.url(), dir, 3);
  const std::string killed_job = freeze_mid_job(killed, redis);
  killed.signal(SIGKILL);
  EXPECT_EQ(killed.wait_exit(), -1);
  ASSERT_TRUE(job_held_by(redis, killed.pid())) << "the killed worker's job was acknowledged";

  wait_until_done(server.url(), dir, 25);
  const std::string last_job = freeze_mid_job(stopped, redis);
  stopped.signal(SIGTERM);
  stopped.signal(SIGCONT);
  ASSERT_TRUE(stopped.wait_exit_for(120s));
  EXPECT_EQ(stopped.wait_exit(), 0) << stopped.log();
  const std::string stopped_log = stopped.log();
  EXPECT_NE(stopped_log.find("done " + last_job), std::string::npos) << "SIGTERM did not finish the photograph in hand:\n" << stopped_log;
  EXPECT_NE(stopped_log.find("(SIGTERM)"), std::string::npos) << stopped_log;
  EXPECT_FALSE(job_held_by(redis, stopped.pid())) << "the stopped worker left a job held";

  ChildProcess& last = *workers[2];
  ASSERT_TRUE(last.wait_exit_for(240s)) << last.log();
  EXPECT_EQ(last.wait_exit(), 0) << last.log();
  const std::string logs = stopped_log + last.log();
  EXPECT_NE(logs.find("took over " + killed_job), std::string::npos)
      << "nobody took over " << killed_job << ":\n" << logs;

  // Every photograph has exactly one output, whole, and nothing else is left in the folder.
  std::set<std::string> outputs;
  for (const auto& entry : fs::directory_iterator(out)) {
    outputs.insert(entry.path().filename().string());
    const Image image = read_image(entry.path());
    EXPECT_EQ(image.width(), 160) << entry.path();
    EXPECT_TRUE(image.alpha.has_value()) << entry.path();
    EXPECT_GT(image.alpha->avg(), 1.0) << entry.path() << " is transparent all over";  // decodes to the end
  }
  EXPECT_EQ(outputs.size(), static_cast<size_t>(kPhotos));
  for (int i = 0; i < kPhotos; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "photo-%02d.png", i);
    EXPECT_TRUE(outputs.contains(name)) << name;
  }

  const nlohmann::json s = status(server.url(), dir);
  EXPECT_EQ(s["queued"], 0);
  EXPECT_EQ(s["running"], 0);
  EXPECT_EQ(s["done"], kPhotos);
  EXPECT_EQ(s["failed"], 1);
  ASSERT_EQ(s["first_failures"].size(), 1u) << s.dump(2);
  const auto& failure = s["first_failures"][0];
  EXPECT_EQ(failure["input"], (in / "corrupt.jpg").string());
  EXPECT_EQ(failure["tries"], kMaxTries);
  EXPECT_FALSE(failure["error"].get<std::string>().empty());
  EXPECT_NE(logs.find("gave up on " + (in / "corrupt.jpg").string() + " (try 3 of 3)"), std::string::npos) << logs;

  const Result again = rmbg(submit, dir);
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("queued 0 photographs"), std::string::npos) << again.out;
  EXPECT_EQ(status(server.url(), dir)["queued"], 0);

  const Result retry = rmbg("queue retry-failed" + queue, dir);
  EXPECT_NE(retry.out.find("queued 1 failed photographs again"), std::string::npos) << retry.out;
  const nlohmann::json after = status(server.url(), dir);
  EXPECT_EQ(after["queued"], 1);
  EXPECT_EQ(after["failed"], 0);
}

}  // namespace
}  // namespace rmbg
