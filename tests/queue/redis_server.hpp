#pragma once
// A real redis-server on a free loopback port for one test, with nothing kept on disk.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "queue/redis_client.hpp"
#include "rmbg/error.hpp"
#include "server/server_process.hpp"
#include "support.hpp"

namespace rmbg::test {

class RedisServer {
 public:
  explicit RedisServer(const TempDir& dir)
      : port_(free_port()),
        process_({"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--dir", dir.path().string()},
                 dir / "redis.log") {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        client().command({"PING"});
        return;
      } catch (const Error&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    ADD_FAILURE() << "redis-server did not start:\n" << process_.log();
  }

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  queue::RedisClient client() const { return queue::RedisClient(queue::RedisAddress::parse(url())); }

 private:
  int port_;
  ChildProcess process_;
};

}  // namespace rmbg::test
