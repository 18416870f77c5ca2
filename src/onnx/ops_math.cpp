// Pointwise, broadcasting, matrix-product, softmax and reduction nodes. Pointwise nodes keep
// their input's layout; broadcasting brings every operand to the layout of the widest one;
// axes are remapped through the layout instead of moving data.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "cnn/error.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/linear.h"
#include "cnn/ops/reduce.h"
#include "cnn/ops/shape.h"
#include "onnx/ops.h"

namespace cnn::onnx {
namespace {

template <Tensor (*F)(const Tensor&)>
std::vector<Value> unary(const Node& n, const std::vector<Value>& in, RunContext&) {
  CNN_CHECK(present(in, 0) && in[0].data.dtype() == DType::f32, n.where(), ": input must be float");
  return {value_of(F(in[0].data), in[0].perm)};
}

std::vector<Value> leaky_relu_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  return {value_of(leaky_relu(in[0].data, n.attrs.f("alpha", 0.01f)), in[0].perm)};
}

// ---- broadcasting binary ops ----

// Integer arithmetic for shape computations, NumPy broadcasting on logical tensors.
Tensor int_binary(const Node& n, const Tensor& a, const Tensor& b) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), n.op.c_str());
  const int64_t count = checked_numel(shape);
  CNN_CHECK(count <= (int64_t{1} << 24), n.where(), ": integer tensor of shape ", to_string(shape),
            " is too large");
  const auto r = static_cast<int64_t>(shape.size());
  const auto index_of = [&](const Tensor& t, int64_t flat) {
    int64_t offset = 0, stride = 1;
    for (int64_t d = r - 1, rest = flat; d >= 0; --d) {
      const int64_t coord = rest % shape[static_cast<size_t>(d)];
      rest /= shape[static_cast<size_t>(d)];
      const int64_t td = d - (r - t.dim());
      if (td < 0) continue;
      const int64_t extent = t.size(td);
      offset += (extent == 1 ? 0 : coord) * stride;
      stride *= extent;
    }
    return offset;
  };
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t x = ac.data_i64()[index_of(ac, i)], y = bc.data_i64()[index_of(bc, i)];
    int64_t v = 0;
    bool overflow = false;  // shape arithmetic past 64 bits: a broken or hostile model
    if (n.op == "Add")
      overflow = __builtin_add_overflow(x, y, &v);
    else if (n.op == "Sub")
      overflow = __builtin_sub_overflow(x, y, &v);
    else if (n.op == "Mul")
      overflow = __builtin_mul_overflow(x, y, &v);
    else if (n.op == "Mod") {
      CNN_CHECK(y != 0, n.where(), ": integer modulo by zero");
      v = y == -1 ? 0 : x % y;  // C's remainder (fmod = 1); INT64_MIN % -1 traps on x86
      // fmod = 0: the remainder takes the divisor's sign, as Python's
      if (n.attrs.i("fmod", 0) == 0 && v != 0 && ((v < 0) != (y < 0))) v += y;
    } else {
      CNN_CHECK(y != 0, n.where(), ": integer division by zero");
      overflow = x == std::numeric_limits<int64_t>::min() && y == -1;  // traps on x86
      if (!overflow) v = x / y;  // ONNX's integer Div truncates, as C++ does
    }
    CNN_CHECK(!overflow, n.where(), ": integer ", n.op, " of ", x, " and ", y,
              " overflows 64 bits");
    out[static_cast<size_t>(i)] = v;
  }
  return Tensor::from_data_i64(shape, out);
}

// The operands stored in one layout: that of the widest operand with a non-trivial layout.
// Lower-rank operands get leading extents of 1 first (NumPy's alignment at the last dimension).
std::vector<Tensor> aligned(const Node& n, const std::vector<Value>& in, Perm& perm,
                            const RunContext& ctx) {
  int64_t rank = 0;
  Shape result;  // broadcasting [N, 1] with [1, N] makes N^2 elements of 2N: checked first
  for (size_t i = 0; i < in.size(); ++i) {
    CNN_CHECK(in[i].defined(), n.where(), ": input ", i, " is required");
    result = i == 0 ? in[i].logical_shape()
                    : broadcast_shapes(result, in[i].logical_shape(), n.op.c_str());
  }
  checked_result_size(n, result, ctx);
  for (const Value& v : in) rank = std::max(rank, v.rank());
  perm.clear();
  for (const Value& v : in)
    if (v.rank() == rank && !v.perm.empty()) {
      perm = v.perm;
      break;
    }
  std::vector<Tensor> out;
  for (size_t i = 0; i < in.size(); ++i) {
    CNN_CHECK(in[i].defined(), n.where(), ": input ", i, " is required");
    if (in[i].rank() == rank) {
      out.push_back(stored_as(in[i], perm));
      continue;
    }
    Tensor t = logical(in[i]);
    Shape s(static_cast<size_t>(rank - t.dim()), 1);
    s.insert(s.end(), t.shape().begin(), t.shape().end());
    t = t.reshape(s);
    out.push_back(perm.empty() ? t : t.permute(perm));
  }
  return out;
}

std::vector<Value> binary(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  CNN_CHECK(present(in, 0) && present(in, 1), n.where(), ": two inputs are required");
  const bool ints = in[0].data.dtype() == DType::i64;
  CNN_CHECK(ints == (in[1].data.dtype() == DType::i64), n.where(),
            ": inputs of different element types");
  if (ints) return {value_of(int_binary(n, logical(in[0]), logical(in[1])))};
  CNN_CHECK(n.op != "Mod", n.where(),
            ": Mod of float tensors is not supported (integer tensors are)");
  Perm perm;
  const std::vector<Tensor> t = aligned(n, in, perm, ctx);
  Tensor y;
  if (n.op == "Add")
    y = add(t[0], t[1]);
  else if (n.op == "Sub")
    y = sub(t[0], t[1]);
  else if (n.op == "Mul")
    y = mul(t[0], t[1]);
  else
    y = div(t[0], t[1]);
  return {value_of(y, perm)};
}

std::vector<Value> sum_op(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  CNN_CHECK(!in.empty(), n.where(), ": at least one input is required");
  Perm perm;
  const std::vector<Tensor> t = aligned(n, in, perm, ctx);
  Tensor y = t[0];
  for (size_t i = 1; i < t.size(); ++i) y = add(y, t[i]);
  if (t.size() == 1) y = y.clone();
  return {value_of(y, perm)};
}

std::vector<Value> prelu_op(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  Perm perm;
  const std::vector<Tensor> t = aligned(n, in, perm, ctx);
  return {value_of(prelu(t[0], t[1]), perm)};
}

// Clip: bounds from attributes before opset 11, from optional inputs after.
std::vector<Value> clip(const Node& n, const std::vector<Value>& in, RunContext&) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float lo = -kInf, hi = kInf;
  if (n.opset < 11) {
    lo = n.attrs.f("min", -kInf);
    hi = n.attrs.f("max", kInf);
  } else {
    lo = float_scalar(n, in, 1, -kInf);
    hi = float_scalar(n, in, 2, kInf);
  }
  CNN_CHECK(in[0].data.dtype() == DType::f32, n.where(), ": only float tensors can be clipped");
  return {value_of(clamp(in[0].data, lo, hi), in[0].perm)};
}

std::vector<Value> hard_sigmoid(const Node& n, const std::vector<Value>& in, RunContext&) {
  return {value_of(hardsigmoid(in[0].data, n.attrs.f("alpha", 0.2f), n.attrs.f("beta", 0.5f)),
                   in[0].perm)};
}

// ---- matrix products ----

// Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' likewise; C broadcasts to [M, N].
std::vector<Value> gemm(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  CNN_CHECK(present(in, 0) && present(in, 1) && in[0].rank() == 2 && in[1].rank() == 2, n.where(),
            ": A and B must be matrices");
  const float alpha = n.attrs.f("alpha", 1.0f), beta = n.attrs.f("beta", 1.0f);
  Tensor a = input(n, in, 0, n.attrs.i("transA", 0) ? Perm{1, 0} : Perm{});
  // Linear's weight is [N, K]: B itself with transB, else its transpose
  const Tensor w = input(n, in, 1, n.attrs.i("transB", 0) ? Perm{} : Perm{1, 0});
  CNN_CHECK(a.size(1) == w.size(1), n.where(), ": A' is ", to_string(a.shape()), " but B' has ",
            w.size(1), " rows");
  const Shape mn{a.size(0), w.size(0)};
  checked_result_size(n, mn, ctx);
  Tensor c = present(in, 2) && beta != 0.0f ? logical(in[2]) : Tensor();
  // C broadcasts to [M, N] and no further (ONNX's unidirectional broadcasting)
  CNN_CHECK(!c.defined() || broadcast_shapes(mn, c.shape(), "Gemm") == mn, n.where(),
            ": C of shape ", to_string(c.shape()), " does not broadcast to ", to_string(mn));
  const bool bias = c.defined() && c.dim() == 1 && c.size(0) == w.size(0) && beta == 1.0f;
  if (alpha != 1.0f) a = a * alpha;
  Tensor y = linear(a, w, bias ? c : Tensor());
  if (c.defined() && !bias) y = add(y, beta == 1.0f ? c : c * beta);
  return {value_of(y)};
}

// NumPy's matmul: [..., M, K] @ [..., K, N], batch dimensions broadcast; rank-1 operands are
// promoted and the promoted dimension dropped.
std::vector<Value> matmul(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  CNN_CHECK(present(in, 0) && present(in, 1), n.where(), ": two inputs are required");
  Tensor a = logical(in[0]);
  const int64_t rb = in[1].rank();
  CNN_CHECK(a.dim() >= 1 && rb >= 1, n.where(), ": scalars cannot be multiplied as matrices");
  if (rb <= 2) {
    Tensor w = rb == 1 ? logical(in[1]).reshape({1, in[1].data.size(0)}) : input(n, in, 1, {1, 0});
    const bool vec_a = a.dim() == 1;
    if (vec_a) a = a.reshape({1, a.size(0)});
    CNN_CHECK(a.size(-1) == w.size(1), n.where(), ": shapes ", to_string(in[0].logical_shape()),
              " and ", to_string(in[1].logical_shape()), " do not match for a matrix product");
    Shape result = a.shape();
    result.back() = w.size(0);
    checked_result_size(n, result, ctx);
    Tensor y = linear(a, w);
    Shape s = y.shape();
    if (rb == 1) s.pop_back();
    if (vec_a) s.erase(s.end() - (rb == 1 ? 1 : 2));
    return {value_of(y.reshape(s))};
  }
  Tensor b = logical(in[1]);
  if (a.dim() == 1) a = a.reshape({1, a.size(0)});
  const Shape ba(a.shape().begin(), a.shape().end() - 2),
      bb(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(ba, bb, "MatMul");
  CNN_CHECK(a.size(-1) == b.size(-2), n.where(), ": shapes ", to_string(a.shape()), " and ",
            to_string(b.shape()), " do not match for a matrix product");
  Shape result = batch;
  result.push_back(a.size(-2));
  result.push_back(b.size(-1));
  const int64_t count = checked_result_size(n, batch, ctx);
  checked_result_size(n, result, ctx);
  const auto pick = [&](const Tensor& t, const Shape& tb, int64_t flat) {
    // the matrix of t at broadcast batch position `flat`
    Tensor m = t;
    Shape coord(batch.size());
    for (size_t d = batch.size(), rest = static_cast<size_t>(flat); d-- > 0;) {
      coord[d] = static_cast<int64_t>(rest % static_cast<size_t>(batch[d]));
      rest /= static_cast<size_t>(batch[d]);
    }
    const size_t skip = batch.size() - tb.size();
    for (size_t d = 0; d < tb.size(); ++d) {
      const int64_t i = tb[d] == 1 ? 0 : coord[skip + d];
      m = m.slice(0, i, i + 1).reshape(Shape(m.shape().begin() + 1, m.shape().end()));
    }
    return m;
  };
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < count; ++i) {
    const Tensor am = pick(a, ba, i), bm = pick(b, bb, i);
    const Tensor y = linear(am, bm.transpose(0, 1).contiguous());
    parts.push_back(y.reshape({1, y.size(0), y.size(1)}));
  }
  Tensor y = concat(parts, 0);
  Shape s = batch;
  s.push_back(a.size(-2));
  s.push_back(b.size(-1));
  if (in[0].rank() == 1) s.erase(s.end() - 2);
  return {value_of(y.reshape(s))};
}

// ---- softmax ----

std::vector<Value> softmax_like(const Node& n, const std::vector<Value>& in, bool log) {
  const int64_t rank = in[0].rank();
  CNN_CHECK(rank >= 1, n.where(), ": input must have rank >= 1");
  if (n.opset >= 13) {  // along one axis, default the last
    const int64_t axis = normalize_axis(n, n.attrs.i("axis", -1), rank);
    const int64_t k = in[0].stored_axis(axis);
    return {value_of(log ? log_softmax(in[0].data, k) : softmax(in[0].data, k), in[0].perm)};
  }
  // before opset 13: over the input flattened to [prod(d < axis), prod(d >= axis)], axis 1
  const int64_t axis = normalize_axis(n, n.attrs.i("axis", 1), rank);
  const Tensor x = logical(in[0]);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  const Tensor flat = x.reshape({outer, -1});
  const Tensor y = log ? log_softmax(flat, 1) : softmax(flat, 1);
  return {value_of(y.reshape(x.shape()))};
}

std::vector<Value> softmax_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  return softmax_like(n, in, false);
}
std::vector<Value> log_softmax_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  return softmax_like(n, in, true);
}

// ---- reductions ----

// The stored dimensions to reduce and the layout of the result.
Shape reduce_axes(const Node& n, const Value& v, bool keepdims, Perm& out_perm,
                  std::vector<int64_t> axes) {
  const int64_t rank = v.rank();
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t& a : axes) {
    a = normalize_axis(n, a, rank);
    reduced[static_cast<size_t>(a)] = true;
  }
  Shape stored;
  for (int64_t a = 0; a < rank; ++a)
    if (reduced[static_cast<size_t>(a)]) stored.push_back(v.stored_axis(a));
  std::sort(stored.begin(), stored.end());
  out_perm = v.perm;
  if (!keepdims && !v.perm.empty()) {  // renumber the logical dimensions that remain
    Perm p;
    for (int64_t l : v.perm) {
      if (reduced[static_cast<size_t>(l)]) continue;
      int64_t below = 0;
      for (int64_t d = 0; d < l; ++d) below += reduced[static_cast<size_t>(d)] ? 1 : 0;
      p.push_back(l - below);
    }
    out_perm = p;
  }
  return stored;
}

std::vector<Value> reduce_mean(const Node& n, const std::vector<Value>& in, RunContext&) {
  const bool keep = n.attrs.i("keepdims", 1) != 0;
  Perm perm;
  const Shape dims = reduce_axes(n, in[0], keep, perm, n.attrs.ints("axes"));
  return {value_of(mean(in[0].data, dims, keep), perm)};
}

std::vector<Value> reduce_max(const Node& n, const std::vector<Value>& in, RunContext&) {
  const bool keep = n.attrs.i("keepdims", 1) != 0;
  Perm perm;
  const Shape dims = reduce_axes(n, in[0], keep, perm, n.attrs.ints("axes"));
  return {value_of(amax(in[0].data, dims, keep), perm)};
}

// ReduceSum takes its axes as an input from opset 13; with none given it reduces everything,
// or nothing with noop_with_empty_axes.
std::vector<Value> reduce_sum(const Node& n, const std::vector<Value>& in, RunContext&) {
  const bool keep = n.attrs.i("keepdims", 1) != 0;
  std::vector<int64_t> axes = n.opset >= 13
                                  ? (present(in, 1) ? int_values(n, in, 1) : std::vector<int64_t>{})
                                  : n.attrs.ints("axes");
  if (axes.empty() && n.attrs.i("noop_with_empty_axes", 0) != 0) return {in[0]};
  Perm perm;
  const Shape dims = reduce_axes(n, in[0], keep, perm, axes);
  return {value_of(sum(in[0].data, dims, keep), perm)};
}

// ---- Cast ----

std::vector<Value> cast(const Node& n, const std::vector<Value>& in, RunContext&) {
  const int64_t to = n.attrs.i("to");
  const DType from = in[0].data.dtype();
  if (to == 1) {  // FLOAT
    if (from == DType::f32) return {in[0]};
    const std::vector<int64_t> v = in[0].data.to_vector_i64();
    std::vector<float> f(v.begin(), v.end());
    return {value_of(Tensor::from_data(in[0].data.shape(), f), in[0].perm)};
  }
  CNN_CHECK(to == 7 || to == 6 || to == 9, n.where(), ": Cast to element type ", to,
            " is not supported (float, int64, int32 and bool)");
  if (from == DType::i64 && to == 7) return {in[0]};
  std::vector<int64_t> out;
  if (from == DType::f32) {
    for (float x : in[0].data.contiguous().to_vector()) {
      CNN_CHECK(std::isfinite(x) && std::abs(x) < 9.2e18f, n.where(), ": cannot cast ", x,
                " to an integer");
      out.push_back(to == 9 ? (x != 0.0f) : static_cast<int64_t>(x));
    }
  } else {
    out = in[0].data.contiguous().to_vector_i64();
    for (int64_t& v : out)
      if (to == 9)
        v = v != 0;
      else if (to == 6)
        v = static_cast<int32_t>(v);
  }
  return {value_of(Tensor::from_data_i64(in[0].data.shape(), out), in[0].perm)};
}

}  // namespace

void add_math_ops(std::vector<OpDef>& t) {
  t.push_back({"Relu", unary<relu>});
  t.push_back({"Sigmoid", unary<sigmoid>});
  t.push_back({"Tanh", unary<cnn::tanh>});
  t.push_back({"Exp", unary<cnn::exp>});
  t.push_back({"Log", unary<cnn::log>});
  t.push_back({"Neg", unary<neg>});
  t.push_back({"LeakyRelu", leaky_relu_op});
  t.push_back({"PRelu", prelu_op});
  t.push_back({"Clip", clip, 0b110, 0, 6});
  t.push_back({"HardSigmoid", hard_sigmoid});
  t.push_back({"HardSwish", unary<hardswish>});
  t.push_back({"ReduceMax", reduce_max});
  t.push_back({"ReduceSum", reduce_sum, 0b10});
  t.push_back({"Add", binary, 0, 0, 7});
  t.push_back({"Sub", binary, 0, 0, 7});
  t.push_back({"Mul", binary, 0, 0, 7});
  t.push_back({"Div", binary, 0, 0, 7});
  t.push_back({"Mod", binary, 0, 0, 10});
  t.push_back({"Sum", sum_op, 0, 0, 8});
  t.push_back({"Gemm", gemm, 0, 0, 7});
  t.push_back({"MatMul", matmul});
  t.push_back({"Softmax", softmax_op});
  t.push_back({"LogSoftmax", log_softmax_op});
  t.push_back({"ReduceMean", reduce_mean});
  t.push_back({"Cast", cast, 0, 0, 6});
}

}  // namespace cnn::onnx
