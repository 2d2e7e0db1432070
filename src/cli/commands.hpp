#pragma once
// Each subcommand of `rmbg` registers its options and returns how to run it.
#include <functional>

#include <CLI/CLI.hpp>

namespace rmbg::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // returns the process exit status
};

Command add_remove_command(CLI::App& parent);
Command add_idphoto_command(CLI::App& parent);
Command add_models_command(CLI::App& parent);
Command add_eval_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent);
Command add_serve_command(CLI::App& parent);
Command add_queue_command(CLI::App& parent);
Command add_worker_command(CLI::App& parent);
Command add_video_command(CLI::App& parent);

}  // namespace rmbg::cli
