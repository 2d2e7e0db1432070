#pragma once
// What `rmbg queue` and `rmbg worker` share: where the queue is, and the options of `rmbg remove`
// that travel with each job from the command that submits it to the worker that does it.
#include <string>

#include <CLI/CLI.hpp>

#include "model_options.hpp"
#include "output_options.hpp"
#include "queue/work_queue.hpp"

namespace rmbg::cli {

struct QueueAddress {
  std::string url = "redis://127.0.0.1:6379";
  std::string name = "rmbg";

  void add_to(CLI::App& app);
  queue::RedisAddress redis() const { return queue::RedisAddress::parse(url); }
  queue::QueueKeys keys() const { return queue::QueueKeys(name); }
};

// The options of one submitted job. The model is not among them: each worker loads its own
// (`rmbg worker --model`), once.
struct JobOptions {
  OutputOptions output;
  PipelineOptions pipeline;  // its preset, steps and size limit
  bool overwrite = false;

  queue::Fields fields() const;
  // Throws Error(invalid_argument) for a field it cannot read.
  static JobOptions from(const queue::Fields& fields);
};

}  // namespace rmbg::cli
