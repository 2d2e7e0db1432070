#pragma once
// Reports a batch as it goes: a live bar on a terminal, one plain line per file otherwise. One
// image, or a watched folder's stream of them (a total of 0), gets its result line everywhere.
// Not thread-safe: a caller with several threads serialises its calls.
#include <chrono>
#include <cstddef>
#include <string>

namespace rmbg::cli {

enum class Outcome { written, skipped, failed };

class BatchProgress {
 public:
  BatchProgress(std::size_t total, bool quiet);
  void start(const std::string& item);
  void finish(const std::string& item, Outcome outcome, const std::string& detail);
  // A line about the batch as a whole; a warning shows even when quiet.
  void note(const std::string& text, bool warning);
  void summary() const;
  // The batch was stopped by `signal`: how far it got.
  void interrupted(const char* signal) const;
  std::size_t failed() const { return failed_; }

 private:
  bool bar() const { return terminal_ && !quiet_ && total_ > 1; }
  void draw_bar(const std::string& item) const;
  void clear_bar() const;

  std::size_t total_;
  bool quiet_;
  bool terminal_;
  std::size_t done_ = 0, written_ = 0, skipped_ = 0, failed_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// Reports the frames of one clip: a live bar with frames, frames per second and the time left on
// a terminal; nothing otherwise (a log gets the one line of summary()).
class FrameProgress {
 public:
  explicit FrameProgress(bool quiet);
  void update(long long frames, long long total);  // total 0: unknown
  void summary(const std::string& output) const;
  void interrupted(const char* signal) const;

 private:
  bool quiet_;
  bool terminal_;
  long long frames_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace rmbg::cli
