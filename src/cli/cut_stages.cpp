#include "cut_stages.hpp"

#include <filesystem>
#include <iostream>
#include <iterator>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

std::string read_input(const std::string& input) {
  if (input != kStdio) return read_file(input);
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void write_output(const std::string& output, const std::string& bytes) {
  if (output != kStdio) return write_file_atomic(output, bytes);
  std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::cout.flush();
  if (!std::cout) throw Error(ErrorCode::io_error, "cannot write to standard output");
}

}  // namespace

std::string failure_text(const std::exception& e) {
  return dynamic_cast<const Error*>(&e) ? e.what() : std::string("internal error: ") + e.what();
}

Work decode_stage(const Job& job, bool overwrite, const DecodeLimits& limits) {
  Work work{&job, job.input == kStdio ? "standard input" : job.input, {}, {}, {}};
  if (!job.problem.empty()) {
    work.settled = {Outcome::failed, job.problem};
  } else if (job.output != kStdio && !overwrite && fs::exists(job.output)) {
    work.settled = {Outcome::skipped, job.output + " exists (--overwrite replaces it)"};
  } else {
    try {
      work.image = decode_image(read_input(job.input), limits);
    } catch (const std::exception& e) {
      work.settled = {Outcome::failed, failure_text(e)};
    }
  }
  return work;
}

void cut_stage(Work& work, const std::function<const Engine&()>& engine, const CutOptions& options) {
  if (work.settled) return;
  const Engine& loaded = engine();  // outside the try: an engine that cannot load is thrown
  try {
    work.cutout = Remover(loaded).cut(*work.image, options);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::model_missing || e.code() == ErrorCode::model_corrupt) throw;
    work.settled = {Outcome::failed, e.what()};
  } catch (const std::exception& e) {
    work.settled = {Outcome::failed, failure_text(e)};
  }
}

Work::Report write_stage(const Work& work, const OutputSpec& spec) {
  if (work.settled) return *work.settled;
  try {
    write_output(work.job->output, encode(render(*work.image, *work.cutout, spec), spec));
    return {Outcome::written, work.job->output == kStdio ? "" : "-> " + work.job->output};
  } catch (const std::exception& e) {
    return {Outcome::failed, failure_text(e)};
  }
}

}  // namespace rmbg::cli
