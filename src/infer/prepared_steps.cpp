#include "infer/prepared_steps.h"

#include <cmath>
#include <string>
#include <vector>

#include "cnn/error.h"
#include "onnx/window.h"

namespace cnn::infer {
namespace {

using onnx::Graph;
using onnx::Node;
using onnx::Slot;
using onnx::Value;

const onnx::Perm kHWIO{2, 3, 1, 0};

// Whether value `id` is data of the graph (a constant, parameter or buffer), not computed.
bool is_graph_data(const Graph& g, int id) {
  if (id < 0) return false;
  const Slot& s = g.slots[static_cast<size_t>(id)];
  return s.kind != Slot::Kind::computed && s.kind != Slot::Kind::input && s.value.defined();
}

std::vector<double> as_doubles(const Graph& g, int id) {
  const Slot& s = g.slots[static_cast<size_t>(id)];
  const std::vector<float> v = logical(s.value).to_vector();
  return {v.begin(), v.end()};
}

// A Conv node the prepared path takes: 2-D, its weight, bias and batch norm graph data.
bool preparable(const Graph& g, const Node& n) {
  if (n.op != "Conv" || n.inputs.size() < 2 || !is_graph_data(g, n.inputs[1])) return false;
  if (g.slots[static_cast<size_t>(n.inputs[1])].value.rank() != 4) return false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0 && !is_graph_data(g, n.inputs[2])) return false;
  if (n.fusion.batch_norm)
    for (size_t k = 3; k < 7; ++k)
      if (n.inputs.size() <= k || !is_graph_data(g, n.inputs[k])) return false;
  return true;
}

// A Gemm the prepared path takes: A' = A (no transA), alpha 1, B graph data, C absent or a
// graph-data vector of N values with beta 1.
bool preparable_linear(const Graph& g, const Node& n) {
  if (n.op != "Gemm" || n.inputs.size() < 2 || !is_graph_data(g, n.inputs[1])) return false;
  if (n.attrs.i("transA", 0) != 0 || n.attrs.f("alpha", 1.0f) != 1.0f) return false;
  if (g.slots[static_cast<size_t>(n.inputs[1])].value.rank() != 2) return false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    if (!is_graph_data(g, n.inputs[2]) || n.attrs.f("beta", 1.0f) != 1.0f) return false;
    const Value& c = g.slots[static_cast<size_t>(n.inputs[2])].value;
    const Value& b = g.slots[static_cast<size_t>(n.inputs[1])].value;
    const int64_t out = b.logical_shape()[n.attrs.i("transB", 0) != 0 ? 0 : 1];
    if (c.rank() != 1 || c.logical_shape()[0] != out) return false;
  }
  return true;
}

std::unique_ptr<kernels::PreparedLinear> make_linear(const Graph& g, const Node& n) {
  // Linear's weight [N, K]: B itself with transB, else its transpose
  const Tensor w = stored_as(g.slots[static_cast<size_t>(n.inputs[1])].value,
                             n.attrs.i("transB", 0) != 0 ? onnx::Perm{} : onnx::Perm{1, 0});
  Tensor bias;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0)
    bias = logical(g.slots[static_cast<size_t>(n.inputs[2])].value);
  return std::make_unique<kernels::PreparedLinear>(w.size(0), w.size(1), w.data(),
                                                   bias.defined() ? bias.data() : nullptr);
}

// 2-D pools without an Indices output (MaxPool) or over the whole image (GlobalAveragePool).
StepKind pool_kind(const Node& n) {
  if (n.op == "MaxPool" && (n.outputs.size() < 2 || n.outputs[1] < 0)) return StepKind::max_pool;
  if (n.op == "GlobalAveragePool") return StepKind::global_avg_pool;
  return StepKind::op;
}

// The node's weight as HWIO with its batch norm folded in: W * s and (b - mean) * s + beta,
// s = gamma / sqrt(var + eps), in double.
ConvStep make_conv_step(const Graph& g, const Node& n) {
  const Tensor w = stored_as(g.slots[static_cast<size_t>(n.inputs[1])].value, kHWIO);
  const int64_t kh = w.size(0), kw = w.size(1), cg = w.size(2), out = w.size(3);
  const int64_t groups = n.attrs.i("group", 1);
  std::vector<double> scale(static_cast<size_t>(out), 1.0), shift(static_cast<size_t>(out), 0.0);
  bool has_bias = false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    shift = as_doubles(g, n.inputs[2]);
    has_bias = true;
  }
  CNN_CHECK(static_cast<int64_t>(shift.size()) == out, n.where(), ": the bias has ", shift.size(),
            " values for ", out, " output channels");
  if (n.fusion.batch_norm) {
    const std::vector<double> gamma = as_doubles(g, n.inputs[3]), beta = as_doubles(g, n.inputs[4]);
    const std::vector<double> mean = as_doubles(g, n.inputs[5]), var = as_doubles(g, n.inputs[6]);
    CNN_CHECK(gamma.size() == scale.size() && beta.size() == scale.size() &&
                  mean.size() == scale.size() && var.size() == scale.size(),
              n.where(), ": the batch norm's parameters do not have ", out, " values");
    for (size_t o = 0; o < scale.size(); ++o) {
      scale[o] = gamma[o] / std::sqrt(var[o] + static_cast<double>(n.fusion.bn_eps));
      shift[o] = (shift[o] - mean[o]) * scale[o] + beta[o];
    }
    has_bias = true;
  }
  std::vector<float> folded(static_cast<size_t>(w.numel()));
  const float* src = w.data();
  for (size_t i = 0; i < folded.size(); ++i)
    folded[i] = static_cast<float>(src[i] * scale[i % static_cast<size_t>(out)]);
  std::vector<float> bias(shift.begin(), shift.end());

  ConvStep step;
  kernels::Conv2dGeometry& wg = step.weight_geometry;
  wg.kernel_h = kh;
  wg.kernel_w = kw;
  wg.in_c = cg * groups;
  wg.out_c = out;
  wg.groups = groups;
  step.conv = std::make_unique<kernels::PreparedConv2d>(wg, folded.data(),
                                                        has_bias ? bias.data() : nullptr);
  step.relu = n.fusion.activation != 0;
  if (n.fusion.activation == 2) step.relu_max = 6.0f;
  return step;
}

}  // namespace

Step make_step(const Graph& g, const Node& n) {
  Step step;
  if (preparable(g, n)) {
    step.kind = StepKind::conv;
    step.conv = make_conv_step(g, n);
  } else if (preparable_linear(g, n)) {
    step.kind = StepKind::linear;
    step.linear = make_linear(g, n);
  } else {
    step.kind = pool_kind(n);
  }
  return step;
}

// The geometry a pool node has over the recorded input and output (the op checked both).
kernels::PoolGeometry pool_geometry(const Node& n, StepKind kind, const Shape& in,
                                    const Shape& out) {
  kernels::PoolGeometry p;
  p.batch = in[0], p.in_h = in[1], p.in_w = in[2], p.channels = in[3];
  p.out_h = out[1], p.out_w = out[2];
  if (kind == StepKind::global_avg_pool) {
    p.kernel_h = in[1], p.kernel_w = in[2];
    p.stride_h = in[1], p.stride_w = in[2];
    return p;
  }
  const onnx::Window win = onnx::window(n, 4, in[1], in[2], Size2(0, 0));
  p.kernel_h = win.kernel.h, p.kernel_w = win.kernel.w;
  p.stride_h = win.stride.h, p.stride_w = win.stride.w;
  p.dilation_h = win.dilation.h, p.dilation_w = win.dilation.w;
  p.pad_top = win.pad.top, p.pad_bottom = win.pad.bottom;
  p.pad_left = win.pad.left, p.pad_right = win.pad.right;
  return p;
}

}  // namespace cnn::infer
