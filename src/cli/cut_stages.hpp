#pragma once
// The stages one photograph goes through, from its file to its cut-out's file: `rmbg remove`
// runs them in three threads that overlap, `rmbg worker` one after another for each job it takes.
#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "batch_plan.hpp"
#include "progress.hpp"
#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/remover.hpp"

namespace rmbg::cli {

// A job on its way through the stages: decoded, cut out, then written. `settled` is set as soon
// as its outcome is known without the later stages: skipped, or failed.
struct Work {
  const Job* job;
  std::string name;  // as reported
  std::optional<Image> image;
  std::optional<Cutout> cutout;
  struct Report {
    Outcome outcome;
    std::string detail;
  };
  std::optional<Report> settled;
};

// An error's message, said to be internal unless it is one of rmbg's own.
std::string failure_text(const std::exception& e);

// Reads and decodes the job's input, unless its output exists and may not be replaced.
Work decode_stage(const Job& job, bool overwrite, const DecodeLimits& limits);
// Cuts the decoded photograph out with the engine `engine()` gives (which may load it on first
// use). An engine that cannot be loaded, or a model found missing or corrupt, is thrown, since
// every other photograph would fail the same way; any other failure settles the work.
void cut_stage(Work& work, const std::function<const Engine&()>& engine, const CutOptions& options);
// Renders, encodes and writes the cut-out (through a temporary file and a rename).
Work::Report write_stage(const Work& work, const OutputSpec& spec);

}  // namespace rmbg::cli
