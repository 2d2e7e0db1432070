#pragma once
// Photographs arriving in a folder, each handed over once it is completely written: a file being
// copied in is not read half-way. Linux inotify: a file is complete when its writer closed it
// (IN_CLOSE_WRITE) or it was renamed into the folder (IN_MOVED_TO), and nothing has written to it
// for a moment since (some writers close and reopen). Files already there when the watch starts
// count as complete once they too have been left alone for that moment.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace rmbg::cli {

class FolderWatch {
 public:
  // Throws Error(invalid_argument) when `folder` is not a folder, Error(io_error) when it cannot
  // be watched.
  explicit FolderWatch(const std::filesystem::path& folder,
                       std::chrono::milliseconds settle = std::chrono::milliseconds(1000));
  ~FolderWatch();
  FolderWatch(const FolderWatch&) = delete;
  FolderWatch& operator=(const FolderWatch&) = delete;

  // Waits for the next complete photograph (by its extension; hidden files are left alone) and
  // returns its path. Throws Error(io_error) when the folder goes away.
  std::filesystem::path next();

 private:
  struct Pending {
    bool closed;  // its writer is done with it, as far as we know
    std::chrono::steady_clock::time_point quiet_from;  // no write since then
  };
  void read_events(std::chrono::steady_clock::time_point deadline);

  std::filesystem::path folder_;
  std::chrono::milliseconds settle_;
  int fd_ = -1;
  std::map<std::string, Pending> pending_;  // by file name
};

}  // namespace rmbg::cli
