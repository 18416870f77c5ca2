// Shape and data-movement nodes: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Concat,
// Split, Slice, Gather, Shape, Constant, ConstantOfShape, Identity, Pad. Integer tensors
// (shapes, indices) are small and computed on the host; float data moves through cnn's
// differentiable views and copies.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cnn/error.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/index.h"
#include "cnn/ops/shape.h"
#include "onnx/ops.h"

namespace cnn::onnx {
namespace {

constexpr int64_t kMaxIntElements = int64_t{1} << 24;

Value ints_value(const Shape& shape, const std::vector<int64_t>& values) {
  return value_of(Tensor::from_data_i64(shape, values));
}

std::vector<Value> identity(const Node&, const std::vector<Value>& in, RunContext&) {
  return {in[0]};
}

}  // namespace

Shape shape_node_part(const Node& n, const Shape& s) {
  const auto rank = static_cast<int64_t>(s.size());
  int64_t start = n.attrs.i("start", 0), end = n.attrs.i("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  return Shape(s.begin() + start, s.begin() + end);
}

namespace {

std::vector<Value> shape_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  const Shape part = shape_node_part(n, in[0].logical_shape());
  return {ints_value({static_cast<int64_t>(part.size())}, part)};
}

std::vector<Value> constant(const Node& n, const std::vector<Value>&, RunContext&) {
  const Attrs& a = n.attrs;
  if (a.has("value")) return {value_of(a.tensor("value"))};
  if (a.has("value_float")) return {value_of(Tensor::scalar(a.f("value_float", 0.0f)))};
  if (a.has("value_floats")) {
    const std::vector<float> v = a.floats("value_floats");
    return {value_of(Tensor::from_data({static_cast<int64_t>(v.size())}, v))};
  }
  if (a.has("value_int")) return {ints_value({}, {a.i("value_int")})};
  if (a.has("value_ints")) {
    const std::vector<int64_t> v = a.ints("value_ints");
    return {ints_value({static_cast<int64_t>(v.size())}, v)};
  }
  fail(n.where(),
       ": a Constant needs one of value, value_float(s) or value_int(s) (sparse and string values "
       "are not supported)");
}

std::vector<Value> constant_of_shape(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const std::vector<int64_t> shape = int_values(n, in, 0);
  for (int64_t d : shape) CNN_CHECK(d >= 0, n.where(), ": negative extent ", d);
  const int64_t count = checked_result_size(n, shape, ctx);
  if (!n.attrs.has("value")) return {value_of(Tensor::zeros(shape))};
  const Tensor v = n.attrs.tensor("value");
  CNN_CHECK(v.numel() == 1, n.where(), ": attribute 'value' must hold one element");
  if (v.dtype() == DType::f32) return {value_of(Tensor::full(shape, v.to_vector()[0]))};
  return {
      ints_value(shape, std::vector<int64_t>(static_cast<size_t>(count), v.to_vector_i64()[0]))};
}

// ---- reshaping ----

// ONNX Reshape's target: 0 copies the input's extent (unless allowzero), -1 is inferred.
Shape reshape_target(const Node& n, const Shape& from, std::vector<int64_t> to, bool allowzero) {
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] == 0 && !allowzero) {
      CNN_CHECK(i < from.size(), n.where(), ": shape entry ", i, " is 0 but the input has rank ",
                from.size());
      to[i] = from[i];
    }
    if (to[i] == -1) {
      CNN_CHECK(inferred < 0, n.where(), ": more than one -1 in shape ", to_string(to));
      inferred = static_cast<int64_t>(i);
      continue;
    }
    CNN_CHECK(to[i] >= 0, n.where(), ": invalid extent ", to[i], " in shape ", to_string(to));
    CNN_CHECK(to[i] == 0 || known <= std::numeric_limits<int64_t>::max() / to[i], n.where(),
              ": shape ", to_string(to), " overflows");
    known *= to[i];
  }
  const int64_t total = checked_numel(from);
  if (inferred >= 0) {
    CNN_CHECK(known != 0 && total % known == 0, n.where(), ": cannot reshape ", to_string(from),
              " to ", to_string(to));
    to[static_cast<size_t>(inferred)] = total / known;
  }
  CNN_CHECK(checked_numel(to) == total, n.where(), ": cannot reshape ", to_string(from), " (",
            total, " elements) to ", to_string(to));
  return to;
}

// The tensor in logical order reshaped; free when the stored order already is the logical one
// (e.g. an NHWC [N, C, 1, 1] flattened to [N, C]).
Value reshaped(const Value& v, const Shape& shape) {
  const Tensor t = logical(v);
  if (t.dtype() == DType::i64) {
    const std::vector<int64_t> values = t.to_vector_i64();
    return ints_value(shape, values);
  }
  return value_of(t.reshape(shape));
}

std::vector<Value> reshape(const Node& n, const std::vector<Value>& in, RunContext&) {
  const std::vector<int64_t> target = n.opset >= 5 ? int_values(n, in, 1) : n.attrs.ints("shape");
  return {reshaped(
      in[0], reshape_target(n, in[0].logical_shape(), target, n.attrs.i("allowzero", 0) != 0))};
}

std::vector<Value> flatten(const Node& n, const std::vector<Value>& in, RunContext&) {
  const Shape s = in[0].logical_shape();
  const auto rank = static_cast<int64_t>(s.size());
  int64_t axis = n.attrs.i("axis", 1);
  CNN_CHECK(axis >= -rank && axis <= rank, n.where(), ": axis ", axis, " outside [", -rank, ", ",
            rank, "]");
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= s[static_cast<size_t>(d)];
  return {reshaped(in[0], {outer, inner})};
}

// Transpose moves no data: the result is the same stored tensor with a composed layout.
std::vector<Value> transpose(const Node& n, const std::vector<Value>& in, RunContext&) {
  const int64_t rank = in[0].rank();
  Perm p = n.attrs.ints("perm");
  if (p.empty())
    for (int64_t d = rank - 1; d >= 0; --d) p.push_back(d);
  CNN_CHECK(static_cast<int64_t>(p.size()) == rank, n.where(), ": perm ", to_string(p),
            " for a tensor of rank ", rank);
  Perm sorted = p;
  std::sort(sorted.begin(), sorted.end());
  CNN_CHECK(is_identity(sorted), n.where(), ": perm ", to_string(p), " is not a permutation");
  // logical_out[i] = logical_in[p[i]]; stored[k] = logical_in[perm_in[k]] =
  // logical_out[p^-1[perm_in[k]]]
  const Perm pinv = inverse_perm(p);
  const Perm from = in[0].perm.empty() ? identity_perm(rank) : in[0].perm;
  Perm out(static_cast<size_t>(rank));
  for (size_t k = 0; k < out.size(); ++k) out[k] = pinv[static_cast<size_t>(from[k])];
  if (in[0].data.dtype() == DType::i64) return {value_of(stored_as(value_of(in[0].data, out), {}))};
  return {value_of(in[0].data, out)};
}

// Squeeze and Unsqueeze only add or drop extents of 1, so they keep the stored order: the
// stored tensor gains or loses those extents and the layout is renumbered.
std::vector<int64_t> axes_of(const Node& n, const std::vector<Value>& in, int opset_inputs) {
  if (n.opset >= opset_inputs)
    return present(in, 1) ? int_values(n, in, 1) : std::vector<int64_t>{};
  return n.attrs.ints("axes");
}

std::vector<Value> squeeze(const Node& n, const std::vector<Value>& in, RunContext&) {
  const Shape s = in[0].logical_shape();
  const auto rank = static_cast<int64_t>(s.size());
  std::vector<int64_t> axes = axes_of(n, in, 13);
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  if (axes.empty()) {
    for (int64_t d = 0; d < rank; ++d)
      drop[static_cast<size_t>(d)] = s[static_cast<size_t>(d)] == 1;
  } else {
    for (int64_t a : axes) {
      a = normalize_axis(n, a, rank);
      CNN_CHECK(s[static_cast<size_t>(a)] == 1, n.where(), ": cannot squeeze axis ", a,
                " of extent ", s[static_cast<size_t>(a)], " (shape ", to_string(s), ")");
      drop[static_cast<size_t>(a)] = true;
    }
  }
  const Perm from = in[0].perm.empty() ? identity_perm(rank) : in[0].perm;
  Shape stored;
  Perm perm;
  for (size_t k = 0; k < from.size(); ++k) {
    const int64_t l = from[k];
    if (drop[static_cast<size_t>(l)]) continue;
    stored.push_back(in[0].data.size(static_cast<int64_t>(k)));
    perm.push_back(l - std::count(drop.begin(), drop.begin() + l, true));
  }
  const Tensor& d = in[0].data;
  if (d.dtype() == DType::i64) return {ints_value(stored, d.contiguous().to_vector_i64())};
  return {value_of(d.reshape(stored), perm)};
}

std::vector<Value> unsqueeze(const Node& n, const std::vector<Value>& in, RunContext&) {
  const int64_t rank = in[0].rank();
  const std::vector<int64_t> axes = axes_of(n, in, 13);
  CNN_CHECK(!axes.empty(), n.where(), ": no axes given");
  const int64_t out_rank = rank + static_cast<int64_t>(axes.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) {
    a = normalize_axis(n, a, out_rank);
    CNN_CHECK(!inserted[static_cast<size_t>(a)], n.where(), ": axis ", a, " given twice");
    inserted[static_cast<size_t>(a)] = true;
  }
  // new logical index of each old logical dimension
  std::vector<int64_t> moved;
  for (int64_t d = 0; d < out_rank; ++d)
    if (!inserted[static_cast<size_t>(d)]) moved.push_back(d);
  const Perm from = in[0].perm.empty() ? identity_perm(rank) : in[0].perm;
  Shape stored = in[0].data.shape();
  Perm perm;
  for (int64_t l : from) perm.push_back(moved[static_cast<size_t>(l)]);
  for (int64_t d = 0; d < out_rank; ++d)
    if (inserted[static_cast<size_t>(d)]) {
      stored.push_back(1);
      perm.push_back(d);
    }
  const Tensor& d = in[0].data;
  if (d.dtype() == DType::i64) {
    return {value_of(stored_as(
        value_of(Tensor::from_data_i64(stored, d.contiguous().to_vector_i64()), perm), {}))};
  }
  return {value_of(d.reshape(stored), perm)};
}

// ---- joining and cutting ----

// Integer tensors (shape vectors) concatenated on the host, in logical order.
Tensor concat_ints(const Node& n, const std::vector<Tensor>& parts, int64_t axis) {
  Shape shape = parts[0].shape();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
  shape[static_cast<size_t>(axis)] = 0;
  std::vector<std::vector<int64_t>> values;  // each part's, read once (not once per row)
  for (const Tensor& p : parts) {
    Shape expected = parts[0].shape();
    expected[static_cast<size_t>(axis)] = p.size(axis);
    CNN_CHECK(p.shape() == expected, n.where(), ": integer tensors of shapes ",
              to_string(parts[0].shape()), " and ", to_string(p.shape()), " differ outside axis ",
              axis);
    shape[static_cast<size_t>(axis)] += p.size(axis);
    values.push_back(p.contiguous().to_vector_i64());
  }
  CNN_CHECK(checked_numel(shape) <= kMaxIntElements, n.where(), ": integer tensor of shape ",
            to_string(shape), " is too large");
  std::vector<int64_t> out;
  for (int64_t o = 0; o < outer; ++o)
    for (const std::vector<int64_t>& v : values) {
      const auto chunk = static_cast<int64_t>(v.size()) / std::max<int64_t>(outer, 1);
      out.insert(out.end(), v.begin() + o * chunk, v.begin() + (o + 1) * chunk);
    }
  return Tensor::from_data_i64(shape, out);
}

std::vector<Value> concat_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  CNN_CHECK(!in.empty() && present(in, 0), n.where(), ": at least one input is required");
  const int64_t rank = in[0].rank();
  const int64_t axis = normalize_axis(n, n.attrs.i("axis"), rank);
  for (size_t i = 0; i < in.size(); ++i)
    CNN_CHECK(present(in, i) && in[i].rank() == rank, n.where(), ": input ", i, " has rank ",
              present(in, i) ? in[i].rank() : 0, ", expected ", rank);
  if (in[0].data.dtype() == DType::i64) {
    std::vector<Tensor> parts;
    parts.reserve(in.size());
    for (const Value& v : in) parts.push_back(logical(v));
    return {value_of(concat_ints(n, parts, axis))};
  }
  // every input in the first one's layout; empty inputs are skipped
  const Perm perm = in[0].perm;
  std::vector<Tensor> parts;
  for (const Value& v : in) {
    const Tensor t = stored_as(v, perm);
    if (t.numel() > 0 || parts.empty()) parts.push_back(t);
  }
  const int64_t k = perm.empty() ? axis : in[0].stored_axis(axis);
  return {value_of(parts.size() == 1 ? parts[0] : concat(parts, k), perm)};
}

std::vector<Value> split_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  const Value& v = in[0];
  const int64_t axis = normalize_axis(n, n.attrs.i("axis", 0), v.rank());
  const int64_t extent = v.logical_shape()[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes =
      n.opset >= 13 ? (present(in, 1) ? int_values(n, in, 1) : std::vector<int64_t>{})
                    : n.attrs.ints("split");
  const auto parts = static_cast<int64_t>(n.outputs.size());
  if (sizes.empty()) {
    CNN_CHECK(parts >= 1 && extent % parts == 0, n.where(), ": extent ", extent,
              " does not split into ", parts, " equal parts");
    sizes.assign(static_cast<size_t>(parts), extent / parts);
  }
  CNN_CHECK(static_cast<int64_t>(sizes.size()) == parts, n.where(), ": ", sizes.size(),
            " sizes for ", parts, " outputs");
  CNN_CHECK(v.data.dtype() == DType::f32, n.where(), ": only float tensors can be split");
  const std::vector<Tensor> pieces = split(v.data, sizes, v.stored_axis(axis));
  std::vector<Value> out;
  out.reserve(pieces.size());
  for (const Tensor& p : pieces) out.push_back(value_of(p, v.perm));
  return out;
}

// The indices Slice takes along a dimension of `extent`: negative start and end count from
// the end, then both are clamped ([0, extent] for a positive step, [-1, extent - 1] for a
// negative one), as ONNX specifies.
std::vector<int64_t> slice_indices(int64_t extent, int64_t start, int64_t end, int64_t step) {
  // a step longer than the extent takes one index, as its clamp does; -INT64_MIN would overflow
  step = std::clamp<int64_t>(step, -extent - 1, extent + 1);
  const auto clamp_index = [&](int64_t i) {
    if (i < 0) i = i < -extent ? -1 : i + extent;
    return step > 0 ? std::clamp<int64_t>(i, 0, extent) : std::clamp<int64_t>(i, -1, extent - 1);
  };
  start = clamp_index(start);
  end = clamp_index(end);
  std::vector<int64_t> idx;
  if (step > 0) {
    for (int64_t i = start; i<end; i = end - i> step ? i + step : end) idx.push_back(i);
  } else {
    for (int64_t i = start; i > end; i = i - end > -step ? i + step : end) idx.push_back(i);
  }
  return idx;
}

// index_select for the host's integer tensors: t's slices indices[0], indices[1], ... along
// `axis` (every index already in range).
Tensor select_ints(const Tensor& t, int64_t axis, const std::vector<int64_t>& indices) {
  Shape s = t.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < t.dim(); ++d) inner *= s[static_cast<size_t>(d)];
  const int64_t extent = s[static_cast<size_t>(axis)];
  const std::vector<int64_t> src = t.contiguous().to_vector_i64();
  std::vector<int64_t> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : indices)
      for (int64_t j = 0; j < inner; ++j)
        out.push_back(src[static_cast<size_t>((o * extent + k) * inner + j)]);
  s[static_cast<size_t>(axis)] = static_cast<int64_t>(indices.size());
  return Tensor::from_data_i64(s, out);
}

std::vector<Value> slice_op(const Node& n, const std::vector<Value>& in, RunContext&) {
  const Value& v = in[0];
  const int64_t rank = v.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.opset >= 10) {
    starts = int_values(n, in, 1);
    ends = int_values(n, in, 2);
    if (present(in, 3)) axes = int_values(n, in, 3);
    if (present(in, 4)) steps = int_values(n, in, 4);
  } else {
    starts = n.attrs.ints("starts");
    ends = n.attrs.ints("ends");
    axes = n.attrs.ints("axes");
  }
  CNN_CHECK(starts.size() == ends.size(), n.where(), ": starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  CNN_CHECK(axes.size() == starts.size() && steps.size() == starts.size(), n.where(),
            ": starts, ends, axes and steps differ in length");
  const Shape logical_shape = v.logical_shape();
  if (v.data.dtype() == DType::i64) {  // host: gather each axis in turn
    Tensor t = logical(v);
    for (size_t i = 0; i < axes.size(); ++i) {
      const int64_t a = normalize_axis(n, axes[i], rank);
      CNN_CHECK(steps[i] != 0, n.where(), ": step 0");
      t = select_ints(t, a, slice_indices(t.size(a), starts[i], ends[i], steps[i]));
    }
    return {value_of(t)};
  }
  Tensor t = v.data;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = normalize_axis(n, axes[i], rank);
    CNN_CHECK(steps[i] != 0, n.where(), ": step 0");
    const int64_t k = v.stored_axis(a);
    const int64_t extent = logical_shape[static_cast<size_t>(a)];
    const std::vector<int64_t> idx = slice_indices(extent, starts[i], ends[i], steps[i]);
    if (steps[i] > 0 && !idx.empty()) {
      t = t.slice(k, idx.front(), idx.back() + 1, std::min(steps[i], std::max<int64_t>(extent, 1)));
    } else {
      t = index_select(t, k, idx);
    }
  }
  return {value_of(t.contiguous(), v.perm)};
}

std::vector<Value> gather(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const Value& v = in[0];
  const int64_t rank = v.rank();
  CNN_CHECK(rank >= 1, n.where(), ": data must have rank >= 1");
  const int64_t axis = normalize_axis(n, n.attrs.i("axis", 0), rank);
  const Tensor idx_t = logical(in[1]);
  CNN_CHECK(idx_t.dtype() == DType::i64, n.where(), ": indices must be integers");
  const Shape s = v.logical_shape();
  const int64_t extent = s[static_cast<size_t>(axis)];
  std::vector<int64_t> idx = idx_t.to_vector_i64();
  for (int64_t& i : idx) {
    CNN_CHECK(i >= -extent && i < extent, n.where(), ": index ", i, " is outside [", -extent, ", ",
              extent, ")");
    if (i < 0) i += extent;
  }
  Shape out(s.begin(), s.begin() + axis);
  out.insert(out.end(), idx_t.shape().begin(), idx_t.shape().end());
  out.insert(out.end(), s.begin() + axis + 1, s.end());
  checked_result_size(n, out, ctx);  // indices times the rest: [1, N] data and N indices make N^2
  if (v.data.dtype() == DType::i64) {
    return {ints_value(out, select_ints(logical(v), axis, idx).to_vector_i64())};
  }
  return {value_of(index_select(logical(v), axis, idx).reshape(out))};
}

// ---- padding ----

std::vector<Value> pad(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const Value& v = in[0];
  const int64_t rank = v.rank();
  const std::string mode = n.attrs.s("mode", "constant");
  std::vector<int64_t> pads = n.opset >= 11 ? int_values(n, in, 1) : n.attrs.ints("pads");
  const float value = n.opset >= 11 ? float_scalar(n, in, 2, 0.0f) : n.attrs.f("value", 0.0f);
  CNN_CHECK(static_cast<int64_t>(pads.size()) == 2 * rank, n.where(), ": ", pads.size(),
            " pads for a tensor of rank ", rank);
  CNN_CHECK(mode == "constant" || mode == "reflect" || mode == "edge", n.where(),
            ": unknown Pad mode '", mode, "'");
  CNN_CHECK(v.data.dtype() == DType::f32, n.where(), ": only float tensors can be padded");
  Shape padded = v.logical_shape();  // checked before any block is allocated
  for (size_t a = 0; a < padded.size(); ++a) {
    const int64_t before = pads[a], after = pads[a + padded.size()];
    CNN_CHECK(std::abs(before) <= kMaxExtent && std::abs(after) <= kMaxExtent, n.where(), ": pads ",
              to_string(pads), " are out of range");
    padded[a] = std::max<int64_t>(0, padded[a] + before + after);  // negative: refused below
  }
  checked_result_size(n, padded, ctx);
  if (mode != "constant") {
    // reflect and edge on the two spatial dimensions of an [N, C, H, W] tensor, in NHWC
    bool spatial = rank == 4;
    for (int64_t a : {0, 1, 4, 5}) spatial = spatial && pads[static_cast<size_t>(a)] == 0;
    CNN_CHECK(spatial, n.where(), ": Pad mode '", mode,
              "' is supported on the last two dimensions of a 4-D tensor only, got pads ",
              to_string(pads));
    const Tensor x = stored_as(v, {0, 2, 3, 1});
    const Tensor y = pad2d(x, Pad2d(pads[2], pads[6], pads[3], pads[7]),
                           {.mode = mode == "reflect" ? PadMode::reflect : PadMode::edge});
    return {value_of(y, {0, 2, 3, 1})};
  }
  // Each dimension in turn, on the stored tensor: a constant block before and after, or a
  // slice where the padding is negative.
  Tensor t = v.data;
  for (int64_t a = 0; a < rank; ++a) {
    const int64_t before = pads[static_cast<size_t>(a)],
                  after = pads[static_cast<size_t>(a + rank)];
    if (before == 0 && after == 0) continue;
    const int64_t k = v.stored_axis(a);
    const int64_t extent = t.size(k);
    CNN_CHECK(extent + before + after >= 0, n.where(), ": pads ", before, ", ", after,
              " remove more than the extent ", extent);
    if (before < 0 || after < 0)
      t = t.slice(k, std::max<int64_t>(-before, 0), extent - std::max<int64_t>(-after, 0));
    std::vector<Tensor> parts;
    Shape block = t.shape();
    if (before > 0) {
      block[static_cast<size_t>(k)] = before;
      parts.push_back(Tensor::full(block, value));
    }
    parts.push_back(t);
    if (after > 0) {
      block[static_cast<size_t>(k)] = after;
      parts.push_back(Tensor::full(block, value));
    }
    if (parts.size() > 1) t = concat(parts, k);
  }
  return {value_of(t.contiguous(), v.perm)};
}

}  // namespace

void add_shape_ops(std::vector<OpDef>& t) {
  t.push_back({"Identity", identity});
  t.push_back({"Shape", shape_op});
  t.push_back({"Constant", constant});
  t.push_back({"ConstantOfShape", constant_of_shape, 0b1, 0, 9});
  t.push_back({"Reshape", reshape, 0b10});
  t.push_back({"Flatten", flatten});
  t.push_back({"Transpose", transpose});
  t.push_back({"Squeeze", squeeze, 0b10});
  t.push_back({"Unsqueeze", unsqueeze, 0b10});
  t.push_back({"Concat", concat_op, 0, 0, 4});
  t.push_back({"Split", split_op, 0b10, 0, 2});
  t.push_back({"Slice", slice_op, 0b11110});
  t.push_back({"Gather", gather, 0b10});
  t.push_back({"Pad", pad, 0b110, 0, 2});
}

}  // namespace cnn::onnx
