#include "onnx/ops.h"

#include <algorithm>
#include <cmath>

#include "cnn/error.h"

namespace cnn::onnx {
namespace {

const std::vector<OpDef>& table() {
  static const std::vector<OpDef> ops = [] {
    std::vector<OpDef> t;
    add_nn_ops(t);
    add_math_ops(t);
    add_shape_ops(t);
    add_resize_ops(t);
    std::sort(t.begin(), t.end(),
              [](const OpDef& a, const OpDef& b) { return std::string(a.name) < b.name; });
    return t;
  }();
  return ops;
}

}  // namespace

const OpDef* find_op(const std::string& op) {
  for (const OpDef& d : table())
    if (op == d.name) return &d;
  return nullptr;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const OpDef& d : table()) names.emplace_back(d.name);
  return names;
}

Tensor input(const Node& node, const std::vector<Value>& in, size_t i, const Perm& perm) {
  CNN_CHECK(present(in, i), node.where(), ": input ", i, " is required");
  return stored_as(in[i], perm);
}

std::vector<int64_t> int_values(const Node& node, const std::vector<Value>& in, size_t i) {
  CNN_CHECK(present(in, i), node.where(), ": input ", i, " is required");
  const Tensor t = logical(in[i]);
  CNN_CHECK(t.dim() <= 1, node.where(), ": input ", i,
            " must be a scalar or a 1-D list, got shape ", to_string(t.shape()));
  if (t.dtype() == DType::i64) return t.to_vector_i64();
  std::vector<int64_t> out;
  for (float v : t.to_vector()) {
    CNN_CHECK(std::isfinite(v), node.where(), ": input ", i, " holds ", v,
              " where integers are expected");
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

float float_scalar(const Node& node, const std::vector<Value>& in, size_t i, float fallback) {
  if (!present(in, i)) return fallback;
  const Tensor t = in[i].data;
  CNN_CHECK(t.numel() == 1, node.where(), ": input ", i, " must hold one value, got shape ",
            to_string(t.shape()));
  return t.dtype() == DType::f32 ? t.to_vector()[0] : static_cast<float>(t.to_vector_i64()[0]);
}

int64_t normalize_axis(const Node& node, int64_t axis, int64_t rank) {
  // (a scalar has no axis: every caller indexes the shape with the result)
  CNN_CHECK(axis >= -rank && axis < rank, node.where(), ": axis ", axis,
            " is outside a tensor of rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

int64_t checked_result_size(const Node& node, const Shape& shape, const RunContext& context) {
  int64_t count = 1;
  for (int64_t extent : shape) {
    CNN_CHECK(extent >= 0, node.where(), ": negative extent in the result shape ",
              to_string(shape));
    CNN_CHECK(!__builtin_mul_overflow(count, extent, &count), node.where(), ": the result shape ",
              to_string(shape), " has more elements than fit in a 64-bit count");
  }
  CNN_CHECK(count <= context.max_elements, node.where(), ": a result of shape ", to_string(shape),
            " (", count, " elements) is too large; the limit here is ", context.max_elements,
            " elements");
  return count;
}

}  // namespace cnn::onnx
