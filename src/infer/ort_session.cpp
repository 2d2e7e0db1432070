#include "ort_session.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "optimized_model.hpp"
#include "rmbg/error.hpp"

namespace rmbg {

void disable_onnx_runtime_telemetry() { setenv("ORT_DISABLE_TELEMETRY", "1", 0); }

Ort::Env& ort_env() {
  static Ort::Env env = [] {
    disable_onnx_runtime_telemetry();  // a no-op when main() did it, before any thread
    Ort::Env made(ORT_LOGGING_LEVEL_WARNING, "rmbg");
    made.DisableTelemetryEvents();
    return made;
  }();
  return env;
}

namespace {

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

Ort::SessionOptions cpu_options(const SessionSettings& settings) {
  Ort::SessionOptions options;
  options.SetLogSeverityLevel(settings.log_level);
  options.SetIntraOpNumThreads(settings.threads > 0 ? settings.threads
                                                    : static_cast<int>(std::thread::hardware_concurrency()));
  options.SetInterOpNumThreads(1);
  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  // Planning all activation buffers up front costs ISNet ~0.8 GB of peak memory and buys no
  // speed here (measured with bench/core.sh at 1920x1080).
  options.DisableMemPattern();
  // ONNX Runtime's workers otherwise spin between operators, and on two cores that takes the
  // time the decoding of the next photograph and the encoding of the last one need in a batch,
  // and that other requests and processes need on a shared machine. Between ISNet's convolutions
  // there is nothing to wait for that a sleep would lengthen noticeably.
  options.AddConfigEntry("session.intra_op.allow_spinning", "0");
  return options;
}

DeviceReport on_cpu(Device requested, const std::string& problem) {
  if (requested == Device::cpu) return {"cpu", "inference on the CPU", false};
  if (requested == Device::automatic)
    return {"cpu", "inference on the CPU (" + problem + ")", false};
  return {"cpu", "CUDA was asked for but cannot be used, so inference runs on the CPU: " + problem,
          true};
}

}  // namespace

OpenedSession open_session(const std::filesystem::path& path, const std::string& model_name,
                           const SessionSettings& settings) {
  OpenedSession opened;
  std::string problem = settings.device == Device::cpu ? "" : cuda_problem();
  if (settings.device != Device::cpu && problem.empty()) {
    // A GPU session can still fail where the CPU would not (cuDNN missing, GPU memory full):
    // that is one more reason to fall back, not an error.
    try {
      const auto gpu = cuda_devices().front();
      Ort::SessionOptions options = cpu_options(settings);
      options.AppendExecutionProvider_V2(ort_env(), {gpu}, std::unordered_map<std::string, std::string>{});
      opened.session = Ort::Session(ort_env(), path.c_str(), options);
      char id[128];
      std::snprintf(id, sizeof id, "%s device %04x:%04x", gpu.Device().Vendor(), gpu.Device().VendorId(),
                    gpu.Device().DeviceId());
      opened.device = {"cuda", std::string("inference on the GPU with CUDA (") + id + ")", false};
      return opened;
    } catch (const Ort::Exception& e) {
      problem = std::string("the CUDA session does not start: ") + e.what();
    }
  }
  try {
    Ort::SessionOptions options = cpu_options(settings);
    opened.session = open_optimized_session(ort_env(), path, model_name, options, "cpu");
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::model_corrupt, "cannot load model " + model_name + " (" + path.string() + "): " + e.what());
  }
  opened.device = on_cpu(settings.device, problem);
  return opened;
}

}  // namespace rmbg
