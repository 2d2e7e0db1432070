#pragma once
// Runs a matting / segmentation model with ONNX Runtime. One Engine per model per process:
// the session is created once and reused; predict() may be called from several threads.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rmbg/matte.hpp"
#include "rmbg/models.hpp"

namespace rmbg {

// Where the model runs. `automatic` takes an NVIDIA GPU through ONNX Runtime's CUDA provider when
// the provider library is installed (scripts/bootstrap --gpu) and a GPU answers, the CPU otherwise.
enum class Device { automatic, cpu, cuda };

struct EngineOptions {
  int threads = 0;  // intra-op threads; 0 = every core
  Device device = Device::automatic;
  // When set, every alpha the model computes is kept in this folder, named by a hash of the
  // model file, the device, the CPU's instruction sets and the input, and read back instead of
  // computed again: sweeps of `rmbg eval` over steps that show the model the same inputs then
  // cost seconds instead of minutes, and so do later runs of the same evaluation.
  std::filesystem::path prediction_cache;
};

// Where an Engine actually runs its model, and why there, for logs and /api/system.
struct DeviceReport {
  std::string provider;  // "cpu" or "cuda"
  std::string summary;   // one line for a person: "inference on the CPU (no CUDA provider ...)"
  bool fell_back = false;  // CUDA was asked for and could not be had: the CPU runs the model
};

Device parse_device(const std::string& name);  // "auto", "cpu" or "cuda"

// ONNX Runtime 1.29 records usage events for Microsoft on Linux too, from the moment its
// environment is made, before DisableTelemetryEvents() can reach it: a device id and a queue of
// events under ~/.cache/Microsoft, to upload when the network allows, and a log file in /tmp per
// process. ORT_DISABLE_TELEMETRY=1 in the environment beforehand turns all of it off; this sets
// it (unless already set). The first Engine does too, but setenv() is unsafe while other threads
// read the environment: a program calls this first thing, as rmbg's main does.
void disable_onnx_runtime_telemetry();

// An 8-bit or 16-bit RGB image already at the model's input size as the model's input tensor:
// NCHW floats normalised as `input` says.
std::vector<float> input_tensor(const ModelInput& input, const vips::VImage& model_input);

class Engine {
 public:
  Engine(const ModelSpec& spec, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelSpec& spec() const;
  const DeviceReport& device() const;
  // The model's alpha for `model_input`, an 8-bit or 16-bit RGB image already resized to an input
  // size the model takes (ModelInput::size_for). Returns a matte of that size.
  Matte predict(const vips::VImage& model_input) const;

 private:
  Matte run(std::vector<float>& input, int width, int height) const;  // the model itself

  struct Session;
  std::unique_ptr<Session> session_;
};

}  // namespace rmbg
