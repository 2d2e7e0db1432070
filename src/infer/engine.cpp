#include "rmbg/engine.hpp"

#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "ort_session.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"

namespace rmbg {

Device parse_device(const std::string& name) {
  if (name == "auto") return Device::automatic;
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw Error(ErrorCode::invalid_argument, "'" + name + "' is not a device (auto, cpu or cuda)");
}

std::vector<float> input_tensor(const ModelInput& input, const vips::VImage& model_input) {
  // HWC 8/16-bit pixels to normalised NCHW floats.
  const RgbImage rgb = to_rgb(model_input);
  const size_t plane = static_cast<size_t>(rgb.width) * rgb.height;
  std::vector<float> tensor(plane * 3);
  for (int c = 0; c < 3; ++c) {
    const float scale = 255.0f / input.std[c];
    const float offset = input.mean[c] / input.std[c];
    float* out = &tensor[plane * c];
    for (size_t i = 0; i < plane; ++i) out[i] = rgb.rgb[i * 3 + c] * scale - offset;
  }
  return tensor;
}

namespace {

// FNV-1a, 64 bits: names a cached alpha by the model and the exact input it was computed from.
std::uint64_t fnv1a(const void* data, size_t size, std::uint64_t hash = 14695981039346656037ull) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

// What decides the model's output beside its input: the model file (its path, size and time, so a
// model made again is not mistaken for the old one), the device and the CPU's instruction sets
// (ONNX Runtime's int8 kernels round differently with and without VNNI, for one).
std::string prediction_context(const std::filesystem::path& model_file, const DeviceReport& device) {
  std::string context = model_file.string();
  context += '\n' + std::to_string(std::filesystem::file_size(model_file));
  context += '\n' + std::to_string(std::filesystem::last_write_time(model_file).time_since_epoch().count());
  context += '\n' + device.provider;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.starts_with("flags")) {
      context += '\n' + line;
      break;
    }
  return context;
}

std::filesystem::path cached_alpha_path(const std::filesystem::path& cache, const std::string& context,
                                        const std::vector<float>& input) {
  std::uint64_t hash = fnv1a(context.data(), context.size());
  hash = fnv1a(input.data(), input.size() * sizeof(float), hash);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.alpha", static_cast<unsigned long long>(hash));
  return cache / name;
}

// A cached alpha: its width and height as two int32, then its floats.
std::optional<Matte> read_cached_alpha(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  const std::string bytes = read_file(path);
  std::int32_t size[2];
  if (bytes.size() < sizeof size) return std::nullopt;
  std::memcpy(size, bytes.data(), sizeof size);
  if (size[0] <= 0 || size[1] <= 0 ||
      bytes.size() != sizeof size + static_cast<size_t>(size[0]) * size[1] * sizeof(float))
    return std::nullopt;
  Matte matte(size[0], size[1]);
  std::memcpy(matte.alpha.data(), bytes.data() + sizeof size, matte.alpha.size() * sizeof(float));
  return matte;
}

void write_cached_alpha(const std::filesystem::path& path, const Matte& matte) {
  const std::int32_t size[2] = {matte.width, matte.height};
  std::string bytes(reinterpret_cast<const char*>(size), sizeof size);
  bytes.append(reinterpret_cast<const char*>(matte.alpha.data()), matte.alpha.size() * sizeof(float));
  write_file_atomic(path, bytes);
}

}  // namespace

struct Engine::Session {
  ModelSpec spec;
  std::filesystem::path prediction_cache;
  std::string prediction_context;  // see prediction_context()
  Ort::Session session{nullptr};
  std::string input_name;
  std::string output_name;
  ONNXTensorElementDataType input_type{};
  DeviceReport device;
};

Engine::Engine(const ModelSpec& spec, const EngineOptions& options)
    : session_(std::make_unique<Session>()) {
  session_->spec = spec;
  if (spec.task != ModelTask::matting)
    throw Error(ErrorCode::invalid_argument, "model '" + spec.name + "' finds faces; it cannot cut out a subject");
  if (spec.input.channels_last)
    throw Error(ErrorCode::invalid_argument, spec.name + ": a matting model needs the NCHW layout");
  const auto path = require_model(spec);
  OpenedSession opened = open_session(path, spec.name, {options.threads, options.device});
  session_->session = std::move(opened.session);
  session_->device = std::move(opened.device);
  if (!options.prediction_cache.empty()) {
    session_->prediction_cache = options.prediction_cache;
    session_->prediction_context = prediction_context(path, session_->device);
    std::filesystem::create_directories(options.prediction_cache);
  }
  try {
    auto& s = session_->session;
    Ort::AllocatorWithDefaultOptions allocator;
    if (s.GetInputCount() != 1)
      throw Error(ErrorCode::model_corrupt,
                  spec.name + ": expected a model with one image input, it has " +
                      std::to_string(s.GetInputCount()));
    if (spec.output.index < 0 || static_cast<size_t>(spec.output.index) >= s.GetOutputCount())
      throw Error(ErrorCode::invalid_argument,
                  spec.name + ": output index " + std::to_string(spec.output.index) +
                      " does not exist; the model has " + std::to_string(s.GetOutputCount()) +
                      " outputs");
    session_->input_name = s.GetInputNameAllocated(0, allocator).get();
    session_->output_name = s.GetOutputNameAllocated(spec.output.index, allocator).get();
    session_->input_type = s.GetInputTypeInfo(0).GetTensorTypeAndShapeInfo().GetElementType();
    if (session_->input_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT &&
        session_->input_type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16)
      throw Error(ErrorCode::model_corrupt, spec.name + ": the input must be float or float16");
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::model_corrupt,
                "cannot load model " + path.string() + ": " + e.what());
  }
}

Engine::~Engine() = default;

const ModelSpec& Engine::spec() const { return session_->spec; }

const DeviceReport& Engine::device() const { return session_->device; }

Matte Engine::predict(const vips::VImage& model_input) const {
  const auto& spec = session_->spec;
  const int w = model_input.width(), h = model_input.height();
  if (spec.input.size_for(w, h) != std::pair{w, h} || model_input.bands() != 3)
    throw Error(ErrorCode::invalid_argument,
                "the model cannot take a " + std::to_string(w) + "x" + std::to_string(h) + " RGB input");

  std::vector<float> input = input_tensor(spec.input, model_input);
  std::filesystem::path cached;
  if (!session_->prediction_cache.empty()) {
    cached = cached_alpha_path(session_->prediction_cache, session_->prediction_context, input);
    if (auto matte = read_cached_alpha(cached)) return std::move(*matte);
  }
  Matte matte = run(input, w, h);
  if (!cached.empty()) write_cached_alpha(cached, matte);
  return matte;
}

Matte Engine::run(std::vector<float>& input, int w, int h) const {
  const auto& spec = session_->spec;

  try {
    const std::array<int64_t, 4> shape{1, 3, h, w};
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<Ort::Float16_t> input_half;
    Ort::Value tensor{nullptr};
    if (session_->input_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
      input_half.reserve(input.size());
      for (float v : input) input_half.emplace_back(v);
      tensor = Ort::Value::CreateTensor<Ort::Float16_t>(memory, input_half.data(), input_half.size(),
                                                        shape.data(), shape.size());
    } else {
      tensor = Ort::Value::CreateTensor<float>(memory, input.data(), input.size(), shape.data(),
                                               shape.size());
    }
    const char* input_names[] = {session_->input_name.c_str()};
    const char* output_names[] = {session_->output_name.c_str()};
    auto outputs = session_->session.Run(Ort::RunOptions{nullptr}, input_names, &tensor, 1,
                                         output_names, 1);

    const auto info = outputs[0].GetTensorTypeAndShapeInfo();
    const auto dims = info.GetShape();
    if (dims.size() < 2)
      throw Error(ErrorCode::inference_failed, "the model's output is not an image");
    Matte matte(static_cast<int>(dims[dims.size() - 1]), static_cast<int>(dims[dims.size() - 2]));
    const size_t count = matte.alpha.size();
    if (info.GetElementCount() < count)
      throw Error(ErrorCode::inference_failed, "the model's output is smaller than its shape says");
    if (info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
      const auto* data = outputs[0].GetTensorData<Ort::Float16_t>();
      for (size_t i = 0; i < count; ++i) matte.alpha[i] = data[i].ToFloat();
    } else {
      const float* data = outputs[0].GetTensorData<float>();
      std::copy(data, data + count, matte.alpha.begin());
    }
    for (float& a : matte.alpha) {
      if (spec.output.sigmoid) a = 1.0f / (1.0f + std::exp(-a));
      a = std::clamp(a, 0.0f, 1.0f);
    }
    return matte;
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::inference_failed, spec.name + ": " + e.what());
  }
}

}  // namespace rmbg
