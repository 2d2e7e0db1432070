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

json expected() { return json::parse(read_file(fs::path(RMBG_SOURCE_DIR) / "tests/accuracy/expected.json")); }

// `rmbg eval` over the evaluation data with `options`: its JSON report.
json evaluate(const fs::path& data, const std::string& options) {
  test::TempDir dir;
  const fs::path report_file = dir / "report.json";
  const std::string command = std::string(RMBG_BINARY) + " eval --data '" + data.string() + "' --json '" +
                              report_file.string() + "' " + options;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return fs::exists(report_file) ? json::parse(read_file(report_file)) : json::object();
}

// Every recorded figure of every recorded set: MAE and band SAD no higher, max F no lower.
void expect_no_worse(const json& report, const json& recorded_sets, const json& tolerance) {
  for (const auto& [set, figures] : recorded_sets.items()) {
    ASSERT_TRUE(report["sets"].contains(set)) << set << " was not evaluated";
    const json& got = report["sets"][set];
    for (const auto& [figure, value] : figures.items()) {
      const double measured = got.at(figure), recorded = value, slack = tolerance.at(figure);
      std::printf("%-28s %-8s %.4f (recorded %.4f)\n", set.c_str(), figure.c_str(), measured, recorded);
      if (figure == "max_f")
        EXPECT_GE(measured, recorded - slack) << set << " " << figure;
      else
        EXPECT_LE(measured, recorded + slack) << set << " " << figure;
    }
  }
}

TEST(Accuracy, NoSetGetsWorse) {
  const fs::path data = RMBG_EVALDATA_DIR;
  if (!fs::is_directory(data)) GTEST_SKIP() << "no evaluation data at " << data << ": accuracy not checked";
  const json recorded = expected();
  expect_no_worse(evaluate(data, ""), recorded["sets"], recorded["tolerance"]);
}

// best's extra looks, on the set where they pay most (the others are held by the default).
TEST(Accuracy, BestKeepsItsGainOnTheAlphaMatteSet) {
  const fs::path data = RMBG_EVALDATA_DIR;
  if (!fs::is_directory(data)) GTEST_SKIP() << "no evaluation data at " << data << ": accuracy not checked";
  const json recorded = expected();
  expect_no_worse(evaluate(data, "--preset best --set alphamatting_train_lowres"), recorded["best"]["sets"],
                  recorded["tolerance"]);
}

}  // namespace
}  // namespace rmbg
