#include "rmbg/video_module.hpp"

#include <dlfcn.h>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

constexpr const char* kModuleFile = "librmbg-video.so";

// The module stays loaded until the process ends: its code may run on any thread at any time.
const VideoModule& load_video_module() {
  const fs::path program = program_dir();
  const fs::path folders[] = {program, (program / RMBG_LIBDIR_FROM_BINARY).lexically_normal()};
  for (const fs::path& folder : folders) {
    const fs::path file = folder / kModuleFile;
    if (!fs::exists(file)) continue;
    // RTLD_NOW: a module that does not fit the program fails here, not in the middle of a clip.
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    const void* module = handle ? ::dlsym(handle, kVideoModuleSymbol) : nullptr;
    if (!module) throw Error(ErrorCode::io_error, std::string("video support cannot be loaded: ") + ::dlerror());
    return *static_cast<const VideoModule*>(module);
  }
  throw Error(ErrorCode::io_error, std::string("video support is not installed: ") + kModuleFile +
                                       " not found (looked in " + folders[0].string() + " and " +
                                       folders[1].string() + ")");
}

}  // namespace

const VideoModule& video_module() {
  static const VideoModule& module = load_video_module();
  return module;
}

}  // namespace rmbg
