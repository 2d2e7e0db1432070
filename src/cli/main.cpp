#include <malloc.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "rmbg/engine.hpp"
#include "rmbg/error.hpp"
#include "rmbg/image.hpp"

namespace {

// glibc's defaults suit many short allocations on many cores, and cost rmbg a sixth of its peak
// memory: each thread that allocates gets a heap of its own (up to 8 per core) that keeps what
// was freed, and the threshold above which a block is mapped on its own, and returned when
// freed, rises to every size freed (up to 32 MB), so that the buffers of one photograph stay in
// those heaps after it. One heap per core and a fixed 1 MB threshold: a batch of 1920x1080
// photographs peaked at 462 MB instead of 550 (bench/peer.sh has the like-for-like figures).
// Not for `rmbg video`: its memory does not grow with the clip anyway, and mapping each frame's
// buffers afresh made 1080p frames 15-20% slower.
void limit_heaps() {
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  rmbg::disable_onnx_runtime_telemetry();  // nothing about the user's work leaves the machine
  CLI::App app{"rmbg: removes the background from photographs, on this machine.", "rmbg"};
  app.set_version_flag("-V,--version", "rmbg " RMBG_VERSION);
  app.require_subcommand(1);
  const std::vector<rmbg::cli::Command> commands{
      rmbg::cli::add_serve_command(app), rmbg::cli::add_remove_command(app),
      rmbg::cli::add_video_command(app),
      rmbg::cli::add_idphoto_command(app), rmbg::cli::add_models_command(app), rmbg::cli::add_eval_command(app),
      rmbg::cli::add_bench_command(app), rmbg::cli::add_queue_command(app), rmbg::cli::add_worker_command(app)};
  const auto is_command = [&](const char* word) {
    return std::any_of(commands.begin(), commands.end(),
                       [&](const auto& command) { return command.app->get_name() == word; });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::cerr << "rmbg: unknown command '" << argv[1] << "' (serve, remove, video, idphoto, models, eval, bench, queue, worker; see rmbg --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  for (const auto& command : commands)
    if (command.app->parsed() && command.app->get_name() != "video") limit_heaps();
  try {
    rmbg::init_vips();
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
  } catch (const rmbg::Error& e) {
    std::cerr << "rmbg: " << e.what() << "\n";
    // A wrong option value (a colour, an output name it cannot write) is bad usage, as CLI11's are.
    return e.code() == rmbg::ErrorCode::invalid_argument ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "rmbg: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
