#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

namespace rmbg {

// Throws Error(io_error) naming the file and the reason.
std::string read_file(const std::filesystem::path& path);
// Writes through a temporary file beside `path` and a rename: a reader never sees half a file,
// and a file under the final name is always complete.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// Deletes the temporary files that write_file_atomic of any process left beside `path` and that
// nothing has written to for `idle`, or whose writer was a process of this machine that has ended:
// the remains of a process that was killed mid-write. Returns how many it deleted.
std::size_t remove_abandoned_temporary_files(const std::filesystem::path& path, std::chrono::milliseconds idle);

// Temporary files of this process (write_file_atomic's, and the decoder's spill files for large
// photographs) are listed from before they are created until they are renamed or deleted.
// `remember_temporary_file` throws Error(io_error) once discard_temporary_files has run.
void remember_temporary_file(const std::filesystem::path& path);
void forget_temporary_file(const std::filesystem::path& path);
// Deletes every listed file (or folder: a video's PNG sequence) and refuses new ones: for a front
// end that stops on a signal.
// Returns how many files it deleted.
std::size_t discard_temporary_files();

// The folder of the running program (from /proc/self/exe), where an installed rmbg finds what was
// installed with it; empty when it cannot be told.
std::filesystem::path program_dir();

}  // namespace rmbg
