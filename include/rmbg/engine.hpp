#pragma once
// Runs a matting / segmentation model with ONNX Runtime. One Engine per model per process:
// the session is created once and reused; predict() may be called from several threads.
#include <memory>

#include "rmbg/matte.hpp"
#include "rmbg/models.hpp"

namespace rmbg {

struct EngineOptions {
  int threads = 0;  // intra-op threads; 0 = every core
};

class Engine {
 public:
  Engine(const ModelSpec& spec, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelSpec& spec() const;
  // The model's alpha for `model_input`, an 8-bit or 16-bit RGB image already resized to the
  // model's input size. Returns a matte of the model's input size.
  Matte predict(const vips::VImage& model_input) const;

 private:
  struct Session;
  std::unique_ptr<Session> session_;
};

}  // namespace rmbg
