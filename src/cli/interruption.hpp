#pragma once
// Ctrl-C (SIGINT) and SIGTERM for commands that write files: the command stops at once, deletes
// the temporary files it was writing, says what it had done, and exits with 128 + the signal's
// number (130, 143). Outputs are renamed into place only when complete, so what is under a final
// name is whole and a batch run again resumes where it stopped.
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

}  // namespace rmbg::cli
