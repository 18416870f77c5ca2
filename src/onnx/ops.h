// The ops the importer runs: a table from ONNX op type to the function that computes it on
// Values (onnx/value.h) with cnn's differentiable ops, so that gradients flow through every
// imported node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "onnx/attrs.h"
#include "onnx/value.h"

namespace cnn::onnx {

struct OpDef;

// What fused into a Conv node for inference: its batch norm, a residual Add and a ReLU or
// Clip(0, 6), run in the convolution kernel's epilogue (cnn::conv2d_bn_act / conv2d_act).
struct ConvFusion {
  bool batch_norm = false;  // inputs 3..6: scale, bias, mean, var
  bool residual = false;    // input 7
  int activation = 0;       // 0 none, 1 relu, 2 relu6
  float bn_eps = 1e-5f;
  std::vector<std::string> absorbed;  // the fused nodes' op types, for plans and summaries
};

struct Node {
  std::string op, name;
  int64_t opset = 0;
  std::vector<int> inputs, outputs;  // value ids; -1 for an omitted optional input
  Attrs attrs;
  const OpDef* def = nullptr;
  ConvFusion fusion;
  std::string where() const { return attrs.where(); }
};

// Extents, pads, strides and dilations that attributes or shape inputs give are at most this.
constexpr int64_t kMaxExtent = int64_t{1} << 31;

struct RunContext {
  bool training = false;
  Generator* generator = nullptr;  // Dropout's masks in training
  // The most elements of one result that a node sizes from values it reads rather than from
  // its input's size (ConstantOfShape's shape, Pad's pads, Gather's indices, broadcasting,
  // window attributes), checked before it is allocated so that a few bytes of a file cannot
  // ask for terabytes: when the graph runs, 1024 times the elements of its inputs and of the
  // model's data, at least 2^24 (Graph::run); at load, what constant folding has left of its
  // budget (onnx/optimize.cpp).
  int64_t max_elements = int64_t{1} << 24;
};

using OpFn = std::vector<Value> (*)(const Node&, const std::vector<Value>&, RunContext&);

struct OpDef {
  const char* name;
  OpFn run;
  // Input slots that configure the op (shapes, axes, bounds, scales) rather than carry data:
  // a float initializer read only there is a constant, not a trainable parameter.
  uint32_t config_slots = 0;
  // Input slots holding running statistics (BatchNormalization's mean and variance).
  uint32_t buffer_slots = 0;
  int64_t min_opset = 1;
};

// nullptr when the op is not supported.
const OpDef* find_op(const std::string& op);
std::vector<std::string> op_names();

// Registration, one function per file of ops.
void add_nn_ops(std::vector<OpDef>& table);      // ops_nn.cpp: conv, pools, norms
void add_math_ops(std::vector<OpDef>& table);    // ops_math.cpp: pointwise, gemm, reductions
void add_shape_ops(std::vector<OpDef>& table);   // ops_shape.cpp: reshape, concat, slice, ...
void add_resize_ops(std::vector<OpDef>& table);  // ops_resize.cpp: Resize, Upsample

// Helpers for op implementations.
inline bool present(const std::vector<Value>& in, size_t i) {
  return i < in.size() && in[i].defined();
}
// The input's tensor stored in layout `perm` (empty: ONNX's logical order).
Tensor input(const Node& node, const std::vector<Value>& in, size_t i, const Perm& perm = {});
// The integer values of a small int64 (or float) input: shapes, axes, pads.
std::vector<int64_t> int_values(const Node& node, const std::vector<Value>& in, size_t i);
// A scalar float input (Clip's bounds, Pad's value).
float float_scalar(const Node& node, const std::vector<Value>& in, size_t i, float fallback);
// The part of `shape` a Shape node returns: its start and end attributes (opset 15), negative
// counting from the end, clamped.
Shape shape_node_part(const Node& node, const Shape& shape);
// An axis attribute or input normalized against `rank`.
int64_t normalize_axis(const Node& node, int64_t axis, int64_t rank);
// The element count of a result of `shape`, checked before it is allocated: no negative
// extent, no overflow, at most context.max_elements. Raises cnn::Error naming the node.
int64_t checked_result_size(const Node& node, const Shape& shape, const RunContext& context);

}  // namespace cnn::onnx
