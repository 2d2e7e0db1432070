// Accuracy over the evaluation sets beside the project: fails when any set gets worse than the
// figures recorded in expected.json (measured with the same command), less a small tolerance.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "rmbg/files.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(Accuracy, NoSetGetsWorse) {
  const fs::path data = RMBG_EVALDATA_DIR;
  if (!fs::is_directory(data)) GTEST_SKIP() << "no evaluation data at " << data << ": accuracy not checked";

  const json expected = json::parse(read_file(fs::path(RMBG_SOURCE_DIR) / "tests/accuracy/expected.json"));
  test::TempDir dir;
  const fs::path report_file = dir / "report.json";
  const std::string command = std::string(RMBG_BINARY) + " eval --data '" + data.string() + "' --json '" +
                              report_file.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const json report = json::parse(read_file(report_file));

  const double mae_tolerance = expected["tolerance"]["mae"], f_tolerance = expected["tolerance"]["max_f"];
  for (const auto& [set, figures] : expected["sets"].items()) {
    ASSERT_TRUE(report["sets"].contains(set)) << set << " was not evaluated";
    const json& got = report["sets"][set];
    std::printf("%-28s MAE %.4f (recorded %.4f)  maxF %.4f (recorded %.4f)\n", set.c_str(),
                got["mae"].get<double>(), figures["mae"].get<double>(), got["max_f"].get<double>(),
                figures["max_f"].get<double>());
    EXPECT_LE(got["mae"].get<double>(), figures["mae"].get<double>() + mae_tolerance) << set;
    EXPECT_GE(got["max_f"].get<double>(), figures["max_f"].get<double>() - f_tolerance) << set;
  }
}

}  // namespace
}  // namespace rmbg
