#pragma once
// A real `rmbg serve` on a free loopback port, for tests that talk to it over HTTP.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

namespace rmbg::test {

// A port nobody listens on now: the kernel's pick for a socket bound to port 0.
inline int free_port() {
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);
  return ntohs(address.sin_port);
}

class ServerProcess {
 public:
  // Starts `rmbg serve ARGS` on `port` (a free one when 0) and, unless told not to, waits until
  // /api/health says it is ready.
  explicit ServerProcess(const std::vector<std::string>& args = {}, bool wait_until_ready = true, int port = 0)
      : port_(port != 0 ? port : free_port()), log_path_(dir_ / "serve.log") {
    std::vector<std::string> argv{RMBG_BINARY, "serve", "--port", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string log = log_path_.string();
      std::freopen(log.c_str(), "w", stderr);
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      std::_Exit(127);
    }
    if (wait_until_ready) wait_ready();
  }

  ~ServerProcess() {
    if (pid_ > 0 && !exited_) stop();
  }

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(std::chrono::seconds(120));
    client.set_write_timeout(std::chrono::seconds(120));
    return client;
  }

  void wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    auto http = client();
    http.set_connection_timeout(std::chrono::milliseconds(500));
    while (std::chrono::steady_clock::now() < deadline) {
      if (has_exited()) FAIL() << "rmbg serve exited early:\n" << log();
      if (const auto response = http.Get("/api/health"); response && response->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "rmbg serve did not become ready:\n" << log();
  }

  // SIGTERM, then the exit status once the process has ended (-1 if it did not exit normally).
  int stop() {
    ::kill(pid_, SIGTERM);
    return wait_exit();
  }

  int wait_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool has_exited() {
    int status = 0;
    if (!exited_ && ::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
    return exited_;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  TempDir dir_;
  int port_;
  fs::path log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace rmbg::test
