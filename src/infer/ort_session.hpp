#pragma once
// What every ONNX Runtime session of rmbg shares: one environment per process and the same CPU
// settings.
#include <onnxruntime_cxx_api.h>

#include <filesystem>
#include <string>

namespace rmbg {

// A session for the model file at `path`, with `threads` intra-op threads (0: every core), logging
// ONNX Runtime's messages from `log_level` up. Throws Error(model_corrupt) naming `model_name`
// when the file does not load.
Ort::Session open_session(const std::filesystem::path& path, const std::string& model_name, int threads,
                          OrtLoggingLevel log_level = ORT_LOGGING_LEVEL_WARNING);

}  // namespace rmbg
