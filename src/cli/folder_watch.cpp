#include "folder_watch.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "rmbg/error.hpp"
#include "rmbg/image.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace rmbg::cli {
namespace {

bool is_photo_name(const std::string& name) {
  return !name.starts_with('.') && has_image_extension(name);
}

}  // namespace

FolderWatch::FolderWatch(const fs::path& folder, std::chrono::milliseconds settle)
    : folder_(folder), settle_(settle) {
  if (!fs::is_directory(folder)) throw Error(ErrorCode::invalid_argument, "--watch needs a folder, and " + folder.string() + " is not one");
  fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  // Watching before listing: a file that arrives in between is seen at least once.
  if (fd_ < 0 || ::inotify_add_watch(fd_, folder.c_str(),
                                     IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                         IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
    const std::string reason = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw Error(ErrorCode::io_error, "cannot watch " + folder.string() + ": " + reason);
  }
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && is_photo_name(entry.path().filename().string()))
      pending_[entry.path().filename().string()] = {true, Clock::now()};
}

FolderWatch::~FolderWatch() { ::close(fd_); }

fs::path FolderWatch::next() {
  for (;;) {
    const auto now = Clock::now();
    auto due = Clock::time_point::max();
    std::string ready;
    for (const auto& [name, file] : pending_) {
      if (!file.closed) continue;
      const auto ready_at = file.quiet_from + settle_;
      if (ready_at <= now) {
        ready = name;
        break;
      }
      due = std::min(due, ready_at);
    }
    if (ready.empty()) {
      read_events(due);
      continue;
    }
    pending_.erase(ready);
    if (fs::is_regular_file(folder_ / ready)) return folder_ / ready;
  }
}

// Waits for events until `deadline` (or for ever) and notes what they say of each file.
void FolderWatch::read_events(Clock::time_point deadline) {
  int timeout = -1;  // for ever
  if (deadline != Clock::time_point::max())
    timeout = std::max<int>(0, std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count());
  pollfd waiting{fd_, POLLIN, 0};
  const int ready = ::poll(&waiting, 1, timeout);
  if (ready < 0 && errno != EINTR) throw Error(ErrorCode::io_error, std::string("watching: ") + std::strerror(errno));
  if (ready <= 0) return;
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t length = ::read(fd_, buffer, sizeof buffer);
    if (length <= 0) return;  // EAGAIN: every event is read
    for (const char* at = buffer; at < buffer + length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(at);
      at += sizeof(inotify_event) + event->len;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
        throw Error(ErrorCode::io_error, folder_.string() + " was moved or deleted: stopped watching it");
      if (event->len == 0 || (event->mask & IN_ISDIR)) continue;
      const std::string name = event->name;
      if (!is_photo_name(name)) continue;
      if (event->mask & (IN_DELETE | IN_MOVED_FROM))
        pending_.erase(name);
      else
        pending_[name] = {(event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0, Clock::now()};
    }
  }
}

}  // namespace rmbg::cli
