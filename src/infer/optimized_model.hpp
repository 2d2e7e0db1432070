#pragma once
// ONNX Runtime's optimised form of a model, written into the cache on the first start and loaded
// on later ones instead of optimising the graph again: that optimisation is most of a session's
// start-up time (measured with rmbg bench: 1.17 s to load the fp16 ISNet, 0.64 s its cached form).
#include <onnxruntime_cxx_api.h>

#include <filesystem>
#include <string>

namespace rmbg {

// A session for the model file `model` (named `name` in the cache), from its cached optimised
// form when one matches, else from the model itself with full graph optimisation, saving the
// optimised form for the next start. The cache key covers the model file (path, size and
// modification time), the ONNX Runtime version, the CPU's features and `settings`, which names
// whatever else changes the optimised graph (the execution provider).
Ort::Session open_optimized_session(Ort::Env& env, const std::filesystem::path& model,
                                    const std::string& name, Ort::SessionOptions& options,
                                    const std::string& settings);

}  // namespace rmbg
