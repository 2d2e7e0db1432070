#include "rmbg/quantize.hpp"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "ort_session.hpp"
#include "rmbg/engine.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/image.hpp"

namespace rmbg {
namespace {

using onnx::TensorProto;

onnx::ModelProto parse_model(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw Error(ErrorCode::model_corrupt, "not an ONNX model (the protobuf does not parse)");
  return model;
}

std::string serialise(const onnx::ModelProto& model) {
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(ErrorCode::invalid_argument, "the model is too large to write as one ONNX file");
  return bytes;
}

std::size_t element_count(const TensorProto& t) {
  std::size_t n = 1;
  for (auto d : t.dims()) n *= static_cast<std::size_t>(d);
  return n;
}

// The values of a float or float16 tensor, wherever the protobuf keeps them.
std::vector<float> float_values(const TensorProto& t) {
  const std::size_t n = element_count(t);
  std::vector<float> out(n);
  if (t.data_type() == TensorProto::FLOAT) {
    if (t.has_raw_data()) {
      if (t.raw_data().size() != n * sizeof(float))
        throw Error(ErrorCode::model_corrupt, "tensor " + t.name() + " has the wrong size");
      std::memcpy(out.data(), t.raw_data().data(), n * sizeof(float));
    } else {
      std::copy(t.float_data().begin(), t.float_data().end(), out.begin());
    }
  } else if (t.data_type() == TensorProto::FLOAT16) {
    // fp16 bits live in raw_data, or one per int32 in int32_data.
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t bits;
      if (t.has_raw_data()) std::memcpy(&bits, t.raw_data().data() + i * 2, 2);
      else bits = static_cast<std::uint16_t>(t.int32_data(static_cast<int>(i)));
      out[i] = Ort::Float16_t::FromBits(bits).ToFloat();
    }
  } else {
    throw Error(ErrorCode::invalid_argument, "tensor " + t.name() + " is not float");
  }
  return out;
}

template <typename T>
TensorProto make_tensor(const std::string& name, int type, std::vector<std::int64_t> dims,
                        const std::vector<T>& values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (auto d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

void widen_to_float(TensorProto& t) {
  if (t.data_type() != TensorProto::FLOAT16) return;
  const std::vector<float> values = float_values(t);
  std::vector<std::int64_t> dims(t.dims().begin(), t.dims().end());
  t = make_tensor(t.name(), TensorProto::FLOAT, dims, values);
}

onnx::NodeProto make_node(const std::string& op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs, const std::string& name) {
  onnx::NodeProto node;
  node.set_op_type(op);
  node.set_name(name);
  for (auto& i : inputs) node.add_input(i);
  for (auto& o : outputs) node.add_output(o);
  return node;
}

// Orders the nodes so that each comes after the producers of its inputs, keeping the given order
// where it already does: rewrites append nodes at the end.
void sort_topologically(onnx::GraphProto& graph) {
  const int n = graph.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const auto& out : graph.node(i).output()) producer[out] = i;
  std::vector<int> order;
  std::vector<char> state(n, 0);  // 0 new, 1 in progress, 2 placed
  std::function<void(int)> place = [&](int i) {
    if (state[i] == 2) return;
    if (state[i] == 1) throw Error(ErrorCode::model_corrupt, "the model's graph has a cycle");
    state[i] = 1;
    for (const auto& in : graph.node(i).input())
      if (auto p = producer.find(in); p != producer.end()) place(p->second);
    state[i] = 2;
    order.push_back(i);
  };
  for (int i = 0; i < n; ++i) place(i);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (int i : order) *sorted.Add() = graph.node(i);
  graph.mutable_node()->Swap(&sorted);
}

// Drops the nodes and initializers that no graph output depends on.
void prune_unused(onnx::GraphProto& graph) {
  std::unordered_set<std::string> needed;
  for (const auto& out : graph.output()) needed.insert(out.name());
  std::vector<bool> keep(graph.node_size(), false);
  for (int i = graph.node_size() - 1; i >= 0; --i) {  // nodes are in topological order
    const auto& node = graph.node(i);
    keep[i] = std::any_of(node.output().begin(), node.output().end(),
                          [&](const std::string& o) { return needed.count(o) > 0; });
    if (keep[i])
      for (const auto& in : node.input()) needed.insert(in);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < graph.node_size(); ++i)
    if (keep[i]) *nodes.Add() = graph.node(i);
  graph.mutable_node()->Swap(&nodes);
  google::protobuf::RepeatedPtrField<TensorProto> initializers;
  for (auto& t : *graph.mutable_initializer())
    if (needed.count(t.name())) *initializers.Add() = std::move(t);
  graph.mutable_initializer()->Swap(&initializers);
}

// Exporters write the target size of each upsampling (a Resize to the size of another tensor) as
// a constant of the size the model was exported at. Each becomes a constant scale instead, the
// ratio of the target size to the size of the Resize's input at the export size, and the input's
// height and width become free: the network then runs at any square side that keeps every level's
// size a whole number (ISNet: multiples of 64), and every Resize lands on its partner's size.
// `shapes` is the graph after shape inference at the export size.
void free_spatial_size(onnx::GraphProto& graph, const onnx::GraphProto& shapes) {
  std::unordered_map<std::string, const onnx::TypeProto_Tensor*> types;
  for (const auto& v : shapes.value_info()) types[v.name()] = &v.type().tensor_type();
  for (const auto& v : shapes.input()) types[v.name()] = &v.type().tensor_type();
  std::unordered_map<std::string, const onnx::NodeProto*> producer;
  for (const auto& node : graph.node())
    for (const auto& out : node.output()) producer[out] = &node;
  // The constant among a size's parts: Concat(Slice(Shape(x), 0, 2), Constant(target)).
  auto constant_target = [&](const std::string& sizes) -> std::optional<std::vector<std::int64_t>> {
    const auto concat = producer.find(sizes);
    if (concat == producer.end() || concat->second->op_type() != "Concat") return std::nullopt;
    for (const auto& part : concat->second->input()) {
      const auto constant = producer.find(part);
      if (constant == producer.end() || constant->second->op_type() != "Constant") continue;
      const TensorProto& t = constant->second->attribute(0).t();
      if (t.data_type() != TensorProto::INT64 || element_count(t) != 2 || !t.has_raw_data())
        continue;
      std::vector<std::int64_t> target(2);
      std::memcpy(target.data(), t.raw_data().data(), 2 * sizeof(std::int64_t));
      return target;
    }
    return std::nullopt;
  };

  // Every Resize must have one, or the model keeps its fixed size.
  std::vector<std::pair<onnx::NodeProto*, std::array<float, 2>>> resizes;
  for (auto& node : *graph.mutable_node()) {
    if (node.op_type() != "Resize") continue;
    const auto target = node.input_size() == 4 ? constant_target(node.input(3)) : std::nullopt;
    const auto type = types.find(node.input(0));
    if (!target || type == types.end() || type->second->shape().dim_size() != 4) return;
    const auto& dims = type->second->shape().dim();
    if (dims[2].dim_value() <= 0 || dims[3].dim_value() <= 0) return;
    resizes.push_back({&node,
                       {static_cast<float>((*target)[0]) / static_cast<float>(dims[2].dim_value()),
                        static_cast<float>((*target)[1]) / static_cast<float>(dims[3].dim_value())}});
  }
  if (resizes.empty()) return;
  for (auto& [node, scale] : resizes) {
    TensorProto scales;
    scales.set_name(node->name() + "/scales");
    scales.set_data_type(TensorProto::FLOAT);
    scales.add_dims(4);
    for (float v : {1.0f, 1.0f, scale[0], scale[1]}) scales.add_float_data(v);
    *graph.add_initializer() = scales;
    node->set_input(2, scales.name());
    node->mutable_input()->RemoveLast();  // the sizes: Shape, Slice, Concat and Constant go unused
  }
  for (auto* v : {graph.mutable_input(0), graph.mutable_output(0)}) {
    auto* shape = v->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != 4) continue;
    shape->mutable_dim(2)->set_dim_param("height");
    shape->mutable_dim(3)->set_dim_param("width");
  }
}

// --- quantisation parameters --------------------------------------------------------------------

// Activations are uint8: ONNX Runtime on x86 fuses fewer nodes of an int8-activation model
// (measured on ISNet: 46 of 113 Convs became QLinearConv, and it ran several times slower).
struct QuantParams {
  float scale = 1;
  std::uint8_t zero_point = 0;
};

// Asymmetric: the range (widened to hold 0, so that 0 is exact: padding and Relu) over 256 steps.
QuantParams activation_params(ValueRange range) {
  const float lo = std::min(range.min, 0.0f), hi = std::max(range.max, 0.0f);
  QuantParams p;
  p.scale = hi - lo > 1e-12f ? (hi - lo) / 255.0f : 1.0f;
  p.zero_point = static_cast<std::uint8_t>(std::clamp(std::lround(-lo / p.scale), 0L, 255L));
  return p;
}

// --- the QDQ rewrite ---------------------------------------------------------------------------

class QdqRewriter {
 public:
  QdqRewriter(onnx::GraphProto& graph, const std::map<std::string, ValueRange>& ranges,
              const QdqOptions& options)
      : graph_(graph), ranges_(ranges), options_(options) {
    for (const auto& t : graph.initializer()) initializers_[t.name()] = &t;
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto& out : graph.node(i).output()) producer_[out] = i;
      for (const auto& in : graph.node(i).input()) consumers_[in].push_back(i);
    }
    for (const auto& out : graph.output()) graph_outputs_.insert(out.name());
  }

  void run() {
    const std::vector<bool> heads = find_heads();
    const std::unordered_set<std::string> kept_float(options_.float_nodes.begin(),
                                                     options_.float_nodes.end());
    removed_.assign(graph_.node_size(), false);
    const int original_count = graph_.node_size();
    for (int i = 0; i < original_count; ++i) {
      const auto& node = graph_.node(i);
      if (node.op_type() == "Conv" && !heads[i] && !kept_float.count(node.name())) quantize_conv(i);
    }
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (int i = 0; i < graph_.node_size(); ++i)
      if (!removed_[i]) *nodes.Add() = graph_.node(i);
    for (auto& node : added_) *nodes.Add() = std::move(node);
    graph_.mutable_node()->Swap(&nodes);
    for (auto& t : new_initializers_) *graph_.add_initializer() = std::move(t);
    sort_topologically(graph_);
    prune_unused(graph_);
  }

 private:
  // Convs whose output reaches no other Conv: the model's heads, whose outputs are the result.
  std::vector<bool> find_heads() const {
    std::vector<bool> feeds_conv(graph_.node_size(), false);
    for (int i = graph_.node_size() - 1; i >= 0; --i)
      for (const auto& out : graph_.node(i).output())
        for (int c : consumer_list(out))
          if (graph_.node(c).op_type() == "Conv" || feeds_conv[c]) feeds_conv[i] = true;
    std::vector<bool> heads(graph_.node_size(), false);
    for (int i = 0; i < graph_.node_size(); ++i)
      heads[i] = graph_.node(i).op_type() == "Conv" && !feeds_conv[i];
    return heads;
  }

  const std::vector<int>& consumer_list(const std::string& tensor) const {
    static const std::vector<int> none;
    const auto it = consumers_.find(tensor);
    return it == consumers_.end() ? none : it->second;
  }

  std::optional<ValueRange> calibrated(const std::string& tensor) const {
    const auto it = ranges_.find(tensor);
    if (it == ranges_.end()) return std::nullopt;
    return it->second;
  }

  // QuantizeLinear then DequantizeLinear from `from` to `to`, with the parameters as initializers.
  void add_qdq(const std::string& tensor, const std::string& from, const std::string& to,
               const QuantParams& p) {
    const std::string scale = tensor + "/scale", zero = tensor + "/zero_point";
    new_initializers_.push_back(make_tensor<float>(scale, TensorProto::FLOAT, {}, {p.scale}));
    new_initializers_.push_back(make_tensor<std::uint8_t>(zero, TensorProto::UINT8, {}, {p.zero_point}));
    added_.push_back(make_node("QuantizeLinear", {from, scale, zero}, {tensor + "/quantized"},
                               tensor + "/QuantizeLinear"));
    added_.push_back(make_node("DequantizeLinear", {tensor + "/quantized", scale, zero}, {to},
                               tensor + "/DequantizeLinear"));
  }

  // The name of a dequantised copy of `tensor`, adding the Q/DQ pair if it has none yet, or
  // nothing when its range is unknown. The ranges of MaxPool and Resize outputs are their
  // input's and that of Concat the union of its inputs', so that ONNX Runtime can run them on
  // 8-bit data; the other activations use their calibrated range. An Add reads dequantised
  // inputs too, which makes it a QLinearAdd.
  std::optional<std::string> dequantized(const std::string& tensor) {
    if (auto it = dequantized_.find(tensor); it != dequantized_.end()) return it->second;
    if (initializers_.count(tensor)) return std::nullopt;
    if (auto p = producer_.find(tensor); p != producer_.end()) {
      auto& node = *graph_.mutable_node(p->second);
      if (node.op_type() == "MaxPool" || node.op_type() == "Resize") {
        if (auto in = dequantized(node.input(0))) {
          node.set_input(0, *in);
          return add_dequantized(tensor, ranges_of_.at(*in));
        }
      } else if (node.op_type() == "Concat") {
        ValueRange all{0, 0};
        bool every_input = true;
        for (int k = 0; k < node.input_size(); ++k) {
          const auto in = dequantized(node.input(k));
          every_input = in.has_value();
          if (!in) break;
          node.set_input(k, *in);
          all.min = std::min(all.min, ranges_of_.at(*in).min);
          all.max = std::max(all.max, ranges_of_.at(*in).max);
        }
        if (every_input) return add_dequantized(tensor, all);
      } else if (node.op_type() == "Add") {
        for (int k = 0; k < node.input_size(); ++k)
          if (auto in = dequantized(node.input(k))) node.set_input(k, *in);
      }
    }
    if (auto range = calibrated(tensor)) return add_dequantized(tensor, *range);
    return std::nullopt;
  }

  std::string add_dequantized(const std::string& tensor, ValueRange range) {
    const std::string out = tensor + "/dequantized";
    const QuantParams p = activation_params(range);
    add_qdq(tensor, tensor, out, p);
    dequantized_[tensor] = out;
    ranges_of_[out] = range;
    return out;
  }

  // Per-channel int8 weights and int32 bias (scale = input scale x weight scale), each behind a
  // DequantizeLinear along the output-channel axis.
  void quantize_conv_parameters(onnx::NodeProto& conv, const QuantParams& input) {
    const TensorProto& w = *initializers_.at(conv.input(1));
    const std::size_t channels = static_cast<std::size_t>(w.dims(0));
    const std::vector<float> weights = float_values(w);
    const PerChannelInt8 q = quantize_per_channel(weights, channels);
    // Named after the Conv's output, which is unique where node names need not be.
    const std::string wname = conv.output(0) + "/weight";
    const std::vector<std::int64_t> dims(w.dims().begin(), w.dims().end());
    const std::int64_t c64 = static_cast<std::int64_t>(channels);
    new_initializers_.push_back(make_tensor(wname + "/quantized", TensorProto::INT8, dims, q.values));
    new_initializers_.push_back(make_tensor(wname + "/scale", TensorProto::FLOAT, {c64}, q.scales));
    new_initializers_.push_back(make_tensor(wname + "/zero_point", TensorProto::INT8, {c64},
                                            std::vector<std::int8_t>(channels, 0)));
    auto dq = make_node("DequantizeLinear",
                        {wname + "/quantized", wname + "/scale", wname + "/zero_point"},
                        {wname + "/dequantized"}, wname + "/DequantizeLinear");
    auto* axis = dq.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(0);
    added_.push_back(dq);
    conv.set_input(1, wname + "/dequantized");

    if (conv.input_size() < 3 || conv.input(2).empty()) return;
    const std::vector<float> bias = float_values(*initializers_.at(conv.input(2)));
    std::vector<float> bias_scales(channels);
    std::vector<std::int32_t> bias_values(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      bias_scales[c] = input.scale * q.scales[c];
      // Clamped: a bias far beyond its scale's reach would overflow int32 (the largest float
      // below 2^31 is the bound).
      const float steps = std::round(bias[c] / bias_scales[c]);
      bias_values[c] = static_cast<std::int32_t>(std::clamp(steps, -2147483520.0f, 2147483520.0f));
    }
    const std::string bname = conv.output(0) + "/bias";
    new_initializers_.push_back(make_tensor(bname + "/quantized", TensorProto::INT32, {c64}, bias_values));
    new_initializers_.push_back(make_tensor(bname + "/scale", TensorProto::FLOAT, {c64}, bias_scales));
    auto bdq = make_node("DequantizeLinear", {bname + "/quantized", bname + "/scale"},
                         {bname + "/dequantized"}, bname + "/DequantizeLinear");
    *bdq.add_attribute() = dq.attribute(0);
    added_.push_back(bdq);
    conv.set_input(2, bname + "/dequantized");
  }

  void quantize_conv(int index) {
    onnx::NodeProto& conv = *graph_.mutable_node(index);
    if (conv.input_size() < 2 || !initializers_.count(conv.input(1))) return;
    if (conv.input_size() > 2 && !conv.input(2).empty() && !initializers_.count(conv.input(2))) return;
    // The output's range: that of a Relu that alone consumes it, which the quantisation then
    // performs (0 is the lowest step), else the Conv's own.
    std::string output = conv.output(0);
    int relu = -1;
    const auto& users = consumer_list(output);
    if (users.size() == 1 && graph_.node(users[0]).op_type() == "Relu" &&
        !graph_outputs_.count(output)) {
      relu = users[0];
      output = graph_.node(relu).output(0);
    }
    const auto out_range = calibrated(output);
    if (!out_range) return;
    const auto input = dequantized(conv.input(0));
    if (!input) return;
    conv.set_input(0, *input);
    quantize_conv_parameters(conv, activation_params(ranges_of_.at(*input)));

    const std::string raw = output + "/float";
    const QuantParams p = activation_params(*out_range);
    add_qdq(output, raw, output, p);
    conv.set_output(0, raw);
    if (relu >= 0) removed_[relu] = true;
    // Consumers keep reading `output`, now the dequantised value.
    dequantized_[output] = output;
    ranges_of_[output] = *out_range;
  }

  onnx::GraphProto& graph_;
  const std::map<std::string, ValueRange>& ranges_;
  const QdqOptions& options_;
  std::unordered_map<std::string, const TensorProto*> initializers_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::unordered_set<std::string> graph_outputs_;
  std::unordered_map<std::string, std::string> dequantized_;  // float tensor -> dequantised copy
  std::unordered_map<std::string, ValueRange> ranges_of_;     // dequantised copy -> its range
  std::vector<onnx::NodeProto> added_;
  std::vector<TensorProto> new_initializers_;
  std::vector<bool> removed_;
};

// --- calibration ----------------------------------------------------------------------------------

// Counts of magnitudes in equal bins from 0; the bins double in width (merging pairs) whenever a
// larger value arrives, so one pass needs no range known in advance and the result depends only
// on the values and their order.
class Histogram {
 public:
  static constexpr std::size_t kBins = 4096;

  void add(const float* values, std::size_t n, float sign) {
    float largest = 0;
    for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, values[i] * sign);
    if (largest <= 0) return;
    if (width_ == 0) width_ = largest / kBins;
    while (largest >= width_ * kBins) grow();
    const float inverse = 1.0f / width_;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = values[i] * sign;
      if (v > 0) ++bins_[std::min(kBins - 1, static_cast<std::size_t>(v * inverse))];
    }
  }

  // The upper edge of the bin holding the given fraction of the counted magnitudes.
  float quantile(double fraction) const {
    std::uint64_t total = 0;
    for (auto b : bins_) total += b;
    const double wanted = fraction * static_cast<double>(total);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBins; ++i) {
      seen += bins_[i];
      if (static_cast<double>(seen) >= wanted) return width_ * static_cast<float>(i + 1);
    }
    return width_ * kBins;
  }

 private:
  void grow() {
    for (std::size_t i = 0; i < kBins / 2; ++i) bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
    std::fill(bins_.begin() + kBins / 2, bins_.end(), 0);
    width_ *= 2;
  }

  float width_ = 0;
  std::vector<std::uint64_t> bins_ = std::vector<std::uint64_t>(kBins, 0);
};

struct TensorStats {
  float min = 0;
  float max = 0;
  Histogram positive, negative;
};

}  // namespace

// --- public API -------------------------------------------------------------------------------

std::string to_fp32(const std::string& model_bytes, int keep_output) {
  onnx::ModelProto model = parse_model(model_bytes);
  auto& graph = *model.mutable_graph();
  sort_topologically(graph);  // exporters do not always write the nodes in order
  if (keep_output < 0 || keep_output >= graph.output_size())
    throw Error(ErrorCode::invalid_argument, "the model has no output " + std::to_string(keep_output));

  // Which tensors are float16 or float32 before widening: a Cast between the two becomes a no-op.
  onnx::ModelProto typed = model;
  onnx::shape_inference::InferShapes(typed);
  std::unordered_set<std::string> floating;
  auto note = [&](const onnx::ValueInfoProto& v) {
    const int t = v.type().tensor_type().elem_type();
    if (t == TensorProto::FLOAT || t == TensorProto::FLOAT16) floating.insert(v.name());
  };
  for (const auto& v : typed.graph().value_info()) note(v);
  for (const auto& v : typed.graph().input()) note(v);
  for (const auto& t : graph.initializer())
    if (t.data_type() == TensorProto::FLOAT || t.data_type() == TensorProto::FLOAT16)
      floating.insert(t.name());

  for (auto& t : *graph.mutable_initializer()) widen_to_float(t);
  std::unordered_map<std::string, std::string> renamed;  // output of a dropped Cast -> its input
  std::unordered_set<std::string> outputs;
  for (const auto& o : graph.output()) outputs.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& node : *graph.mutable_node()) {
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_t()) widen_to_float(*attr.mutable_t());
      if (attr.name() == "to" && node.op_type() == "Cast" && attr.i() == TensorProto::FLOAT16)
        attr.set_i(TensorProto::FLOAT);
    }
    const bool float_cast = node.op_type() == "Cast" && floating.count(node.input(0)) &&
                            node.attribute_size() == 1 && node.attribute(0).i() == TensorProto::FLOAT;
    if (float_cast && !outputs.count(node.output(0))) renamed[node.output(0)] = node.input(0);
    else *nodes.Add() = std::move(node);
  }
  for (auto& node : nodes)
    for (auto& in : *node.mutable_input())
      for (auto r = renamed.find(in); r != renamed.end(); r = renamed.find(in)) in = r->second;
  graph.mutable_node()->Swap(&nodes);
  for (auto& v : *graph.mutable_input())
    if (v.type().tensor_type().elem_type() == TensorProto::FLOAT16)
      v.mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);

  const onnx::ValueInfoProto kept = graph.output(keep_output);
  graph.clear_output();
  *graph.add_output() = kept;
  graph.mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
  free_spatial_size(graph, typed.graph());
  graph.clear_value_info();  // stale fp16 types and fixed sizes; ONNX Runtime infers them again
  prune_unused(graph);
  return serialise(model);
}

PerChannelInt8 quantize_per_channel(std::span<const float> weights, std::size_t channels) {
  if (channels == 0 || weights.size() % channels != 0)
    throw Error(ErrorCode::invalid_argument, "weights do not split into the given channels");
  const std::size_t per = weights.size() / channels;
  PerChannelInt8 q;
  q.values.resize(weights.size());
  q.scales.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const auto channel = weights.subspan(c * per, per);
    float largest = 0;
    for (float w : channel) largest = std::max(largest, std::fabs(w));
    // An all-zero channel still needs a positive scale: ONNX Runtime divides by it.
    const float scale = largest > 0 ? largest / 127.0f : 1.0f;
    q.scales[c] = scale;
    for (std::size_t i = 0; i < per; ++i)
      q.values[c * per + i] =
          static_cast<std::int8_t>(std::clamp(std::lround(channel[i] / scale), -127L, 127L));
  }
  return q;
}

struct Calibrator::State {
  Ort::Session session{nullptr};
  std::string input_name;
  std::vector<std::string> watched;
  std::vector<TensorStats> stats;
};

Calibrator::Calibrator(const std::string& fp32_model, int threads) : state_(std::make_unique<State>()) {
  onnx::ModelProto model = parse_model(fp32_model);
  auto& graph = *model.mutable_graph();
  std::unordered_set<std::string> initializers;
  for (const auto& t : graph.initializer()) initializers.insert(t.name());
  for (const auto& in : graph.input())
    if (!initializers.count(in.name())) state_->watched.push_back(in.name());
  // A Conv output read by a Relu alone is never quantised (the Relu's output is): leaving it out
  // halves the memory the calibration runs hold.
  std::unordered_map<std::string, std::vector<std::string>> readers;
  for (const auto& node : graph.node())
    for (const auto& in : node.input()) readers[in].push_back(node.op_type());
  for (const auto& node : graph.node()) {
    const auto& read_by = readers[node.output(0)];
    const bool before_relu = read_by.size() == 1 && read_by[0] == "Relu";
    if ((node.op_type() == "Conv" && !before_relu) || node.op_type() == "Relu" ||
        node.op_type() == "Add")
      state_->watched.push_back(node.output(0));
  }
  // Every watched tensor becomes an extra output; ONNX Runtime infers the types.
  std::unordered_set<std::string> outputs;
  for (const auto& o : graph.output()) outputs.insert(o.name());
  for (const auto& name : state_->watched)
    if (!outputs.count(name)) graph.add_output()->set_name(name);
  state_->stats.resize(state_->watched.size());

  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  const std::string bytes = serialise(model);
  try {
    state_->session = Ort::Session(ort_env(), bytes.data(), bytes.size(), so);
    Ort::AllocatorWithDefaultOptions allocator;
    state_->input_name = state_->session.GetInputNameAllocated(0, allocator).get();
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::model_corrupt, std::string("calibration model: ") + e.what());
  }
}

Calibrator::~Calibrator() = default;

void Calibrator::add(std::span<const float> input, std::span<const std::int64_t> shape) {
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value tensor = Ort::Value::CreateTensor<float>(memory, const_cast<float*>(input.data()),
                                                      input.size(), shape.data(), shape.size());
  const char* input_names[] = {state_->input_name.c_str()};
  std::vector<const char*> names;
  for (const auto& w : state_->watched) names.push_back(w.c_str());
  std::vector<Ort::Value> values;
  try {
    values = state_->session.Run(Ort::RunOptions{nullptr}, input_names, &tensor, 1, names.data(),
                                 names.size());
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::inference_failed, std::string("calibration run: ") + e.what());
  }
  for (std::size_t k = 0; k < values.size(); ++k) {
    const auto info = values[k].GetTensorTypeAndShapeInfo();
    const float* data = values[k].GetTensorData<float>();
    const std::size_t n = info.GetElementCount();
    auto& s = state_->stats[k];
    const auto [lo, hi] = std::minmax_element(data, data + n);
    if (n > 0) {
      s.min = std::min(s.min, *lo);
      s.max = std::max(s.max, *hi);
    }
    s.positive.add(data, n, 1.0f);
    s.negative.add(data, n, -1.0f);
  }
}

std::map<std::string, ValueRange> Calibrator::ranges(const CalibrationOptions& options) const {
  std::map<std::string, ValueRange> out;
  for (std::size_t k = 0; k < state_->watched.size(); ++k) {
    const auto& s = state_->stats[k];
    ValueRange r{s.min, s.max};
    if (options.method == RangeMethod::percentile) {
      const double fraction = options.percentile / 100.0;
      if (s.max > 0) r.max = std::min(s.max, s.positive.quantile(fraction));
      if (s.min < 0) r.min = std::max(s.min, -s.negative.quantile(fraction));
    }
    out[state_->watched[k]] = r;
  }
  return out;
}

std::string insert_qdq(const std::string& fp32_model, const std::map<std::string, ValueRange>& ranges,
                       const QdqOptions& options) {
  onnx::ModelProto model = parse_model(fp32_model);
  // Per-channel DequantizeLinear needs opset 13.
  for (const auto& opset : model.opset_import())
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") && opset.version() < 13)
      throw Error(ErrorCode::invalid_argument,
                  "the model uses ONNX opset " + std::to_string(opset.version()) +
                      "; quantising needs 13 or later");
  sort_topologically(*model.mutable_graph());
  QdqRewriter(*model.mutable_graph(), ranges, options).run();
  return serialise(model);
}

std::string quantize_model(const std::string& fp32_model, const ModelInput& input,
                           const std::vector<std::filesystem::path>& photos,
                           const QuantizeOptions& options,
                           const std::function<void(const std::string&)>& progress) {
  if (photos.empty())
    throw Error(ErrorCode::invalid_argument, "quantising needs calibration photographs");
  Calibrator calibrator(fp32_model, options.threads);
  const std::array<std::int64_t, 4> shape{1, 3, input.height, input.width};
  for (std::size_t i = 0; i < photos.size(); ++i) {
    progress("calibrating on " + photos[i].filename().string() + " (" + std::to_string(i + 1) +
             "/" + std::to_string(photos.size()) + ")");
    const Image image = read_image(photos[i]);
    const vips::VImage resized = image.rgb.thumbnail_image(
        input.width,
        vips::VImage::option()->set("height", input.height)->set("size", VIPS_SIZE_FORCE));
    calibrator.add(input_tensor(input, resized), shape);
  }
  progress("inserting QuantizeLinear / DequantizeLinear");
  return insert_qdq(fp32_model, calibrator.ranges(options.calibration), options.qdq);
}

void make_model(const ModelSpec& spec, const std::function<void(const std::string&)>& progress,
                const std::filesystem::path& output) {
  if (!spec.made_from)
    throw Error(ErrorCode::invalid_argument, spec.name + " is downloaded, not made: use rmbg models fetch");
  const DerivedSource& recipe = *spec.made_from;
  QuantizeOptions options;
  if (recipe.ranges == "percentile") options.calibration.method = RangeMethod::percentile;
  else if (recipe.ranges != "minmax")
    throw Error(ErrorCode::invalid_argument, "unknown range method '" + recipe.ranges + "'");
  options.calibration.percentile = recipe.percentile;
  options.qdq.float_nodes = recipe.float_nodes;
  std::vector<std::filesystem::path> photos;
  for (const auto& name : recipe.photos) {
    const std::filesystem::path photo = calibration_dir() / name;  // an absolute name stays
    if (!std::filesystem::exists(photo))
      throw Error(ErrorCode::model_missing,
                  "calibration photograph " + photo.string() + " is missing; run scripts/bootstrap");
    photos.push_back(photo);
  }

  const ModelSpec base = ModelManifest::load().find(recipe.model);
  fetch_model(base, progress);
  progress(spec.name + ": converting " + base.name + " to float32");
  std::string made = to_fp32(read_file(require_model(base)), base.output.index);
  if (recipe.recipe == "int8-qdq") made = quantize_model(made, spec.input, photos, options, progress);
  const std::filesystem::path target = output.empty() ? model_cache_path(spec) : output;
  write_file_atomic(target, made);
  progress(spec.name + ": made (" + target.string() + ")");
}

}  // namespace rmbg
