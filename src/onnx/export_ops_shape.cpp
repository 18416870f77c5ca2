// ONNX translations of the ops that move data: views (reshape, permute, slice, contiguous,
// clone), concat and split, channel shuffle, padding, the option-A shortcut, reductions and
// index_select. Axis arguments are our dimensions, mapped through the value's layout; a
// permute or a contiguous() emits no node at all.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "onnx/export_graph.h"

namespace cnn::onnx::exporter {
namespace {

using trace::OpCall;

int64_t axis_of(const Val& v, int64_t dim) {
  return v.perm[static_cast<size_t>(dim)];
}

void identity(GraphBuilder& b, const OpCall& c) {
  b.alias(c.outputs[0], c.inputs[0]);
}

// The layout of the first traced input, which the others are brought to.
const Val* first_traced(GraphBuilder& b, const std::vector<Tensor>& xs) {
  for (const Tensor& t : xs)
    if (!b.is_const(t)) return &b.val(t);
  return nullptr;
}

void concat(GraphBuilder& b, const OpCall& c) {
  const Val* ref = first_traced(b, c.inputs);
  const Perm perm = ref ? ref->perm : identity_perm(c.outputs[0].dim());
  const int64_t batch = ref ? ref->batch : -1;
  std::vector<std::string> inputs;
  for (const Tensor& t : c.inputs) inputs.push_back(b.in_layout(t, perm));
  const int64_t d = c.int_attr("dim");
  const std::string y = b.node1("Concat", inputs, {attr_int("axis", perm[static_cast<size_t>(d)])});
  b.bind(c.outputs[0], Val{y, perm, batch == d ? -1 : batch, {}});
}

void split(GraphBuilder& b, const OpCall& c) {
  const Val v = b.val(c.inputs[0]);
  const int64_t d = c.int_attr("dim");
  const std::vector<int64_t>& sizes = c.ints_attr("sizes");
  const std::string x = b.in_layout(c.inputs[0], v.perm);
  const std::vector<std::string> ys =
      b.opset() >= 13
          ? b.node("Split", {x, b.ints(sizes)}, {attr_int("axis", axis_of(v, d))}, sizes.size())
          : b.node("Split", {x}, {attr_int("axis", axis_of(v, d)), attr_ints("split", sizes)},
                   sizes.size());
  for (size_t k = 0; k < ys.size(); ++k)
    b.bind(c.outputs[k], Val{ys[k], v.perm, v.batch == d ? -1 : v.batch, {}});
}

// NCHW [N, C, H, W] -> [N, g, C/g, H, W] -> swap axes 1, 2 -> [N, C, H, W] (torchvision's).
void channel_shuffle(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const int64_t g = c.int_attr("groups"), h = x.size(1), w = x.size(2), ch = x.size(3);
  const std::string in = b.in_layout(x, kNCHW);
  const std::string grouped = b.node1("Reshape", {in, b.ints({0, g, ch / g, h, w})});
  const std::string swapped = b.transpose(grouped, {0, 2, 1, 3, 4});
  const std::string y = b.node1("Reshape", {swapped, b.ints({0, ch, h, w})});
  b.bind(c.outputs[0], Val{y, kNCHW, b.val(x).batch, {}});
}

// Constant, reflect or edge padding of rows (dim 1) and columns (dim 2); negative amounts
// crop, with a Slice first (ONNX's Pad wants them non-negative).
void pad2d(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  const std::vector<int64_t>& p = c.ints_attr("padding");  // top, bottom, left, right
  const int64_t rows = axis_of(v, 1), cols = axis_of(v, 2);
  std::string y = b.in_layout(x, v.perm);
  if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0) {
    const auto crop = [](int64_t a) { return std::max<int64_t>(-a, 0); };
    y = b.node1("Slice",
                {y, b.ints({crop(p[0]), crop(p[2])}),
                 b.ints({x.size(1) - crop(p[1]), x.size(2) - crop(p[3])}), b.ints({rows, cols})});
  }
  std::vector<int64_t> pads(8, 0);
  pads[static_cast<size_t>(rows)] = std::max<int64_t>(p[0], 0);
  pads[static_cast<size_t>(4 + rows)] = std::max<int64_t>(p[1], 0);
  pads[static_cast<size_t>(cols)] = std::max<int64_t>(p[2], 0);
  pads[static_cast<size_t>(4 + cols)] = std::max<int64_t>(p[3], 0);
  if (std::any_of(pads.begin(), pads.end(), [](int64_t a) { return a != 0; })) {
    const std::string& mode = c.string_attr("mode");
    std::vector<std::string> inputs{y, b.ints(pads)};
    if (mode == "constant") inputs.push_back(b.scalar(static_cast<float>(c.float_attr("value"))));
    y = b.node1("Pad", inputs, {attr_string("mode", mode)});
  }
  if (y == v.name) return identity(b, c);
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}

// The option-A shortcut x[:, ::s, ::s, :] with zero channels appended: a Slice with steps
// and a Pad of the channel axis.
void shortcut_identity(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  const int64_t s = c.int_attr("stride"), extra = c.int_attr("out_channels") - x.size(3);
  std::string y = b.in_layout(x, v.perm);
  if (s > 1) {
    const int64_t end = std::numeric_limits<int64_t>::max();
    y = b.node1("Slice", {y, b.ints({0, 0}), b.ints({end, end}),
                          b.ints({axis_of(v, 1), axis_of(v, 2)}), b.ints({s, s})});
  }
  if (extra > 0) {
    std::vector<int64_t> pads(8, 0);
    pads[static_cast<size_t>(4 + axis_of(v, 3))] = extra;
    y = b.node1("Pad", {y, b.ints(pads), b.scalar(0.0f)}, {attr_string("mode", "constant")});
  }
  if (y == v.name) return identity(b, c);
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}

// Whether y = reshape(x) is a flatten [N, ...] -> [N, F] read only by linear layers with
// constant weights, which can take the features in the order of x's ONNX value instead.
bool flatten_feeds_linear(const GraphBuilder& b, const Tensor& x, const Tensor& y, const Val& v) {
  if (y.dim() != 2 || x.dim() < 2 || y.size(0) != x.size(0) || v.perm[0] != 0) return false;
  const std::vector<Use>& uses = b.trace().uses_of(y);
  if (uses.empty()) return false;
  for (const Use& u : uses) {
    if (u.op_index == kGraphOutput) return false;
    const OpCall& user = b.trace().ops[u.op_index].call;
    if (user.op != "linear" || u.input_index != 0 || !b.is_const(user.inputs[1])) return false;
  }
  return true;
}

// feature j of ONNX's flatten of x's value (axes 1.. in order) is our feature order[j].
std::vector<int64_t> flatten_order(const Shape& shape, const Perm& perm) {
  const size_t rank = shape.size();
  Shape onnx_shape(rank);
  for (size_t k = 0; k < rank; ++k) onnx_shape[static_cast<size_t>(perm[k])] = shape[k];
  int64_t features = 1;
  for (size_t k = 1; k < rank; ++k) features *= shape[k];
  std::vector<int64_t> order(static_cast<size_t>(features));
  std::vector<int64_t> index(rank, 0);  // ONNX multi-index over axes 1..
  for (int64_t j = 0; j < features; ++j) {
    int64_t ours = 0;
    for (size_t k = 1; k < rank; ++k) ours = ours * shape[k] + index[static_cast<size_t>(perm[k])];
    order[static_cast<size_t>(j)] = ours;
    for (size_t a = rank; a-- > 1;) {
      if (++index[a] < onnx_shape[a]) break;
      index[a] = 0;
    }
  }
  return order;
}

// Reshape reads elements in order, so the value must hold them in ours: as it is when the
// layout keeps the order, otherwise with a Transpose first, or, for a flatten feeding linear
// layers, not at all (the features stay in ONNX's order, the weights' columns follow).
// The batch dimension is written as 0 (copy) or -1, so a symbolic batch survives.
void reshape(GraphBuilder& b, const OpCall& c) {
  const Tensor &x = c.inputs[0], &y = c.outputs[0];
  const Val v = b.val(x);
  if (!v.feature_order.empty())
    b.fail("a flattened map whose features are in ONNX's order can only feed a linear layer");
  std::string in;
  bool axis0_is_dim0 = true;
  if (same_element_order(x.shape(), v.perm)) {
    in = v.name;
    axis0_is_dim0 = v.perm.empty() || v.perm[0] == 0;
  } else if (flatten_feeds_linear(b, x, y, v)) {
    const std::string out = b.node1("Flatten", {v.name}, {attr_int("axis", 1)});
    b.bind(y, Val{out, {0, 1}, v.batch == 0 ? 0 : -1, flatten_order(x.shape(), v.perm)});
    return;
  } else {
    in = b.in_layout(x, identity_perm(x.dim()));
  }
  const bool keeps_batch =
      v.batch == 0 && axis0_is_dim0 && y.dim() >= 1 && x.dim() >= 1 && y.size(0) == x.size(0);
  std::string out;
  int64_t batch = -1;
  if (keeps_batch && y.dim() == 2) {
    out = b.node1("Flatten", {in}, {attr_int("axis", 1)});
    batch = 0;
  } else {
    std::vector<int64_t> target = y.shape();
    if (keeps_batch) {
      target[0] = 0, batch = 0;
    } else if (v.batch >= 0 && y.dim() >= 1 && b.options().dynamic_batch) {
      target[0] = -1, batch = 0;  // the batch lands in the first dimension
    }
    out = b.node1("Reshape", {in, b.ints(target)});
  }
  b.bind(y, Val{out, identity_perm(y.dim()), batch, {}});
}

// A permute moves no data: the value stays, its layout is composed with the permutation.
void permute(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  if (!v.feature_order.empty())
    b.fail("a flattened map whose features are in ONNX's order can only feed a linear layer");
  const std::vector<int64_t>& dims = c.ints_attr("dims");
  Perm perm(dims.size());
  int64_t batch = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = dims[i] < 0 ? dims[i] + x.dim() : dims[i];
    perm[i] = v.perm[static_cast<size_t>(d)];
    if (d == v.batch) batch = static_cast<int64_t>(i);
  }
  b.bind(c.outputs[0], Val{v.name, perm, batch, {}});
}

void slice(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  const int64_t d = c.int_attr("dim"), start = c.int_attr("start"), end = c.int_attr("end"),
                step = c.int_attr("step");
  if (start == 0 && end == x.size(d) && step == 1) return identity(b, c);
  const std::string y = b.node1("Slice", {b.in_layout(x, v.perm), b.ints({start}), b.ints({end}),
                                          b.ints({axis_of(v, d)}), b.ints({step})});
  b.bind(c.outputs[0], Val{y, v.perm, v.batch == d ? -1 : v.batch, {}});
}

// ReduceMean / ReduceSum / ReduceMax over our dimensions `dims` (all when empty).
void reduce(GraphBuilder& b, const OpCall& c, const char* op_type) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  const bool keep = c.int_attr("keepdim") != 0;
  std::vector<bool> reduced(static_cast<size_t>(x.dim()), c.ints_attr("dims").empty());
  for (int64_t d : c.ints_attr("dims"))
    reduced[static_cast<size_t>(d < 0 ? d + x.dim() : d)] = true;
  std::vector<int64_t> axes;
  for (size_t k = 0; k < reduced.size(); ++k)
    if (reduced[k]) axes.push_back(v.perm[k]);
  std::sort(axes.begin(), axes.end());
  std::vector<std::string> inputs{b.in_layout(x, v.perm)};
  std::vector<NodeAttr> attrs{attr_int("keepdims", keep ? 1 : 0)};
  if (std::string(op_type) == "ReduceSum" && b.opset() >= 13)
    inputs.push_back(b.ints(axes));
  else
    attrs.push_back(attr_ints("axes", axes));
  const std::string y = b.node1(op_type, inputs, attrs);
  // without keepdims the kept axes close up, in ONNX's order
  Perm perm;
  int64_t batch = -1;
  for (size_t k = 0; k < reduced.size(); ++k) {
    if (reduced[k] && !keep) continue;
    if (static_cast<int64_t>(k) == v.batch && !reduced[k])
      batch = static_cast<int64_t>(perm.size());
    int64_t axis = v.perm[k];
    if (!keep)
      for (int64_t a : axes) axis -= a < v.perm[k] ? 1 : 0;
    perm.push_back(axis);
  }
  b.bind(c.outputs[0], Val{y, perm, batch, {}});
}
void sum(GraphBuilder& b, const OpCall& c) {
  reduce(b, c, "ReduceSum");
}
void mean(GraphBuilder& b, const OpCall& c) {
  reduce(b, c, "ReduceMean");
}
void amax(GraphBuilder& b, const OpCall& c) {
  reduce(b, c, "ReduceMax");
}

void index_select(GraphBuilder& b, const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Val v = b.val(x);
  const int64_t d = c.int_attr("dim");
  const std::string y = b.node1("Gather", {b.in_layout(x, v.perm), b.ints(c.ints_attr("indices"))},
                                {attr_int("axis", axis_of(v, d))});
  b.bind(c.outputs[0], Val{y, v.perm, v.batch == d ? -1 : v.batch, {}});
}

}  // namespace

void add_shape_translations(std::map<std::string, Translate>& t) {
  t["contiguous"] = identity;
  t["clone"] = identity;
  t["reshape"] = reshape;
  t["permute"] = permute;
  t["slice"] = slice;
  t["concat"] = concat;
  t["split"] = split;
  t["channel_shuffle"] = channel_shuffle;
  t["pad2d"] = pad2d;
  t["shortcut_identity"] = shortcut_identity;
  t["sum"] = sum;
  t["mean"] = mean;
  t["amax"] = amax;
  t["index_select"] = index_select;
}

}  // namespace cnn::onnx::exporter
