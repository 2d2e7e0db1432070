#pragma once
// What every ONNX Runtime session of rmbg shares: one environment per process, the same CPU
// settings, and the choice between the CPU and a CUDA GPU.
#include <onnxruntime_cxx_api.h>

#include <filesystem>
#include <string>

#include "rmbg/engine.hpp"

namespace rmbg {

// The process's one ONNX Runtime environment, with telemetry off.
Ort::Env& ort_env();

struct SessionSettings {
  int threads = 0;  // intra-op threads; 0 = every core
  Device device = Device::cpu;
  OrtLoggingLevel log_level = ORT_LOGGING_LEVEL_WARNING;  // ONNX Runtime's messages from this level up
};

struct OpenedSession {
  Ort::Session session{nullptr};
  DeviceReport device;  // where it runs, and why there
};

// A session for the model file at `path`: on a CUDA GPU when one is asked for (or `auto`) and can
// be had, otherwise on the CPU. Throws Error(model_corrupt) naming `model_name` when the file does
// not load.
OpenedSession open_session(const std::filesystem::path& path, const std::string& model_name,
                           const SessionSettings& settings);

}  // namespace rmbg
