#include "rmbg/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "rmbg/error.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

// The temporary files of the process. A file is listed while the lock is held around its
// creation, so that discard_temporary_files either deletes it or runs before it exists and
// keeps it from being made.
struct TemporaryFiles {
  std::mutex mutex;
  std::set<fs::path> paths;
  bool discarded = false;
};

TemporaryFiles& temporaries() {
  static TemporaryFiles files;
  return files;
}

// write_file_atomic's temporary name for PATH: PATH.rmbg-HOST-PID.tmp. The host keeps apart two
// processes of one process id on two machines that write the same file on a shared folder.
constexpr const char* kTemporaryInfix = ".rmbg-";
constexpr const char* kTemporarySuffix = ".tmp";

Error write_error(const fs::path& path, const std::string& reason) {
  return Error(ErrorCode::io_error, "cannot write " + path.string() + ": " + reason);
}

Error stopping(const fs::path& path) { return write_error(path, "the process is stopping"); }

void write_all(int fd, const std::string& bytes, const fs::path& path) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw write_error(path, std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  // Complete on the disc before it takes the final name, or a power cut could leave it empty there.
  if (::fsync(fd) != 0) throw write_error(path, std::strerror(errno));
}

}  // namespace

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::io_error, "cannot open " + path.string() + ": " + std::strerror(errno));
  std::string bytes;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size > 0) {  // regular file: one read of the known size
    bytes.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(bytes.data(), size);
  } else {  // a pipe or an empty file
    in.clear();
    in.seekg(0);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (in.bad()) throw Error(ErrorCode::io_error, "cannot read " + path.string());
  return bytes;
}

namespace {

std::string host_name() {
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  return host;
}

// Whether the temporary file named `writer` ("HOST-PID", from its name) was written by a process
// of this machine that has ended.
bool writer_has_ended(std::string_view writer) {
  const std::size_t dash = writer.rfind('-');
  if (dash == std::string_view::npos || writer.substr(0, dash) != host_name()) return false;
  pid_t pid = 0;
  const std::string_view digits = writer.substr(dash + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (error != std::errc() || end != digits.data() + digits.size() || pid <= 0) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

void write_file_atomic(const fs::path& path, const std::string& bytes) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // Beside the output: a rename within one file system replaces the old file in one step.
  const fs::path temporary = path.string()
                                 .append(kTemporaryInfix)
                                 .append(host_name())
                                 .append("-")
                                 .append(std::to_string(getpid()))
                                 .append(kTemporarySuffix);
  TemporaryFiles& files = temporaries();
  int fd = -1;
  {
    std::lock_guard lock(files.mutex);
    if (files.discarded) throw stopping(path);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw write_error(path, std::strerror(errno));
    files.paths.insert(temporary);
  }
  try {
    write_all(fd, bytes, path);
    if (::close(std::exchange(fd, -1)) != 0) throw write_error(path, std::strerror(errno));
    std::lock_guard lock(files.mutex);
    if (files.discarded) throw stopping(path);  // the temporary file is gone already
    fs::rename(temporary, path, ec);
    if (ec) throw write_error(path, ec.message());
    files.paths.erase(temporary);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    fs::remove(temporary, ec);
    forget_temporary_file(temporary);
    throw;
  }
}

std::size_t remove_abandoned_temporary_files(const fs::path& path, std::chrono::milliseconds idle) {
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string prefix = path.filename().string() + kTemporaryInfix;
  const auto written_before = fs::file_time_type::clock::now() - idle;
  std::size_t deleted = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(kTemporarySuffix)) continue;
    const std::string_view writer =
        std::string_view(name).substr(prefix.size(), name.size() - prefix.size() - std::strlen(kTemporarySuffix));
    const auto written = it->last_write_time(ec);
    if (writer_has_ended(writer) || (!ec && written < written_before)) deleted += fs::remove(it->path(), ec) ? 1 : 0;
  }
  return deleted;
}

void remember_temporary_file(const fs::path& path) {
  TemporaryFiles& files = temporaries();
  std::lock_guard lock(files.mutex);
  if (files.discarded) throw stopping(path);
  files.paths.insert(path);
}

void forget_temporary_file(const fs::path& path) {
  TemporaryFiles& files = temporaries();
  std::lock_guard lock(files.mutex);
  files.paths.erase(path);
}

std::size_t discard_temporary_files() {
  TemporaryFiles& files = temporaries();
  std::lock_guard lock(files.mutex);
  files.discarded = true;
  std::size_t deleted = 0;
  std::error_code ec;
  for (const fs::path& path : files.paths) {
    const auto removed = fs::remove_all(path, ec);
    deleted += !ec && removed > 0 ? 1 : 0;
  }
  files.paths.clear();
  return deleted;
}

fs::path program_dir() {
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : program.parent_path();
}

}  // namespace rmbg
