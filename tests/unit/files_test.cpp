// Writing files so that a final name only ever holds a whole file, and the temporary files a
// process stopped by a signal must delete.
#include "rmbg/files.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "rmbg/error.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path().filename());
  return files;
}

TEST(Files, AnAtomicWriteReplacesTheFileWholeAndLeavesNothingBeside) {
  TempDir dir;
  write_file_atomic(dir / "sub" / "a.png", "old");
  write_file_atomic(dir / "sub" / "a.png", "new bytes");
  EXPECT_EQ(read_file(dir / "sub" / "a.png"), "new bytes");
  EXPECT_EQ(files_in(dir / "sub"), std::vector<fs::path>{"a.png"});
  // A failed write leaves neither a temporary file nor anything under the name.
  fs::create_directories(dir / "taken" / "a.png" / "in the way");
  EXPECT_THROW(write_file_atomic(dir / "taken" / "a.png", "bytes"), Error);
  EXPECT_EQ(files_in(dir / "taken"), std::vector<fs::path>{"a.png"});
}

TEST(Files, DiscardingDeletesTheTemporaryFilesAndRefusesNewOnes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // libvips may have started threads
  TempDir dir;
  // In a child process: after the discard, this process writes no more files.
  EXPECT_EXIT(
      {
        write_file_atomic(dir / "spill.v", "pixels");
        remember_temporary_file(dir / "spill.v");
        write_file_atomic(dir / "gone.v", "pixels");
        remember_temporary_file(dir / "gone.v");
        forget_temporary_file(dir / "gone.v");
        fs::remove(dir / "gone.v");
        const std::size_t deleted = discard_temporary_files();
        try {
          write_file_atomic(dir / "late.png", "bytes");
        } catch (const Error& e) {
          std::fprintf(stderr, "%zu deleted; %s", deleted, e.what());
          std::exit(fs::is_empty(dir.path()) ? 0 : 1);
        }
        std::exit(2);
      },
      testing::ExitedWithCode(0), "1 deleted; cannot write .*late.png: the process is stopping");
}

// What a killed process left beside an output: deleted once nothing has written to it for a while,
// and nothing else beside the output is touched.
TEST(Files, AbandonedTemporaryFilesAreDeletedOnceIdle) {
  TempDir dir;
  const fs::path output = dir / "cut.png";
  write_file_atomic(dir / "cut.png.rmbg-other-host-41.tmp", "half");
  write_file_atomic(dir / "cut.png.rmbg-other-host-42.tmp", "half");
  write_file_atomic(dir / "cutout.png.rmbg-other-host-43.tmp", "another output's");
  write_file_atomic(output, "whole");
  fs::last_write_time(dir / "cut.png.rmbg-other-host-41.tmp",
                      fs::file_time_type::clock::now() - std::chrono::minutes(2));
  EXPECT_EQ(remove_abandoned_temporary_files(output, std::chrono::minutes(1)), 1u);
  const auto left = files_in(dir.path());
  EXPECT_EQ(left.size(), 3u);
  EXPECT_EQ(std::count(left.begin(), left.end(), "cut.png.rmbg-other-host-41.tmp"), 0);
}

// A file of a process of this machine that has ended is deleted at once, however recent; one of
// a process that still runs is left to it.
TEST(Files, TemporaryFilesOfAnEndedProcessOfThisMachineAreDeletedAtOnce) {
  TempDir dir;
  const fs::path output = dir / "cut.png";
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  const pid_t ended = ::fork();
  if (ended == 0) ::_exit(0);
  ::waitpid(ended, nullptr, 0);
  const std::string mine = "cut.png.rmbg-" + std::string(host) + "-" + std::to_string(::getpid()) + ".tmp";
  const std::string theirs = "cut.png.rmbg-" + std::string(host) + "-" + std::to_string(ended) + ".tmp";
  write_file_atomic(dir / mine, "being written");
  write_file_atomic(dir / theirs, "half");
  EXPECT_EQ(remove_abandoned_temporary_files(output, std::chrono::minutes(1)), 1u);
  EXPECT_EQ(files_in(dir.path()), std::vector<fs::path>{mine});
}

}  // namespace
}  // namespace rmbg
