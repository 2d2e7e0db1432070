#include <unistd.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "cut_stages.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "queue/worker.hpp"
#include "queue_options.hpp"

namespace rmbg::cli {
namespace {

struct WorkerCommandOptions {
  QueueAddress queue;
  PipelineOptions pipeline;  // the model and where it runs
  double visibility_timeout = 30;
  int max_tries = 3;
  bool exit_when_empty = false;
};

// One queued photograph through the same stages as `rmbg remove`, with the options it was
// submitted with.
queue::JobResult cut_out(const queue::Job& queued, const Engine& engine) {
  const JobOptions o = JobOptions::from(queued.options);
  const OutputSpec spec = o.output.spec(o.output.batch_format());
  const Job job{queued.input, queued.output, ""};
  Work work = decode_stage(job, o.overwrite, o.pipeline.decode_limits());
  cut_stage(work, [&]() -> const Engine& { return engine; },
            o.pipeline.cut_options(spec.kind == OutputKind::foreground));
  const Work::Report report = write_stage(work, spec);
  return {report.outcome != Outcome::failed, report.detail};
}

std::string consumer_name() {
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

int run_worker(const WorkerCommandOptions& o) {
  const FinishOnSignal finish;
  const Engine engine(o.pipeline.model_spec(), o.pipeline.engine_options());
  const auto say = [](std::string_view line) {
    std::fprintf(stderr, "rmbg worker: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  say(engine.device().summary);
  queue::WorkerOptions options;
  options.consumer = consumer_name();
  options.visibility_timeout = std::chrono::milliseconds(std::llround(o.visibility_timeout * 1000));
  options.max_tries = o.max_tries;
  options.exit_when_empty = o.exit_when_empty;
  queue::Worker worker(o.queue.redis(), o.queue.keys(), options,
                       [&](const queue::Job& job) { return cut_out(job, engine); }, say);
  say("ready as " + options.consumer + " on '" + o.queue.name + "'");
  const std::size_t finished = worker.run(finish.requested());
  const std::string why = finish.requested() ? std::string(" (") + finish.signal_name() + ")" : "";
  say("stopped after " + std::to_string(finished) + " photographs" + why);
  return 0;
}

}  // namespace

Command add_worker_command(CLI::App& parent) {
  auto options = std::make_shared<WorkerCommandOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("worker", "Cut out the photographs of a queue (rmbg queue submit)");
  app->footer(
      "Takes one job at a time from the queue, cuts it out as it was submitted, writes the output\n"
      "(complete or not at all) and says it is done. A job whose worker stopped is taken over by\n"
      "another after --visibility-timeout; one that fails --max-tries times is set aside with its\n"
      "error (rmbg queue status shows it, rmbg queue retry-failed queues it again). SIGINT or SIGTERM:\n"
      "finish the photograph in hand, then stop; a second one stops at once.");
  o.queue.add_to(*app);
  app->add_option("--visibility-timeout", o.visibility_timeout,
                  "Seconds without a word from a worker after which its job is taken over")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app->add_option("--max-tries", o.max_tries, "Tries before a photograph is set aside as failed")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app->add_flag("--exit-when-empty", o.exit_when_empty,
                "Stop when no photograph is queued or running, instead of waiting for more");
  o.pipeline.add_model_to(*app);
  return {app, [options] { return run_worker(*options); }};
}

}  // namespace rmbg::cli
