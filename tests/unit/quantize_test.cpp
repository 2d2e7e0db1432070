#include "rmbg/quantize.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <map>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "support.hpp"
#include "tiny_net.hpp"

namespace rmbg {
namespace {

using onnx::TensorProto;
using test::TinyNet;
using test::Values;

const std::array<std::int64_t, 4> kShape{1, 3, 16, 16};

Ort::Env& env() {
  static Ort::Env e(ORT_LOGGING_LEVEL_WARNING, "quantize-test");
  return e;
}

// The first output of `model` for `input` (side x side), by ONNX Runtime; optionally saves its
// optimised graph.
std::vector<float> run(const std::string& model, std::vector<float> input,
                       const std::string& optimised_file = {}, std::int64_t side = 16) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  if (!optimised_file.empty()) {
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
    so.SetOptimizedModelFilePath(optimised_file.c_str());
  }
  Ort::Session session(env(), model.data(), model.size(), so);
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const std::array<std::int64_t, 4> shape{1, 3, side, side};
  auto tensor = Ort::Value::CreateTensor<float>(memory, input.data(), input.size(), shape.data(), 4);
  Ort::AllocatorWithDefaultOptions allocator;
  const auto in_name = session.GetInputNameAllocated(0, allocator);
  const auto out_name = session.GetOutputNameAllocated(0, allocator);
  const char* in_names[] = {in_name.get()};
  const char* out_names[] = {out_name.get()};
  auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &tensor, 1, out_names, 1);
  const float* data = out[0].GetTensorData<float>();
  return {data, data + out[0].GetTensorTypeAndShapeInfo().GetElementCount()};
}

// How many nodes of each kind `model_bytes` has; a float Conv may show as FusedConv, with its
// activation folded in by ONNX Runtime.
class OpCounts {
 public:
  explicit OpCounts(const std::string& model_bytes) {
    onnx::ModelProto model;
    EXPECT_TRUE(model.ParseFromString(model_bytes));
    for (const auto& n : model.graph().node()) ++counts_[n.op_type()];
  }
  int operator[](const std::string& op) const {
    const auto it = counts_.find(op);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, int> counts_;
};

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

TEST(PerChannelInt8, RoundTripsWithinHalfAStepPerChannel) {
  Values values(3);
  std::vector<float> weights = values.many(4 * 50);
  for (std::size_t i = 50; i < 100; ++i) weights[i] *= 0.001f;  // a channel of tiny weights
  for (std::size_t i = 100; i < 150; ++i) weights[i] = 0;        // and an empty one
  const PerChannelInt8 q = quantize_per_channel(weights, 4);
  ASSERT_EQ(q.values.size(), weights.size());
  ASSERT_EQ(q.scales.size(), 4u);
  for (std::size_t c = 0; c < 4; ++c) {
    ASSERT_GT(q.scales[c], 0.0f);
    int largest = 0;
    for (std::size_t i = c * 50; i < (c + 1) * 50; ++i) {
      EXPECT_LE(std::fabs(q.values[i] * q.scales[c] - weights[i]), q.scales[c] * 0.5f + 1e-9f)
          << "channel " << c << " element " << i;
      EXPECT_GE(q.values[i], -127);
      largest = std::max(largest, std::abs(static_cast<int>(q.values[i])));
    }
    EXPECT_EQ(largest, c == 2 ? 0 : 127) << "channel " << c;
  }
  // Per channel, not per tensor: the tiny channel keeps its precision.
  EXPECT_LT(q.scales[1], q.scales[0] / 100);
  EXPECT_THROW(quantize_per_channel(weights, 3), Error);
}

TEST(ToFp32, WidensAnFp16ModelAndDropsItsCastsAndSideOutputs) {
  const std::string fp16 = TinyNet(true).bytes();
  const std::string fp32 = to_fp32(fp16, 0);
  const OpCounts ops(fp32);
  EXPECT_EQ(ops["Cast"], 0);
  EXPECT_EQ(ops["Identity"], 0);  // the side output and what fed only it are gone
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(fp32));
  ASSERT_EQ(model.graph().output_size(), 1);
  EXPECT_EQ(model.graph().output(0).name(), "y");
  for (const auto& t : model.graph().initializer()) EXPECT_EQ(t.data_type(), TensorProto::FLOAT) << t.name();

  const std::vector<float> input = Values(11).many(3 * 16 * 16, 0.5f);
  const auto reference = run(fp16, input), widened = run(fp32, input);
  EXPECT_LT(max_difference(reference, widened), 2e-3);  // fp16 rounding of the activations only
  EXPECT_THROW(to_fp32(fp16, 2), Error);
}

TEST(ToFp32, FreesTheInputSizeWhenEveryUpsamplingHasAConstantTarget) {
  const std::string exported = TinyNet(false).bytes();
  const std::string fp32 = to_fp32(exported, 0);
  const OpCounts ops(fp32);
  EXPECT_EQ(ops["Shape"] + ops["Slice"] + ops["Constant"], 0);  // the target became a scale
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(fp32));
  const auto& dims = model.graph().input(0).type().tensor_type().shape().dim();
  EXPECT_EQ(dims[2].dim_param(), "height");
  EXPECT_EQ(dims[3].dim_param(), "width");

  // The same output at the exported size; a larger input, refused by the exported model, runs.
  const std::vector<float> input = Values(4).many(3 * 16 * 16, 0.5f);
  EXPECT_LT(max_difference(run(exported, input), run(fp32, input)), 1e-6);
  const std::vector<float> larger = Values(4).many(3 * 32 * 32, 0.5f);
  EXPECT_THROW(run(exported, larger, {}, 32), Ort::Exception);
  EXPECT_EQ(run(fp32, larger, {}, 32).size(), 32u * 32u);
}

TEST(Calibrator, RangesCoverWhatTheModelSawAndPercentileClipsOutliers) {
  const std::string model = to_fp32(TinyNet(false).bytes(), 0);
  Calibrator calibrator(model, 1);
  std::vector<float> input = Values(5).many(3 * 16 * 16, 0.5f);
  input[17] = 4.0f;  // one outlier pixel
  calibrator.add(input, kShape);
  const auto minmax = calibrator.ranges({RangeMethod::minmax});
  ASSERT_TRUE(minmax.count("x"));
  EXPECT_FLOAT_EQ(minmax.at("x").max, 4.0f);
  EXPECT_FLOAT_EQ(minmax.at("x").min, *std::min_element(input.begin(), input.end()));
  ASSERT_TRUE(minmax.count("c1_relu"));  // Conv, Relu and Add outputs are watched
  ASSERT_TRUE(minmax.count("sum"));
  EXPECT_EQ(minmax.at("c1_relu").min, 0.0f);
  EXPECT_GT(minmax.at("c1_relu").max, 0.0f);

  const auto clipped = calibrator.ranges({RangeMethod::percentile, 99.0});
  EXPECT_LT(clipped.at("x").max, 0.6f);  // the outlier is past the 99th percentile
  EXPECT_GE(clipped.at("x").max, 0.45f);
  EXPECT_LE(clipped.at("c1_relu").max, minmax.at("c1_relu").max);
}

TEST(QdqRewrite, OnnxRuntimeRunsIntegerConvsCloseToTheFloatModel) {
  const std::string model = to_fp32(TinyNet(false).bytes(), 0);
  Calibrator calibrator(model, 1);
  for (std::uint32_t seed = 20; seed < 24; ++seed)
    calibrator.add(Values(seed).many(3 * 16 * 16, 0.5f), kShape);
  const std::string quantised = insert_qdq(model, calibrator.ranges({}), {});

  const OpCounts ops(quantised);
  EXPECT_EQ(ops["Conv"], 5);
  EXPECT_EQ(ops["Relu"], 0);  // folded into the quantisation of the Conv outputs
  EXPECT_GE(ops["QuantizeLinear"], 6);

  test::TempDir dir;
  const std::vector<float> input = Values(99).many(3 * 16 * 16, 0.5f);
  const auto reference = run(model, input);
  const auto result = run(quantised, input, (dir / "optimised.onnx").string());
  // Sigmoid outputs: a wrong scale, zero point or bias would be off by tenths.
  EXPECT_LT(max_difference(reference, result), 0.03);

  // What ONNX Runtime made of it: integer kernels for the four inner Convs, the float head.
  const OpCounts fused(read_file(dir / "optimised.onnx"));
  EXPECT_EQ(fused["QLinearConv"], 4);
  EXPECT_EQ(fused["Conv"] + fused["FusedConv"], 1);
  EXPECT_EQ(fused["QLinearConcat"], 1);
  EXPECT_EQ(fused["QLinearAdd"], 1);
}

TEST(QdqRewrite, FloatNodesStayFloat) {
  const std::string model = to_fp32(TinyNet(false).bytes(), 0);
  Calibrator calibrator(model, 1);
  calibrator.add(Values(1).many(3 * 16 * 16, 0.5f), kShape);
  QdqOptions options;
  options.float_nodes = {"c1_node"};
  const std::string quantised = insert_qdq(model, calibrator.ranges({}), options);
  test::TempDir dir;
  run(quantised, Values(2).many(3 * 16 * 16, 0.5f), (dir / "optimised.onnx").string());
  const OpCounts fused(read_file(dir / "optimised.onnx"));
  EXPECT_EQ(fused["QLinearConv"], 3);
  EXPECT_EQ(fused["Conv"] + fused["FusedConv"], 2);
}

}  // namespace
}  // namespace rmbg
