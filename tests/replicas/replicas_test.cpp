// Three `rmbg serve` replicas behind Debian's HAProxy with deploy/haproxy/haproxy.cfg, all on
// loopback: one replica is killed while six clients send their requests, and comes back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "child_process.hpp"
#include "rmbg/image.hpp"
#include "rmbg/models.hpp"
#include "server/server_process.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::ChildProcess;
using test::ServerProcess;
using test::TempDir;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kClients = 6;
constexpr int kRequestsPerClient = 10;
constexpr const char* kMaxConn = "5";

// Each replica: one photograph at a time, four waiting, so HAProxy sends it at most 1 + 4 at
// once. The default model is shown each photograph at 256x256 instead of 1024x1024: a real
// cut-out at a ninth of the time, which is all this test of the balancer needs.
std::vector<std::string> replica_args() {
  const ModelManifest manifest = ModelManifest::load();
  return {"--concurrency", "1", "--queue", "4", "--threads", "1",
          "--model-file", model_path(manifest.find(manifest.default_model)).string(), "--input-size", "256"};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// HAProxy with the shipped configuration, its addresses given through the environment.
class Balancer {
 public:
  Balancer(const TempDir& dir, const std::vector<int>& replica_ports) : port_(test::free_port()) {
    setenv("RMBG_LISTEN", ("127.0.0.1:" + std::to_string(port_)).c_str(), 1);
    setenv("RMBG_MAXCONN", kMaxConn, 1);
    for (size_t i = 0; i < replica_ports.size(); ++i)
      setenv(("RMBG_REPLICA" + std::to_string(i + 1)).c_str(),
             ("127.0.0.1:" + std::to_string(replica_ports[i])).c_str(), 1);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"haproxy", "-db", "-f", RMBG_SOURCE_DIR "/deploy/haproxy/haproxy.cfg"},
        dir / "haproxy.log");
  }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(120s);
    client.set_write_timeout(120s);
    return client;
  }
  int port() const { return port_; }
  std::string log() const { return process_->log(); }

 private:
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// The replica HAProxy says answered: replica1, replica2 or replica3.
std::string replica_of(const httplib::Result& response) {
  return response ? response->get_header_value("X-Rmbg-Replica") : "";
}

// Sends health checks through the balancer until `replica` answers one; false after `limit`.
bool answers_again(const Balancer& balancer, const std::string& replica, std::chrono::seconds limit) {
  auto http = balancer.client();
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (replica_of(http.Get("/api/health")) == replica) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

struct Answer {
  int client;
  int status;
  std::string replica;
  bool valid_png;
  Clock::time_point sent;
};

TEST(Replicas, EveryRequestIsAnsweredThoughAReplicaIsKilled) {
  TempDir dir;
  const std::vector<std::string> args = replica_args();
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  std::vector<int> ports;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<ServerProcess>(args));
    ports.push_back(replicas.back()->port());
  }
  const Balancer balancer(dir, ports);
  for (const std::string replica : {"replica1", "replica2", "replica3"})
    ASSERT_TRUE(answers_again(balancer, replica, 20s)) << replica << " never answered:\n" << balancer.log();

  init_vips();
  const vips::VImage photo = vips::VImage::new_from_file(test::sample("chelsea.png").c_str()).thumbnail_image(240);
  const std::string jpeg = test::to_bytes(photo, ".jpg");

  std::mutex mutex;
  std::vector<Answer> answers;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      auto http = balancer.client();
      for (int r = 0; r < kRequestsPerClient; ++r) {
        const Clock::time_point sent = Clock::now();
        const auto response =
            http.Post("/remove-bg", httplib::MultipartFormDataItems{{"image", jpeg, "cat.jpg", "image/jpeg"},
                                                                    {"type", "mask", "", ""}});
        bool valid = false;
        if (response && response->status == 200) {
          const Image mask = decode_image(response->body);
          valid = mask.width() == photo.width() && mask.height() == photo.height();
        }
        std::lock_guard lock(mutex);
        answers.push_back({c, response ? response->status : -1, replica_of(response), valid, sent});
        ++answered;
      }
    });

  while (answered < kClients * kRequestsPerClient / 3) std::this_thread::sleep_for(10ms);
  ::kill(replicas[1]->pid(), SIGKILL);
  replicas[1]->wait_exit();
  const Clock::time_point killed = Clock::now();
  for (auto& client : clients) client.join();

  std::map<std::string, int> before, after;
  for (const Answer& a : answers) {
    EXPECT_EQ(a.status, 200) << "client " << a.client << ":\n" << balancer.log();
    EXPECT_TRUE(a.valid_png) << "client " << a.client << " got no mask of the photograph's size";
    (a.sent < killed ? before : after)[a.replica]++;
  }
  EXPECT_EQ(answers.size(), static_cast<size_t>(kClients * kRequestsPerClient));
  std::printf("answers by replica before the kill: %d/%d/%d, after: %d/%d/%d\n", before["replica1"],
              before["replica2"], before["replica3"], after["replica1"], after["replica2"], after["replica3"]);
  EXPECT_GT(before["replica2"], 0) << "replica2 had no share to lose";
  EXPECT_EQ(after["replica2"], 0) << "a request sent after the kill was answered by the dead replica";
  EXPECT_GT(after["replica1"], 0);
  EXPECT_GT(after["replica3"], 0);

  // Back on its port, the replica is checked healthy again and given requests.
  replicas[1] = std::make_unique<ServerProcess>(args, true, ports[1]);
  EXPECT_TRUE(answers_again(balancer, "replica2", 20s)) << "the restarted replica got no request:\n" << balancer.log();

  // What the balancer adds to a request: the same requests to a replica directly and through
  // HAProxy, in turns. A health check is the hop alone; a rejected 512 KB upload adds carrying
  // the body (the replica reads it whole, then answers 415 without running the model).
  auto direct = replicas[0]->client();
  auto through = balancer.client();
  const std::string upload(512 * 1024, 'x');
  const httplib::MultipartFormDataItems junk{{"image", upload, "junk.jpg", "image/jpeg"}};
  std::vector<double> direct_health, through_health, direct_upload, through_upload;
  for (int i = 0; i < 100; ++i) {
    Clock::time_point start = Clock::now();
    ASSERT_EQ(direct.Get("/api/health")->status, 200);
    direct_health.push_back(milliseconds_since(start));
    start = Clock::now();
    ASSERT_EQ(through.Get("/api/health")->status, 200);
    through_health.push_back(milliseconds_since(start));
    if (i % 4 != 0) continue;
    start = Clock::now();
    ASSERT_EQ(direct.Post("/remove-bg", junk)->status, 415);
    direct_upload.push_back(milliseconds_since(start));
    start = Clock::now();
    ASSERT_EQ(through.Post("/remove-bg", junk)->status, 415);
    through_upload.push_back(milliseconds_since(start));
  }
  std::printf("median latency, direct / through HAProxy: health %.2f / %.2f ms (+%.2f), "
              "512 KB upload %.2f / %.2f ms (+%.2f)\n",
              median(direct_health), median(through_health), median(through_health) - median(direct_health),
              median(direct_upload), median(through_upload), median(through_upload) - median(direct_upload));
}

}  // namespace
}  // namespace rmbg
