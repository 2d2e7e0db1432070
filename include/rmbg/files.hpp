#pragma once
#include <filesystem>
#include <string>

namespace rmbg {

// Throws Error(io_error) naming the file and the reason.
std::string read_file(const std::filesystem::path& path);
// Writes through a temporary file and a rename: a reader never sees half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

}  // namespace rmbg
