#include "optimized_model.hpp"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <glib.h>

#include "rmbg/models.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

// The CPU's feature flags: the optimised graph uses the vector width and instructions it found.
std::string cpu_features() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) return line;
  return "unknown";
}

// Size and modification time rather than a hash: hashing ISNet would cost a third of the time
// the cache saves. A model made again or replaced in place gets a new key.
std::string cache_key(const fs::path& model, const std::string& settings) {
  const std::string identity = fs::absolute(model).string() + " " +
                               std::to_string(fs::file_size(model)) + " " +
                               std::to_string(fs::last_write_time(model).time_since_epoch().count());
  const std::string all =
      identity + "|" + Ort::GetVersionString() + "|" + cpu_features() + "|" + settings;
  gchar* hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, all.c_str(), -1);
  std::string key(hex, 16);
  g_free(hex);
  return key;
}

std::string file_stem(const std::string& name) {
  std::string stem = name;
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return stem;
}

}  // namespace

Ort::Session open_optimized_session(Ort::Env& env, const fs::path& model, const std::string& name,
                                    Ort::SessionOptions& options, const std::string& settings) {
  const fs::path dir = cache_dir() / "optimized";
  const std::string stem = file_stem(name);
  const fs::path cached = dir / (stem + "-" + cache_key(model, settings) + ".onnx");
  std::error_code ec;
  if (fs::exists(cached, ec)) {
    try {
      Ort::SessionOptions ready = options.Clone();
      ready.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
      return Ort::Session(env, cached.c_str(), ready);
    } catch (const Ort::Exception&) {
      fs::remove(cached, ec);  // damaged: optimise the model again below
    }
  }

  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  const fs::path partial = cached.string() + "." + std::to_string(getpid()) + ".part";
  const bool saving = fs::create_directories(dir, ec) || fs::is_directory(dir, ec);
  if (saving) {
    options.SetOptimizedModelFilePath(partial.c_str());
    // ONNX Runtime warns that a fully optimised graph suits only this machine: the key has the
    // CPU's features in it, so the warning would only alarm.
    options.SetLogSeverityLevel(ORT_LOGGING_LEVEL_ERROR);
  }
  try {
    Ort::Session session(env, model.c_str(), options);
    if (saving && fs::exists(partial, ec)) {
      for (const auto& entry : fs::directory_iterator(dir, ec)) {  // older versions of this model
        const std::string name = entry.path().filename().string();
        if (name.rfind(stem + "-", 0) == 0 && name.size() == stem.size() + 22 &&
            name.find_first_not_of("0123456789abcdef", stem.size() + 1) == stem.size() + 17 &&
            entry.path().extension() == ".onnx")
          fs::remove(entry.path(), ec);
      }
      fs::rename(partial, cached, ec);
    }
    return session;
  } catch (...) {
    fs::remove(partial, ec);
    throw;
  }
}

}  // namespace rmbg
