#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "batch_plan.hpp"
#include "commands.hpp"
#include "queue_options.hpp"
#include "rmbg/error.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

struct SubmitOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool recursive = false;
  JobOptions job;
  QueueAddress queue;
};

int run_submit(const SubmitOptions& o) {
  if (fs::exists(o.output) && !fs::is_directory(o.output))
    throw Error(ErrorCode::invalid_argument, "-o must be a directory, and " + o.output + " is a file");
  const OutputSpec spec = o.job.output.spec(o.job.output.batch_format());  // refuses bad options now
  int problems = 0;
  std::vector<queue::Job> jobs;
  const queue::Fields options = o.job.fields();
  for (const Job& job : plan_batch(o.inputs, o.output, o.recursive, spec.format)) {
    if (!job.problem.empty()) {
      std::fprintf(stderr, "rmbg: %s: %s\n", job.input.c_str(), job.problem.c_str());
      ++problems;
      continue;
    }
    // Workers on other machines, started elsewhere, find the shared folder by its full path.
    jobs.push_back({fs::absolute(job.input).lexically_normal().string(),
                    fs::absolute(job.output).lexically_normal().string(), options});
  }
  queue::RedisClient redis(o.queue.redis());
  const std::size_t queued = queue::submit(redis, o.queue.keys(), jobs);
  std::printf("queued %zu photographs on '%s' (%zu submitted before)\n", queued, o.queue.name.c_str(),
              jobs.size() - queued);
  return problems > 0 ? 1 : 0;
}

std::string duration_text(std::chrono::seconds eta) {
  const long long s = eta.count();
  char text[32];
  if (s < 60) std::snprintf(text, sizeof text, "%lld s", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%lld min %lld s", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%lld h %lld min", s / 3600, s % 3600 / 60);
  return text;
}

int run_status(const QueueAddress& address, bool as_json) {
  queue::RedisClient redis(address.redis());
  const queue::QueueStatus s = queue::status(redis, address.keys());
  const auto dead = queue::dead_letters(redis, address.keys(), 10);
  if (as_json) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& letter : dead)
      failures.push_back({{"input", letter.input}, {"error", letter.error}, {"tries", letter.tries}});
    const nlohmann::json body{{"queued", s.queued},     {"running", s.running},
                              {"done", s.done},         {"failed", s.failed},
                              {"submitted", s.submitted}, {"workers", s.workers},
                              {"per_minute", s.per_minute},
                              {"eta_seconds", s.eta ? nlohmann::json(s.eta->count()) : nlohmann::json()},
                              {"first_failures", failures}};
    std::cout << body.dump(2) << "\n";
    return 0;
  }
  std::printf("queued   %lld\nrunning  %lld (workers: %lld)\ndone     %lld\nfailed   %lld\n", s.queued, s.running,
              s.workers, s.done, s.failed);
  std::printf("rate     %.1f per minute", s.per_minute);
  if (s.eta) std::printf(", about %s to go", duration_text(*s.eta).c_str());
  std::printf("\n");
  for (const auto& letter : dead)
    std::printf("  failed %s after %d tries: %s\n", letter.input.c_str(), letter.tries, letter.error.c_str());
  if (s.failed > static_cast<long long>(dead.size()))
    std::printf("  ... and %lld more\n", s.failed - static_cast<long long>(dead.size()));
  return 0;
}

int run_retry_failed(const QueueAddress& address) {
  queue::RedisClient redis(address.redis());
  std::printf("queued %zu failed photographs again\n", queue::retry_failed(redis, address.keys()));
  return 0;
}

}  // namespace

Command add_queue_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand("queue", "Share a batch among workers on many machines, through Redis");
  app->require_subcommand(1);
  app->footer(
      "Examples:\n"
      "  rmbg queue submit /shared/shots -o /shared/cutouts --redis redis://queue-host:6379 --bg white\n"
      "  rmbg worker --redis redis://queue-host:6379            # on every machine, as many as you like\n"
      "  rmbg queue status --redis redis://queue-host:6379\n"
      "Inputs and outputs live on storage every worker sees, under the same path.");

  auto submit = std::make_shared<SubmitOptions>();
  CLI::App* submit_app = app->add_subcommand(
      "submit", "Queue a job per photograph; a photograph submitted before, unchanged, is not queued again");
  submit_app->add_option("inputs", submit->inputs, "Images or directories")->required()->option_text("INPUT...");
  submit_app->add_option("-o,--output", submit->output, "The directory the cut-outs go to")
      ->required()
      ->option_text("OUTPUT_DIR");
  submit_app->add_flag("-r,--recursive", submit->recursive, "Descend into subdirectories of directory inputs");
  submit_app->add_flag("--overwrite", submit->job.overwrite, "Replace outputs that already exist (default: skip them)");
  submit->job.output.add_to(*submit_app);
  submit->job.pipeline.add_cut_to(*submit_app);
  submit->queue.add_to(*submit_app);

  auto status_address = std::make_shared<QueueAddress>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* status_app = app->add_subcommand("status", "How many photographs are queued, running, done and failed");
  status_app->add_flag("--json", *as_json, "As JSON");
  status_address->add_to(*status_app);

  auto retry_address = std::make_shared<QueueAddress>();
  CLI::App* retry_app = app->add_subcommand("retry-failed", "Queue the photographs that failed again");
  retry_address->add_to(*retry_app);

  return {app, [=] {
            if (submit_app->parsed()) return run_submit(*submit);
            if (status_app->parsed()) return run_status(*status_address, *as_json);
            return run_retry_failed(*retry_address);
          }};
}

}  // namespace rmbg::cli
