#include "rmbg/engine.hpp"

#include <dlfcn.h>
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

Ort::Env& ort_env() {
  static Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "rmbg");
  return env;
}

constexpr const char* kCudaProvider = "CUDAExecutionProvider";

// Beside the ONNX Runtime library this process loaded: where scripts/bootstrap --gpu installs it,
// and where ONNX Runtime looks for the providers_shared library that it needs too.
std::filesystem::path cuda_provider_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 || info.dli_fname == nullptr)
    return "libonnxruntime_providers_cuda.so";
  return std::filesystem::path(info.dli_fname).parent_path() / "libonnxruntime_providers_cuda.so";
}

std::vector<Ort::ConstEpDevice> cuda_devices() {
  std::vector<Ort::ConstEpDevice> devices;
  for (const auto& device : ort_env().GetEpDevices())
    if (std::string_view(device.EpName()) == kCudaProvider) devices.push_back(device);
  return devices;
}

// Why CUDA cannot be used, or empty when it can. Loads the provider library on the first call
// only: it is 230 MB and needs the NVIDIA driver, the CUDA runtime and cuDNN.
const std::string& cuda_problem() {
  static const std::string problem = []() -> std::string {
    const auto path = cuda_provider_path();
    if (!std::filesystem::exists(path))
      return "the CUDA provider is not installed (scripts/bootstrap --gpu puts it in " +
             path.parent_path().string() + ")";
    try {
      ort_env().RegisterExecutionProviderLibrary("cuda", path.string());
    } catch (const Ort::Exception& e) {
      return std::string("the CUDA provider does not load: ") + e.what();
    }
    if (cuda_devices().empty()) return "the CUDA provider finds no GPU";
    return "";
  }();
  return problem;
}

Ort::SessionOptions session_options(const EngineOptions& options) {
  Ort::SessionOptions so;
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  // Planning all activation buffers up front costs ISNet ~0.8 GB of peak memory and buys no
  // speed here (measured with bench/core.sh at 1920x1080).
  so.DisableMemPattern();
  return so;
}

DeviceReport on_cpu(Device requested, const std::string& problem) {
  if (requested == Device::cpu) return {"cpu", "inference on the CPU", false};
  if (requested == Device::automatic)
    return {"cpu", "inference on the CPU (" + problem + ")", false};
  return {"cpu", "CUDA was asked for but cannot be used, so inference runs on the CPU: " + problem,
          true};
}

}  // namespace

Device parse_device(const std::string& name) {
  if (name == "auto") return Device::automatic;
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw Error(ErrorCode::invalid_argument, "'" + name + "' is not a device (auto, cpu or cuda)");
}

struct Engine::Session {
  ModelSpec spec;
  Ort::Session session{nullptr};
  std::string input_name;
  std::string output_name;
  ONNXTensorElementDataType input_type{};
  DeviceReport device;
};

Engine::Engine(const ModelSpec& spec, const EngineOptions& options)
    : session_(std::make_unique<Session>()) {
  session_->spec = spec;
  const auto path = require_model(spec);
  std::string problem = options.device == Device::cpu ? "" : cuda_problem();
  if (options.device != Device::cpu && problem.empty()) {
    // A GPU session can still fail where the CPU would not (cuDNN missing, GPU memory full):
    // that is one more reason to fall back, not an error.
    try {
      const auto gpu = cuda_devices().front();
      Ort::SessionOptions so = session_options(options);
      so.AppendExecutionProvider_V2(ort_env(), {gpu},
                                    std::unordered_map<std::string, std::string>{});
      session_->session = Ort::Session(ort_env(), path.c_str(), so);
      char id[128];
      std::snprintf(id, sizeof id, "%s device %04x:%04x", gpu.Device().Vendor(),
                    gpu.Device().VendorId(), gpu.Device().DeviceId());
      session_->device = {"cuda", std::string("inference on the GPU with CUDA (") + id + ")", false};
    } catch (const Ort::Exception& e) {
      problem = std::string("the CUDA session does not start: ") + e.what();
    }
  }
  try {
    if (!session_->session) {
      session_->session = Ort::Session(ort_env(), path.c_str(), session_options(options));
      session_->device = on_cpu(options.device, problem);
    }

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
  const int w = spec.input.width, h = spec.input.height;
  if (model_input.width() != w || model_input.height() != h || model_input.bands() != 3)
    throw Error(ErrorCode::invalid_argument, "the model input must be " + std::to_string(w) + "x" +
                                                 std::to_string(h) + " RGB");

  // HWC 8/16-bit pixels to normalised NCHW floats.
  const RgbImage rgb = to_rgb(model_input);
  const size_t plane = static_cast<size_t>(w) * h;
  std::vector<float> input(plane * 3);
  for (int c = 0; c < 3; ++c) {
    const float scale = 255.0f / spec.input.std[c];
    const float offset = spec.input.mean[c] / spec.input.std[c];
    float* out = &input[plane * c];
    for (size_t i = 0; i < plane; ++i) out[i] = rgb.rgb[i * 3 + c] * scale - offset;
  }

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
