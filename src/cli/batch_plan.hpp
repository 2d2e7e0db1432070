#pragma once
// Which file goes where in a batch: shared by `rmbg remove` and `rmbg queue submit`.
#include <string>
#include <vector>

#include "rmbg/render.hpp"

namespace rmbg::cli {

constexpr const char* kStdio = "-";

struct Job {
  std::string input;    // a path, or "-" for standard input
  std::string output;   // a path, or "-" for standard output
  std::string problem;  // set when the job cannot run at all
};

bool looks_like_directory(const std::string& path);

// Expands directories (into sub-folders with `recursive`) and maps every input to its output in
// `output_dir`: the input's relative path with the extension of `format`. An output that another
// input already writes, or that is one of the inputs, makes a job with a problem.
std::vector<Job> plan_batch(const std::vector<std::string>& inputs, const std::string& output_dir,
                            bool recursive, OutputFormat format);

// An output that is one of the inputs would replace the photograph with its cut-out: refused,
// --overwrite or not. Canonical paths see through "./", "..", and symbolic links.
void refuse_inputs_as_outputs(std::vector<Job>& jobs);

}  // namespace rmbg::cli
