#pragma once
// Ctrl-C (SIGINT) and SIGTERM for commands that write files: the command stops at once, deletes
// the temporary files it was writing, says what it had done, and exits with 128 + the signal's
// number (130, 143). Outputs are renamed into place only when complete, so what is under a final
// name is whole and a batch run again resumes where it stopped.
#include <atomic>
#include <functional>
#include <thread>

namespace rmbg::cli {

class StopOnSignal {
 public:
  // `report` says what was done; it runs on a thread of its own, not in the signal handler.
  explicit StopOnSignal(std::function<void(const char* signal_name)> report);
  ~StopOnSignal();  // the signals' previous handling comes back
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  std::function<void(const char*)> report_;
  std::thread watcher_;
};

// For a command that should finish what it is doing: the first SIGINT or SIGTERM only sets
// `requested()`, and the command stops when it next looks; a second one ends the process at once,
// as signals normally do.
class FinishOnSignal {
 public:
  FinishOnSignal();
  ~FinishOnSignal();  // the signals' previous handling comes back
  FinishOnSignal(const FinishOnSignal&) = delete;
  FinishOnSignal& operator=(const FinishOnSignal&) = delete;

  const std::atomic<bool>& requested() const;
  // The signal that asked, by name: "SIGINT" or "SIGTERM"; empty while none has.
  const char* signal_name() const;
};

}  // namespace rmbg::cli
