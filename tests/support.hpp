#pragma once
// Helpers shared by the tests: sample photographs, temporary folders, running the rmbg command.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "rmbg/image.hpp"
#include "rmbg/matte.hpp"

namespace rmbg::test {

namespace fs = std::filesystem;

// A sample photograph installed by `scripts/bootstrap --tests`; fails the test when missing.
inline fs::path sample(const std::string& name) {
  const fs::path path = fs::path(RMBG_TESTDATA_DIR) / name;
  if (!fs::exists(path))
    ADD_FAILURE() << path << " is missing: run scripts/bootstrap --tests";
  return path;
}

// A fresh folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("rmbg-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path path_;
};

inline std::string to_bytes(const vips::VImage& image, const char* suffix) {
  void* buffer = nullptr;
  size_t size = 0;
  image.write_to_buffer(suffix, &buffer, &size);
  std::string bytes(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return bytes;
}

// The same JPEG with a header that claims another size (SOF0: marker, length, precision, height,
// width), as a hostile or broken upload may.
inline std::string with_claimed_size(std::string jpeg, int width, int height) {
  const auto sof = jpeg.find("\xFF\xC0");
  if (sof == std::string::npos) {
    ADD_FAILURE() << "no SOF0 marker: not a baseline JPEG";
    return jpeg;
  }
  jpeg[sof + 5] = static_cast<char>(height >> 8), jpeg[sof + 6] = static_cast<char>(height & 0xff);
  jpeg[sof + 7] = static_cast<char>(width >> 8), jpeg[sof + 8] = static_cast<char>(width & 0xff);
  return jpeg;
}

// Points the model cache at an empty folder for the duration of a test.
class ModelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("RMBG_CACHE");
    if (old) saved_ = old;
    setenv("RMBG_CACHE", cache_.path().c_str(), 1);
  }
  void TearDown() override {
    if (saved_) setenv("RMBG_CACHE", saved_->c_str(), 1);
    else unsetenv("RMBG_CACHE");
  }
  TempDir cache_;
  std::optional<std::string> saved_;
};

// Intersection over union of two mattes thresholded at 0.5.
inline double iou(const Matte& a, const Matte& b) {
  size_t both = 0, either = 0;
  for (size_t i = 0; i < a.alpha.size(); ++i) {
    const bool x = a.alpha[i] >= 0.5f, y = b.alpha[i] >= 0.5f;
    both += x && y;
    either += x || y;
  }
  return either ? static_cast<double>(both) / either : 1.0;
}

}  // namespace rmbg::test
