#pragma once
// Models made from other models: a float32 copy of an fp16 model (the accuracy reference, and
// what the quantiser starts from), and a static INT8 model in QDQ form, calibrated on
// photographs, which ONNX Runtime runs with integer convolution kernels.
//
// Models travel as serialised ONNX bytes so that no protobuf type shows in this header.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rmbg/models.hpp"

namespace rmbg {

// The same network in float32: fp16 initializers and constants widened, the casts between fp16
// and fp32 dropped, and only output `keep_output` kept, with every node that fed only the others.
// When every upsampling has a constant target size (as exported), it becomes a constant scale and
// the input's height and width become free: the model then also runs at smaller square sides.
std::string to_fp32(const std::string& model, int keep_output);

// Symmetric per-channel int8, channels on the first axis: value * scales[c] is the weight,
// values in -127..127, each channel's largest magnitude mapped to 127.
struct PerChannelInt8 {
  std::vector<std::int8_t> values;
  std::vector<float> scales;
};
PerChannelInt8 quantize_per_channel(std::span<const float> weights, std::size_t channels);

struct ValueRange {
  float min = 0;
  float max = 0;
};

enum class RangeMethod {
  minmax,      // the extremes seen: nothing clipped, coarser steps
  percentile,  // each side's extreme at a percentile of its values: rare outliers clipped
};

struct CalibrationOptions {
  RangeMethod method = RangeMethod::minmax;
  double percentile = 99.999;  // for RangeMethod::percentile
};

// Collects, over calibration inputs, the value ranges of the activations that the QDQ rewrite
// quantises: the model's inputs and the outputs of its Relu, Add and Conv nodes (but for a Conv
// read by a Relu alone, whose range is the Relu's).
class Calibrator {
 public:
  Calibrator(const std::string& fp32_model, int threads = 0);
  ~Calibrator();
  Calibrator(const Calibrator&) = delete;
  Calibrator& operator=(const Calibrator&) = delete;

  // Runs the model on one input (NCHW float) and adds every watched activation to the statistics.
  void add(std::span<const float> input, std::span<const std::int64_t> shape);
  std::map<std::string, ValueRange> ranges(const CalibrationOptions& options) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct QdqOptions {
  std::vector<std::string> float_nodes;  // Conv nodes left in float, by node name
};

// Quantises every Conv of `fp32_model` whose input activation has a range: QuantizeLinear and
// DequantizeLinear (uint8, asymmetric) on that activation and on the Conv's output (a following Relu is folded into
// the output's range), per-channel int8 weights and int32 bias behind DequantizeLinear. Convs
// whose output reaches no other Conv (the heads) stay in float. The shape ONNX Runtime fuses
// into QLinearConv, QLinearConcat, QLinearAdd and 8-bit MaxPool and Resize.
std::string insert_qdq(const std::string& fp32_model, const std::map<std::string, ValueRange>& ranges,
                       const QdqOptions& options);

struct QuantizeOptions {
  CalibrationOptions calibration;
  QdqOptions qdq;
  int threads = 0;  // for the calibration runs; 0 = every core
};

// The whole recipe: `fp32_model` calibrated on `photos` (in the order given), fed as `input` says.
std::string quantize_model(const std::string& fp32_model, const ModelInput& input,
                           const std::vector<std::filesystem::path>& photos,
                           const QuantizeOptions& options,
                           const std::function<void(const std::string&)>& progress);

// Makes the derived model `spec` (spec.made_from says from what and how), fetching its source
// model first, and writes it to `output`, by default its place in the model cache.
void make_model(const ModelSpec& spec, const std::function<void(const std::string&)>& progress,
                const std::filesystem::path& output = {});

}  // namespace rmbg
