#include "rmbg/files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "rmbg/error.hpp"

namespace rmbg {

std::string read_file(const std::filesystem::path& path) {
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

void write_file_atomic(const std::filesystem::path& path, const std::string& bytes) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::filesystem::path temporary =
      path.string() + ".rmbg-" + std::to_string(getpid()) + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      const std::string reason = std::strerror(errno);
      std::filesystem::remove(temporary, ec);
      throw Error(ErrorCode::io_error, "cannot write " + path.string() + ": " + reason);
    }
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    const std::string reason = ec.message();  // before the clean-up below reuses `ec`
    std::filesystem::remove(temporary, ec);
    throw Error(ErrorCode::io_error, "cannot write " + path.string() + ": " + reason);
  }
}

}  // namespace rmbg
