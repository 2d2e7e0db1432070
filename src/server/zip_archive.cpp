#include "zip_archive.hpp"

#include <zlib.h>

#include <cstdint>

namespace rmbg::server {
namespace {

// Zip's fields are little-endian.
void put(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// The fields that the local header and the central directory's entry share, from "version needed" on.
std::string common_fields(const std::string& name, const std::string& bytes) {
  std::string fields;
  put(fields, 20, 2);  // version needed: 2.0
  put(fields, 0, 2);   // flags
  put(fields, 0, 2);   // method: stored
  put(fields, 0, 2);   // time
  put(fields, 0x21, 2);  // date: 1980-01-01
  put(fields, crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())), 4);
  put(fields, static_cast<std::uint32_t>(bytes.size()), 4);  // compressed size
  put(fields, static_cast<std::uint32_t>(bytes.size()), 4);  // size
  put(fields, static_cast<std::uint32_t>(name.size()), 2);
  put(fields, 0, 2);  // extra field length
  return fields;
}

}  // namespace

std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string archive, directory;
  for (const auto& [name, bytes] : files) {
    const std::string fields = common_fields(name, bytes);
    const auto offset = static_cast<std::uint32_t>(archive.size());
    put(archive, 0x04034b50, 4);
    archive += fields + name + bytes;
    put(directory, 0x02014b50, 4);
    put(directory, 20, 2);  // made by: 2.0
    directory += fields;
    put(directory, 0, 2);  // comment length
    put(directory, 0, 2);  // disk
    put(directory, 0, 2);  // internal attributes
    put(directory, 0, 4);  // external attributes
    put(directory, offset, 4);
    directory += name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(archive.size());
  archive += directory;
  put(archive, 0x06054b50, 4);
  put(archive, 0, 2);  // this disk
  put(archive, 0, 2);  // disk of the directory
  put(archive, static_cast<std::uint32_t>(files.size()), 2);
  put(archive, static_cast<std::uint32_t>(files.size()), 2);
  put(archive, static_cast<std::uint32_t>(directory.size()), 4);
  put(archive, directory_offset, 4);
  put(archive, 0, 2);  // comment length
  return archive;
}

}  // namespace rmbg::server
