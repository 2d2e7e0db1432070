#include "interruption.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"

namespace rmbg::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM};

// The handler only passes the signal on through this pipe: little is safe inside a handler, and
// the clean-up takes locks.
std::atomic<int> signal_pipe{-1};
static_assert(std::atomic<int>::is_always_lock_free, "read in a signal handler");
struct sigaction previous[2];

extern "C" void pass_on(int signal) {
  const int saved_errno = errno;
  const unsigned char number = static_cast<unsigned char>(signal);
  [[maybe_unused]] const ssize_t written = ::write(signal_pipe.load(), &number, 1);
  errno = saved_errno;
}

std::atomic<bool> finish_requested{false};
std::atomic<int> finish_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free, "written in a signal handler");

extern "C" void note_finish(int signal) {
  finish_signal = signal;
  finish_requested = true;
}

}  // namespace

StopOnSignal::StopOnSignal(std::function<void(const char*)> report) : report_(std::move(report)) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw Error(ErrorCode::io_error, std::string("pipe: ") + std::strerror(errno));
  signal_pipe = ends[1];
  watcher_ = std::thread([this, read_end = ends[0]] {
    unsigned char number = 0;
    ssize_t n;
    while ((n = ::read(read_end, &number, 1)) < 0 && errno == EINTR) {
    }
    ::close(read_end);
    if (n != 1) return;  // the pipe was closed: the command ended by itself
    discard_temporary_files();
    report_(number == SIGINT ? "SIGINT" : "SIGTERM");
    std::_Exit(128 + number);  // other threads may hold the outputs' locks: no destructors run
  });
  struct sigaction action {};
  action.sa_handler = pass_on;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 2; ++i) sigaction(kSignals[i], &action, &previous[i]);
}

StopOnSignal::~StopOnSignal() {
  for (int i = 0; i < 2; ++i) sigaction(kSignals[i], &previous[i], nullptr);
  ::close(signal_pipe.exchange(-1));
  watcher_.join();
}

FinishOnSignal::FinishOnSignal() {
  struct sigaction action {};
  action.sa_handler = note_finish;
  // SA_RESETHAND: the next signal has its default effect, so a second Ctrl-C ends the process.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 2; ++i) sigaction(kSignals[i], &action, &previous[i]);
}

FinishOnSignal::~FinishOnSignal() {
  for (int i = 0; i < 2; ++i) sigaction(kSignals[i], &previous[i], nullptr);
}

const std::atomic<bool>& FinishOnSignal::requested() const { return finish_requested; }

const char* FinishOnSignal::signal_name() const {
  switch (finish_signal.load()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "";
  }
}

}  // namespace rmbg::cli
