#include "ort_session.hpp"

#include <thread>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

Ort::Env& ort_env() {
  static Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "rmbg");
  return env;
}

}  // namespace

Ort::Session open_session(const std::filesystem::path& path, const std::string& model_name, int threads,
                          OrtLoggingLevel log_level) {
  try {
    Ort::SessionOptions options;
    options.SetLogSeverityLevel(log_level);
    options.SetIntraOpNumThreads(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
    options.SetInterOpNumThreads(1);
    options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    // Planning all activation buffers up front costs ISNet ~0.8 GB of peak memory and buys no
    // speed here (measured with bench/core.sh at 1920x1080).
    options.DisableMemPattern();
    return Ort::Session(ort_env(), path.c_str(), options);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::model_corrupt, "cannot load model " + model_name + " (" + path.string() + "): " + e.what());
  }
}

}  // namespace rmbg
