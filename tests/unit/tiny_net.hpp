#pragma once
// A small network with the shapes of ISNet's blocks, built as an ONNX protobuf, for the tests of
// the quantiser and of the engine's model cache.
#include <onnx/onnx_pb.h>
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rmbg::test {

using onnx::TensorProto;

// Deterministic values in [-1, 1) on every platform (std's distributions are not).
class Values {
 public:
  explicit Values(std::uint32_t seed) : state_(seed) {}
  float next() {
    state_ = state_ * 1664525u + 1013904223u;
    return static_cast<float>(state_ >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  std::vector<float> many(std::size_t n, float scale = 1) {
    std::vector<float> v(n);
    for (auto& x : v) x = next() * scale;
    return v;
  }

 private:
  std::uint32_t state_;
};

// A small network with the shapes of ISNet's blocks: Conv+Relu, MaxPool, Resize up, Concat, a
// residual Add, a 1x1 head Conv and Sigmoid; a second output (a side output) for pruning.
class TinyNet {
 public:
  // `seed` picks the weights.
  explicit TinyNet(bool fp16, std::uint32_t seed = 7) : fp16_(fp16), values_(seed) {
    auto& g = *model_.mutable_graph();
    model_.set_ir_version(8);
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(15);
    add_value(g.add_input(), "x", {1, 3, 16, 16});
    add_value(g.add_output(), "y", {1, 1, 16, 16});
    add_value(g.add_output(), "side", {1, 8, 8, 8});

    std::string x = "x";
    if (fp16_) x = cast(x, TensorProto::FLOAT16);
    const std::string r1 = relu(conv(x, "c1", 8, 3, 3));
    const std::string p1 = node("MaxPool", {r1}, "p1", [](onnx::NodeProto& n) {
      ints(n, "kernel_shape", {2, 2});
      ints(n, "strides", {2, 2});
    });
    const std::string r2 = relu(conv(p1, "c2", 8, 8, 3));
    // Like the exported ISNet: Resize in float between casts, to a target size that the exporter
    // wrote as a constant (the size of r1 at a 16x16 input) beside the input's batch and channels.
    const std::string r2_float = fp16_ ? cast(r2, TensorProto::FLOAT) : r2;
    node("Identity", {r2_float}, "side");
    std::string up = r2_float;
    int64_initializer("first", {0});
    int64_initializer("third", {2});
    const std::string batch_channels =
        node("Slice", {node("Shape", {up}, "u2_shape"), "first", "third"}, "u2_nc");
    const std::string target = node("Constant", {}, "u2_hw", [](onnx::NodeProto& n) {
      auto* a = n.add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      auto* t = a->mutable_t();
      t->set_data_type(TensorProto::INT64);
      t->add_dims(2);
      const std::int64_t hw[2] = {16, 16};
      t->set_raw_data(std::string(reinterpret_cast<const char*>(hw), sizeof hw));
    });
    const std::string sizes = node("Concat", {batch_channels, target}, "u2_sizes", [](onnx::NodeProto& n) {
      auto* a = n.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(0);
    });
    up = node("Resize", {up, "", "", sizes}, "u2", [](onnx::NodeProto& n) {
      auto* a = n.add_attribute();
      a->set_name("mode");
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s("linear");
    });
    if (fp16_) up = cast(up, TensorProto::FLOAT16);
    const std::string cat = node("Concat", {up, r1}, "cat", [](onnx::NodeProto& n) {
      auto* a = n.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(1);
    });
    const std::string r3 = relu(conv(cat, "c3", 8, 16, 3));
    const std::string sum = node("Add", {r3, r1}, "sum");
    std::string logits = conv(relu(conv(sum, "c4", 8, 8, 3)), "head", 1, 8, 1);
    if (fp16_) logits = cast(logits, TensorProto::FLOAT);
    node("Sigmoid", {logits}, "y");
  }

  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void add_value(onnx::ValueInfoProto* v, const std::string& name, std::vector<std::int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(TensorProto::FLOAT);
    for (auto d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  }

  static void ints(onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> values) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : values) a->add_ints(v);
  }

  std::string node(const std::string& op, std::vector<std::string> inputs, const std::string& out,
                   const std::function<void(onnx::NodeProto&)>& attributes = {}) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(out);
    if (attributes) attributes(*n);
    return out;
  }

  std::string cast(const std::string& in, int to) {
    return node("Cast", {in}, in + "_as" + std::to_string(to), [to](onnx::NodeProto& n) {
      auto* a = n.add_attribute();
      a->set_name("to");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(to);
    });
  }

  void initializer(const std::string& name, std::vector<std::int64_t> dims,
                   const std::vector<float>& values, bool half) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    for (auto d : dims) t->add_dims(d);
    if (half) {
      t->set_data_type(TensorProto::FLOAT16);
      for (float v : values) t->add_int32_data(Ort::Float16_t(v).val);
    } else {
      t->set_data_type(TensorProto::FLOAT);
      for (float v : values) t->add_float_data(v);
    }
  }

  void int64_initializer(const std::string& name, const std::vector<std::int64_t>& values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    t->set_data_type(TensorProto::INT64);
    for (auto v : values) t->add_int64_data(v);
  }

  std::string conv(const std::string& in, const std::string& name, int out, int in_channels, int k) {
    const float spread = 1.5f / std::sqrt(static_cast<float>(in_channels * k * k));
    initializer(name + ".w", {out, in_channels, k, k},
                values_.many(static_cast<std::size_t>(out) * in_channels * k * k, spread), fp16_);
    initializer(name + ".b", {out}, values_.many(out, 0.1f), fp16_);
    return node("Conv", {in, name + ".w", name + ".b"}, name, [k](onnx::NodeProto& n) {
      const std::int64_t pad = k / 2;
      ints(n, "pads", {pad, pad, pad, pad});
    });
  }

  std::string relu(const std::string& in) { return node("Relu", {in}, in + "_relu"); }

  bool fp16_;
  onnx::ModelProto model_;
  Values values_;
};

}  // namespace rmbg::test
