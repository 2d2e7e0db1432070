#pragma once
// The options that say what file a cut-out becomes, shared by `rmbg remove` and `rmbg queue submit`.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "rmbg/render.hpp"

namespace rmbg::cli {

struct OutputOptions {
  bool mask = false;
  std::string background;
  std::string format;
  int depth = 8;
  std::optional<int> crop;
  int quality = 90;

  void add_to(CLI::App& app);
  // The format of a batch's outputs: --format, PNG without it.
  OutputFormat batch_format() const;
  // What the outputs hold, in `format`; throws Error(invalid_argument) for options no file can hold.
  OutputSpec spec(OutputFormat format) const;
};

}  // namespace rmbg::cli
