#include "batch_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "rmbg/image.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {

bool looks_like_directory(const std::string& path) {
  return fs::is_directory(path) || path.ends_with('/');
}

void refuse_inputs_as_outputs(std::vector<Job>& jobs) {
  std::set<fs::path> inputs;
  for (const Job& job : jobs)
    if (job.input != kStdio) inputs.insert(fs::weakly_canonical(job.input));
  for (Job& job : jobs)
    if (job.problem.empty() && job.output != kStdio && inputs.contains(fs::weakly_canonical(job.output)))
      job.problem = "the output " + job.output + " is one of the inputs: refused, even with --overwrite";
}

std::vector<Job> plan_batch(const std::vector<std::string>& inputs, const std::string& output_dir,
                            bool recursive, OutputFormat format) {
  const fs::path out_dir = output_dir;
  const fs::path out_dir_abs = fs::weakly_canonical(out_dir);
  std::vector<Job> jobs;
  std::set<std::string> planned;
  auto add = [&](const fs::path& input, const fs::path& relative) {
    fs::path target = out_dir / relative;
    target.replace_extension(extension(format));
    Job job{input.string(), target.string(), ""};
    if (!planned.insert(job.output).second)
      job.problem = "another input already writes " + job.output;
    jobs.push_back(job);
  };
  for (const auto& input : inputs) {
    if (input == kStdio) {
      jobs.push_back({input, "", "standard input can only be used for a single image"});
    } else if (fs::is_directory(input)) {
      std::vector<fs::path> files;
      auto collect = [&](const fs::directory_entry& entry) {
        if (!entry.is_regular_file() || !has_image_extension(entry.path())) return;
        const fs::path abs = fs::weakly_canonical(entry.path());
        const auto [end, _] = std::mismatch(out_dir_abs.begin(), out_dir_abs.end(), abs.begin(), abs.end());
        if (end != out_dir_abs.end()) files.push_back(entry.path());  // skip our own outputs
      };
      if (recursive)
        for (const auto& entry : fs::recursive_directory_iterator(input)) collect(entry);
      else
        for (const auto& entry : fs::directory_iterator(input)) collect(entry);
      std::sort(files.begin(), files.end());
      for (const auto& file : files) add(file, fs::relative(file, input));
    } else {
      add(input, fs::path(input).filename());
    }
  }
  refuse_inputs_as_outputs(jobs);
  return jobs;
}

}  // namespace rmbg::cli
