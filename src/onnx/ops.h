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

struct RunContext {
  bool training = false;
  Generator* generator = nullptr;  // Dropout's masks in training
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
void add_nn_ops(std::vector<OpDef>& table);        // ops_nn.cpp: conv, pools, norms
void add_math_ops(std::vector<OpDef>& table);      // ops_math.cpp: pointwise, gemm, reductions
void add_shape_ops(std::vector<OpDef>& table);     // ops_shape.cpp: reshape, concat, slice, ...
void add_resize_ops(std::vector<OpDef>& table);    // ops_resize.cpp: Resize, Upsample

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
// An axis attribute or input normalized against `rank`.
int64_t normalize_axis(const Node& node, int64_t axis, int64_t rank);

}  // namespace cnn::onnx
