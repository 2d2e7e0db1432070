#pragma once
// Decompression bombs: files of a few hundred bytes whose headers claim tens of thousands of
// pixels a side. Each is a tiny image written by libvips with its header's dimensions rewritten,
// as a hostile upload would.
#include <zlib.h>

#include <string>
#include <vector>

#include "support.hpp"

namespace rmbg::test {

struct Bomb {
  std::string suffix;  // ".png"
  std::string bytes;
  int width = 0, height = 0;  // as the header claims
};

inline void put_big_endian(std::string& bytes, size_t at, std::uint32_t value, int size) {
  for (int i = 0; i < size; ++i) bytes[at + i] = static_cast<char>(value >> (8 * (size - 1 - i)));
}

inline void put_little_endian(std::string& bytes, size_t at, std::uint32_t value, int size) {
  for (int i = 0; i < size; ++i) bytes[at + i] = static_cast<char>(value >> (8 * i));
}

inline std::uint32_t little_endian(const std::string& bytes, size_t at, int size) {
  std::uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// PNG: IHDR's width and height, and the chunk's CRC over its type and data.
inline std::string png_bomb(std::string png, int w, int h) {
  put_big_endian(png, 16, w, 4);
  put_big_endian(png, 20, h, 4);
  const auto* ihdr = reinterpret_cast<const Bytef*>(png.data() + 12);
  put_big_endian(png, 29, static_cast<std::uint32_t>(crc32(0, ihdr, 17)), 4);
  return png;
}

// WebP: libvips writes the extended format; its VP8 chunk alone makes a simple file, whose frame
// header holds the size (14 bits a side).
inline std::string webp_bomb(const std::string& webp, int w, int h) {
  const size_t chunk = webp.find("VP8 ");
  const size_t size = little_endian(webp, chunk + 4, 4);
  std::string simple = "RIFF....WEBP" + webp.substr(chunk, 8 + size + (size & 1));
  put_little_endian(simple, 4, static_cast<std::uint32_t>(simple.size() - 8), 4);
  put_little_endian(simple, 26, w, 2);
  put_little_endian(simple, 28, h, 2);
  return simple;
}

// TIFF (little-endian, as libvips writes it here): ImageWidth, ImageLength and RowsPerStrip in
// the first directory.
inline std::string tiff_bomb(std::string tiff, int w, int h) {
  const size_t directory = little_endian(tiff, 4, 4);
  for (size_t i = 0, n = little_endian(tiff, directory, 2); i < n; ++i) {
    const size_t entry = directory + 2 + 12 * i;
    const std::uint32_t tag = little_endian(tiff, entry, 2), type = little_endian(tiff, entry + 2, 2);
    const int size = type == 3 ? 2 : 4;  // SHORT or LONG
    if (tag == 256) put_little_endian(tiff, entry + 8, w, size);
    if (tag == 257 || tag == 278) put_little_endian(tiff, entry + 8, h, size);
  }
  return tiff;
}

// GIF: the logical screen and the first image descriptor.
inline std::string gif_bomb(std::string gif, int w, int h) {
  const size_t descriptor = gif.find('\x2c', 13);
  for (const size_t at : {size_t{6}, descriptor + 5}) {
    put_little_endian(gif, at, w, 2);
    put_little_endian(gif, at + 2, h, 2);
  }
  return gif;
}

// HEIF and AVIF: every image spatial extent ('ispe') box.
inline std::string heif_bomb(std::string heif, int w, int h) {
  for (size_t at = heif.find("ispe"); at != std::string::npos; at = heif.find("ispe", at + 4)) {
    put_big_endian(heif, at + 8, w, 4);
    put_big_endian(heif, at + 12, h, 4);
  }
  return heif;
}

// One bomb per format rmbg reads. HEIF's claim stays within libheif's own limit (16384 a side),
// so that rmbg's pixel limit is what refuses it.
inline std::vector<Bomb> decompression_bombs() {
  init_vips();
  const vips::VImage tiny = vips::VImage::black(16, 16, vips::VImage::option()->set("bands", 3)).cast(VIPS_FORMAT_UCHAR);
  std::vector<Bomb> bombs{
      {".png", png_bomb(to_bytes(tiny, ".png"), 100'000, 100'000), 100'000, 100'000},
      {".jpg", with_claimed_size(to_bytes(tiny, ".jpg"), 65'000, 65'000), 65'000, 65'000},
      {".webp", webp_bomb(to_bytes(tiny, ".webp"), 16'383, 16'383), 16'383, 16'383},
      {".tif", tiff_bomb(to_bytes(tiny, ".tif"), 65'000, 65'000), 65'000, 65'000},
      {".gif", gif_bomb(to_bytes(tiny, ".gif"), 65'000, 65'000), 65'000, 65'000},
  };
  for (const auto compression : {VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, VIPS_FOREIGN_HEIF_COMPRESSION_AV1}) {
    void* buffer = nullptr;
    size_t size = 0;
    tiny.write_to_buffer(".heif", &buffer, &size, vips::VImage::option()->set("compression", compression));
    const std::string heif(static_cast<const char*>(buffer), size);
    g_free(buffer);
    const char* suffix = compression == VIPS_FOREIGN_HEIF_COMPRESSION_AV1 ? ".avif" : ".heic";
    bombs.push_back({suffix, heif_bomb(heif, 16'000, 16'000), 16'000, 16'000});
  }
  return bombs;
}

}  // namespace rmbg::test
