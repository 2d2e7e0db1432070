#include <gtest/gtest.h>

#include <chrono>

#include "rmbg/engine.hpp"
#include "rmbg/files.hpp"
#include "support.hpp"
#include "tiny_net.hpp"

namespace rmbg {
namespace {

namespace fs = std::filesystem;
using test::ModelCacheTest;
using test::TinyNet;

std::vector<fs::path> cached_files(const fs::path& cache) {
  std::vector<fs::path> files;
  if (fs::exists(cache / "optimized"))
    for (const auto& entry : fs::directory_iterator(cache / "optimized")) files.push_back(entry.path());
  return files;
}

ModelSpec tiny_spec(const fs::path& file) {
  ModelSpec spec;
  spec.name = "tiny";
  spec.file = file.string();
  spec.input.width = spec.input.height = 16;
  return spec;
}

std::vector<float> alpha(const ModelSpec& spec) {
  const vips::VImage grey = (vips::VImage::black(16, 16, vips::VImage::option()->set("bands", 3)) + 90)
                                .cast(VIPS_FORMAT_UCHAR);
  return Engine(spec).predict(grey).alpha;
}

TEST_F(ModelCacheTest, LaterStartsLoadTheOptimisedModelWrittenByTheFirst) {
  const fs::path model = cache_ / "tiny.onnx";
  write_file_atomic(model, TinyNet(false).bytes());
  const ModelSpec spec = tiny_spec(model);
  const std::vector<float> first = alpha(spec);
  const auto files = cached_files(cache_.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string().rfind("tiny-", 0), 0u) << files[0];

  // Proof that the cached file is what runs: swap in another network under the same name.
  write_file_atomic(files[0], TinyNet(false, 8).bytes());
  EXPECT_NE(alpha(spec), first);

  // A damaged cached file is optimised again from the model.
  write_file_atomic(files[0], "not a model");
  EXPECT_EQ(alpha(spec), first);
  EXPECT_GT(fs::file_size(files[0]), 1000u);

  // A replaced model gets a new key, and the old optimised file goes.
  write_file_atomic(model, TinyNet(false, 9).bytes());
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(2));
  EXPECT_NE(alpha(spec), first);
  const auto after = cached_files(cache_.path());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], files[0]);
}

}  // namespace
}  // namespace rmbg
