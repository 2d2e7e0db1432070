#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace rmbg::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%d:%02d", s / 60, s % 60);
  return text;
}

}  // namespace

BatchProgress::BatchProgress(std::size_t total, bool quiet)
    : total_(total), quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0) {}

void BatchProgress::start(const std::string& item) {
  if (bar()) draw_bar(item);
}

void BatchProgress::finish(const std::string& item, Outcome outcome, const std::string& detail) {
  ++done_;
  (outcome == Outcome::written ? written_ : outcome == Outcome::skipped ? skipped_ : failed_)++;
  clear_bar();
  // Failures are always reported; the rest only when the user wants to hear about it.
  if (outcome == Outcome::failed)
    std::fprintf(stderr, "rmbg: %s: %s\n", item.c_str(), detail.c_str());
  else if (!quiet_ && !bar() && outcome == Outcome::written)
    std::fprintf(stderr, "%s %s\n", item.c_str(), detail.c_str());
  else if (!quiet_ && !bar())
    std::fprintf(stderr, "skipped %s: %s\n", item.c_str(), detail.c_str());
}

void BatchProgress::note(const std::string& text, bool warning) {
  if (quiet_ && !warning) return;
  clear_bar();
  std::fprintf(stderr, "rmbg: %s\n", text.c_str());
}

void BatchProgress::summary() const {
  clear_bar();
  if (quiet_ && failed_ == 0) return;
  std::fprintf(stderr, "%zu written, %zu skipped, %zu failed in %.1f s\n", written_, skipped_,
               failed_, seconds_since(started_));
}

void BatchProgress::interrupted(const char* signal) const {
  clear_bar();
  const std::string of_total = total_ ? " of " + std::to_string(total_) : "";
  std::fprintf(stderr, "rmbg: stopped by %s after %zu%s (%zu written, %zu skipped, %zu failed); no partial file is left\n",
               signal, done_, of_total.c_str(), written_, skipped_, failed_);
}

void BatchProgress::draw_bar(const std::string& item) const {
  constexpr int kWidth = 28;
  const double elapsed = seconds_since(started_);
  const int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::string rate = "-", eta = "-";
  if (done_ > 0 && elapsed > 0) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f/s", done_ / elapsed);
    rate = text;
    eta = clock_text(elapsed / done_ * (total_ - done_));
  }
  std::string name = item.size() > 40 ? "..." + item.substr(item.size() - 37) : item;
  std::fprintf(stderr, "\r\033[K[%s] %zu/%zu  %s  ETA %s  %s", bar.c_str(), done_, total_,
               rate.c_str(), eta.c_str(), name.c_str());
  std::fflush(stderr);
}

void BatchProgress::clear_bar() const {
  if (bar()) std::fprintf(stderr, "\r\033[K");
}

FrameProgress::FrameProgress(bool quiet) : quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0) {}

void FrameProgress::update(long long frames, long long total) {
  frames_ = frames;
  total_ = std::max(total, frames);
  if (quiet_ || !terminal_) return;
  constexpr int kWidth = 28;
  const double elapsed = seconds_since(started_);
  const double rate = elapsed > 0 ? frames_ / elapsed : 0;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * frames_ / total_) : 0;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  const std::string eta = rate > 0 && total_ > 0 ? clock_text((total_ - frames_) / rate) : "-";
  std::fprintf(stderr, "\r\033[K[%s] %lld/%lld frames  %.2f fps  ETA %s", bar.c_str(), frames_, total_, rate,
               eta.c_str());
  std::fflush(stderr);
}

void FrameProgress::summary(const std::string& output) const {
  if (quiet_) return;
  if (terminal_) std::fprintf(stderr, "\r\033[K");
  const double elapsed = seconds_since(started_);
  std::fprintf(stderr, "%lld frames -> %s in %.1f s (%.2f fps)\n", frames_, output.c_str(), elapsed,
               elapsed > 0 ? frames_ / elapsed : 0.0);
}

void FrameProgress::interrupted(const char* signal) const {
  if (terminal_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "rmbg: stopped by %s after %lld of %lld frames; no partial file is left\n", signal, frames_,
               total_);
}

}  // namespace rmbg::cli
