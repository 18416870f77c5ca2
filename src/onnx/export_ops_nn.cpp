// ONNX translations of the layer ops: convolutions, linear, activations, elementwise
// arithmetic, normalization, pooling and resizing. Rank-4 activations enter and leave them in
// NCHW (kNCHW), channel-wise ops (BatchNormalization, LRN) take channels at axis 1, pointwise
// ops keep whatever layout their input has.
#include <cmath>
#include <string>
#include <vector>

#include "cnn/ops/index.h"
#include "onnx/export_graph.h"

namespace cnn::onnx::exporter {
namespace {

using trace::OpCall;

// Our HWIO convolution weight [KH, KW, I, O] as ONNX's OIHW, and our transposed-convolution
// weight [KH, KW, O/G, C] as ONNX's (C, O/G, KH, KW): dimension k goes to axis kWeightLayout[k].
const Perm kWeightLayout = {2, 3, 1, 0};

int64_t batch_of(const GraphBuilder& b, const Tensor& t) {
  return b.is_const(t) ? -1 : b.val(t).batch;
}

// A Pad2d attribute {top, bottom, left, right} -> ONNX's pads {top, left, bottom, right}.
std::vector<int64_t> onnx_pads(const std::vector<int64_t>& tblr) {
  return {tblr[0], tblr[2], tblr[1], tblr[3]};
}

// The output of a pointwise op keeps the input's layout.
void pointwise(GraphBuilder& b, const OpCall& c, const std::string& op_type,
               const std::vector<NodeAttr>& attrs = {}, std::vector<std::string> extra = {}) {
  const Val& v = b.val(c.inputs[0]);
  std::vector<std::string> inputs{b.in_layout(c.inputs[0], v.perm)};
  inputs.insert(inputs.end(), extra.begin(), extra.end());
  const std::string y = b.node1(op_type, inputs, attrs);
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}

// The convolution folded with the batch norm that follows it (GraphBuilder::bn_folds):
// W'[.., o] = W[.., o] * s[o], b'[o] = beta[o] + (bias[o] - mean[o]) * s[o],
// s = gamma / sqrt(var + eps), in double, rounded once.
void folded_weights(GraphBuilder& b, const OpCall& conv, const OpCall& bn,
                    std::vector<std::string>& inputs) {
  const Tensor w = conv.inputs[1].detach().contiguous();
  const int64_t out = w.size(3);
  const auto vec = [&](const Tensor& t, float fallback) {
    return t.defined() ? t.detach().to_vector()
                       : std::vector<float>(static_cast<size_t>(out), fallback);
  };
  const std::vector<float> bias = vec(conv.inputs[2], 0.0f), mean = vec(bn.inputs[1], 0.0f),
                           var = vec(bn.inputs[2], 1.0f), gamma = vec(bn.inputs[3], 1.0f),
                           beta = vec(bn.inputs[4], 0.0f);
  const double eps = bn.float_attr("eps");
  std::vector<double> s(static_cast<size_t>(out));
  std::vector<float> new_bias(static_cast<size_t>(out));
  for (size_t o = 0; o < s.size(); ++o) {
    s[o] = gamma[o] / std::sqrt(static_cast<double>(var[o]) + eps);
    new_bias[o] = static_cast<float>(beta[o] + (static_cast<double>(bias[o]) - mean[o]) * s[o]);
  }
  Tensor new_w = Tensor::empty(w.shape());
  const float* src = w.data();
  float* dst = new_w.data();
  for (int64_t i = 0; i < w.numel(); ++i)
    dst[i] = static_cast<float>(src[i] * s[static_cast<size_t>(i % out)]);
  const std::string w_name = b.const_name(conv.inputs[1]);
  inputs.push_back(b.initializer(new_w.permute({3, 2, 0, 1}).contiguous(), w_name));
  std::string b_name;
  if (conv.inputs[2].defined()) {
    b_name = b.const_name(conv.inputs[2]);
  } else {
    const std::string suffix = "weight";
    b_name = w_name.size() > suffix.size() &&
                     w_name.compare(w_name.size() - suffix.size(), suffix.size(), suffix) == 0
                 ? w_name.substr(0, w_name.size() - suffix.size()) + "bias"
                 : w_name + "_bias";
  }
  inputs.push_back(b.initializer(Tensor::from_data({out}, new_bias), b_name));
}

void conv(GraphBuilder& b, const OpCall& c, bool transposed) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1], &bias = c.inputs[2];
  std::vector<std::string> inputs{b.in_layout(x, kNCHW)};
  const auto fold = b.bn_folds.find(b.current_index());
  if (fold != b.bn_folds.end()) {
    folded_weights(b, c, b.trace().ops[fold->second].call, inputs);
  } else {
    inputs.push_back(b.in_layout(w, kWeightLayout));
    if (bias.defined()) inputs.push_back(b.in_layout(bias, {0}));
  }
  std::vector<NodeAttr> attrs = {
      attr_ints("kernel_shape", {w.size(0), w.size(1)}),
      attr_ints("strides", c.ints_attr("stride")),
      attr_ints("pads", onnx_pads(c.ints_attr("padding"))),
      attr_ints("dilations", c.ints_attr("dilation")),
      attr_int("group", c.int_attr("groups")),
  };
  if (transposed) attrs.push_back(attr_ints("output_padding", c.ints_attr("output_padding")));
  const std::string y = b.node1(transposed ? "ConvTranspose" : "Conv", inputs, attrs);
  const Val out{y, kNCHW, batch_of(b, x), {}};
  b.bind(c.outputs[0], out);
  if (fold != b.bn_folds.end()) b.bind(b.trace().ops[fold->second].call.outputs[0], out);
}

void conv2d(GraphBuilder& b, const OpCall& c) {
  conv(b, c, false);
}
void conv_transpose2d(GraphBuilder& b, const OpCall& c) {
  conv(b, c, true);
}

// Gemm(x, W, bias, transB = 1). A flattened map in ONNX's feature order (see reshape) takes
// the weight with its columns permuted the same way.
void linear(GraphBuilder& b, const OpCall& c) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1], &bias = c.inputs[2];
  std::vector<std::string> inputs;
  if (!b.is_const(x) && !b.val(x).feature_order.empty()) {
    const Val& v = b.val(x);
    if (!b.is_const(w)) b.fail("a weight computed in the forward pass cannot absorb a layout");
    inputs.push_back(v.name);
    const Tensor permuted = index_select(w.detach(), 1, v.feature_order);
    inputs.push_back(b.initializer(permuted, b.const_name(w)));
  } else {
    inputs.push_back(b.in_layout(x, {0, 1}));
    inputs.push_back(b.in_layout(w, {0, 1}));
  }
  if (bias.defined()) inputs.push_back(b.in_layout(bias, {0}));
  const std::string y = b.node1("Gemm", inputs, {attr_int("transB", 1)});
  b.bind(c.outputs[0], Val{y, {0, 1}, batch_of(b, x), {}});
}

void relu(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Relu");
}
void relu6(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Clip", {}, {b.scalar(0.0f), b.scalar(6.0f)});
}
void leaky_relu(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "LeakyRelu",
            {attr_float("alpha", static_cast<float>(c.float_attr("negative_slope")))});
}
void sigmoid(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Sigmoid");
}
void tanh_op(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Tanh");
}
void exp_op(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Exp");
}
void log_op(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "Log");
}
void square(GraphBuilder& b, const OpCall& c) {
  const Val& v = b.val(c.inputs[0]);
  pointwise(b, c, "Mul", {}, {b.in_layout(c.inputs[0], v.perm)});
}
// Clip with the bounds that are finite (an infinite one is left out).
void clamp(GraphBuilder& b, const OpCall& c) {
  const double lo = c.float_attr("lo"), hi = c.float_attr("hi");
  pointwise(b, c, "Clip", {},
            {std::isinf(lo) ? std::string() : b.scalar(static_cast<float>(lo)),
             std::isinf(hi) ? std::string() : b.scalar(static_cast<float>(hi))});
}
void hardsigmoid(GraphBuilder& b, const OpCall& c) {
  pointwise(b, c, "HardSigmoid",
            {attr_float("alpha", static_cast<float>(c.float_attr("alpha"))),
             attr_float("beta", static_cast<float>(c.float_attr("beta")))});
}
// HardSwish from opset 14; before, x * HardSigmoid(x, 1/6, 1/2).
void hardswish(GraphBuilder& b, const OpCall& c) {
  if (b.opset() >= 14) return pointwise(b, c, "HardSwish");
  const Val v = b.val(c.inputs[0]);
  const std::string gate = b.node1("HardSigmoid", {v.name},
                                   {attr_float("alpha", 1.0f / 6.0f), attr_float("beta", 0.5f)});
  b.bind(c.outputs[0], Val{b.node1("Mul", {v.name, gate}), v.perm, v.batch, {}});
}
// PRelu: the slope broadcast (unidirectionally) in x's layout, [C] as [C, 1, 1] under NCHW.
void prelu(GraphBuilder& b, const OpCall& c) {
  const Val v = b.val(c.inputs[0]);
  const std::string y = b.node1(
      "PRelu",
      {b.in_layout(c.inputs[0], v.perm), b.in_layout_rank(c.inputs[1], v.perm, c.inputs[0].dim())});
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}

// Dropout in training mode is reported only when a module forces it; ONNX inference drops it.
void identity(GraphBuilder& b, const OpCall& c) {
  b.alias(c.outputs[0], c.inputs[0]);
}

// Softmax along our dimension d: ONNX's axis is where d sits. Before opset 13 Softmax
// flattens from its axis on, which is the same only when the axis is the last one.
void softmax(GraphBuilder& b, const OpCall& c, const char* op_type) {
  const Tensor& x = c.inputs[0];
  const int64_t d = c.int_attr("dim");
  Val v = b.val(x);
  std::string in;
  if (b.opset() >= 13) {
    in = b.in_layout(x, v.perm);
  } else {
    if (d != x.dim() - 1)
      b.fail("softmax over dimension ", d, " of a rank-", x.dim(),
             " tensor (not the last) needs opset 13 or later");
    v.perm = identity_perm(x.dim());
    in = b.in_layout(x, v.perm);
  }
  const std::string y = b.node1(op_type, {in}, {attr_int("axis", v.perm[static_cast<size_t>(d)])});
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}
void softmax_op(GraphBuilder& b, const OpCall& c) {
  softmax(b, c, "Softmax");
}
void log_softmax(GraphBuilder& b, const OpCall& c) {
  softmax(b, c, "LogSoftmax");
}

// Broadcasting arithmetic: both operands in the layout of the first traced one of full rank;
// constants become initializers in that layout (a per-channel [C] as [C, 1, 1] under NCHW).
void binary(GraphBuilder& b, const OpCall& c, const char* op_type) {
  const Tensor &x = c.inputs[0], &z = c.inputs[1];
  const int64_t rank = std::max(x.dim(), z.dim());
  Perm perm = identity_perm(rank);
  int64_t batch = -1;
  for (const Tensor* t : {&x, &z})
    if (!b.is_const(*t) && t->dim() == rank) {
      perm = b.val(*t).perm;
      batch = b.val(*t).batch;
      break;
    }
  const std::string y =
      b.node1(op_type, {b.in_layout_rank(x, perm, rank), b.in_layout_rank(z, perm, rank)});
  b.bind(c.outputs[0], Val{y, perm, batch, {}});
}
void add(GraphBuilder& b, const OpCall& c) {
  binary(b, c, "Add");
}
void sub(GraphBuilder& b, const OpCall& c) {
  binary(b, c, "Sub");
}
void mul(GraphBuilder& b, const OpCall& c) {
  binary(b, c, "Mul");
}
void div(GraphBuilder& b, const OpCall& c) {
  binary(b, c, "Div");
}

// x * scale + shift (neg is affine(x, -1, 0)).
void affine(GraphBuilder& b, const OpCall& c) {
  const float scale = static_cast<float>(c.float_attr("scale"));
  const float shift = static_cast<float>(c.float_attr("shift"));
  const Val& v = b.val(c.inputs[0]);
  if (scale == -1.0f && shift == 0.0f) return pointwise(b, c, "Neg");
  if (scale == 1.0f && shift == 0.0f) return identity(b, c);
  std::string y = b.in_layout(c.inputs[0], v.perm);
  if (scale != 1.0f) y = b.node1("Mul", {y, b.scalar(scale)});
  if (shift != 0.0f) y = b.node1("Add", {y, b.scalar(shift)});
  b.bind(c.outputs[0], Val{y, v.perm, v.batch, {}});
}

void batch_norm(GraphBuilder& b, const OpCall& c) {
  if (b.folded_bns.count(b.current_index())) return;  // the convolution before it took it
  if (c.int_attr("training") != 0)
    b.fail(
        "batch norm in training mode (batch statistics) cannot be exported; export runs "
        "modules in evaluation mode, so batch_norm was called with training = true");
  const Tensor& x = c.inputs[0];
  const int64_t channels = x.size(-1);
  const auto vec = [&](const Tensor& t, float fallback) {
    return t.defined() ? b.in_layout(t, {0})
                       : b.floats(std::vector<float>(static_cast<size_t>(channels), fallback));
  };
  const Perm perm = channels_at_1(x.dim());
  const std::string y =
      b.node1("BatchNormalization",
              {b.in_layout(x, perm), vec(c.inputs[3], 1.0f), vec(c.inputs[4], 0.0f),
               b.in_layout(c.inputs[1], {0}), b.in_layout(c.inputs[2], {0})},
              {attr_float("epsilon", static_cast<float>(c.float_attr("eps")))});
  b.bind(c.outputs[0], Val{y, perm, batch_of(b, x), {}});
}

// ONNX's LRN sums channels c - floor((size-1)/2) .. c + ceil((size-1)/2), PyTorch's (ours)
// c - size/2 .. c + (size-1)/2: the same windows for odd sizes only.
void local_response_norm(GraphBuilder& b, const OpCall& c) {
  const int64_t size = c.int_attr("size");
  if (size % 2 == 0)
    b.fail("local response norm with the even size ", size,
           " has no ONNX form (ONNX's LRN centres even windows the other way)");
  const Tensor& x = c.inputs[0];
  const Perm perm = channels_at_1(x.dim());
  const std::string y = b.node1(
      "LRN", {b.in_layout(x, perm)},
      {attr_int("size", size), attr_float("alpha", static_cast<float>(c.float_attr("alpha"))),
       attr_float("beta", static_cast<float>(c.float_attr("beta"))),
       attr_float("bias", static_cast<float>(c.float_attr("k")))});
  b.bind(c.outputs[0], Val{y, perm, batch_of(b, x), {}});
}

// ONNX's pooled size, floor or (ceil_mode) ceil of (in + pads - window) / stride, plus one.
// PyTorch's ceil mode also drops a last window that would start in the padding, which gives
// the floor size, so ceil_mode is chosen from the traced output's size rather than copied.
int64_t onnx_pool_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_sum,
                       int64_t dilation, bool ceil) {
  const int64_t span = in + pad_sum - (dilation * (kernel - 1) + 1);
  return (ceil ? (span + stride - 1) / stride : span / stride) + 1;
}

// MaxPool or AveragePool; global_max_pool2d (one window over the image) as GlobalMaxPool;
// max_pool2d_with_indices with ONNX's Indices, which count over the whole NCHW tensor
// ((n * C + c) * H + h) * W + w, taken modulo H * W to give cnn's h * W + w.
void pool(GraphBuilder& b, const OpCall& c, bool max) {
  const Tensor &x = c.inputs[0], &y = c.outputs[0];
  const std::string in = b.in_layout(x, kNCHW);
  if (c.op == "global_max_pool2d") {
    b.bind(y, Val{b.node1("GlobalMaxPool", {in}), kNCHW, batch_of(b, x), {}});
    return;
  }
  const std::vector<int64_t> kernel = c.ints_attr("kernel"), stride = c.ints_attr("stride"),
                             pad = c.ints_attr("padding");
  const std::vector<int64_t> dilation = max ? c.ints_attr("dilation") : std::vector<int64_t>{1, 1};
  const auto sizes_match = [&](bool ceil) {
    for (int a = 0; a < 2; ++a)
      if (onnx_pool_size(x.size(1 + a), kernel[a], stride[a], pad[2 * a] + pad[2 * a + 1],
                         dilation[a], ceil) != y.size(1 + a))
        return false;
    return true;
  };
  const bool ceil = !sizes_match(false);
  if (ceil && !sizes_match(true))
    b.fail("no ONNX ceil_mode gives the output ", to_string(y.shape()), " for input ",
           to_string(x.shape()), " (PyTorch's ceil mode dropped a last window on one axis only)");
  std::vector<NodeAttr> attrs = {attr_ints("kernel_shape", kernel), attr_ints("strides", stride),
                                 attr_ints("pads", onnx_pads(pad)),
                                 attr_int("ceil_mode", ceil ? 1 : 0)};
  if (max) {
    attrs.push_back(attr_ints("dilations", dilation));
  } else {
    // without padding, counting it or not is the same; saying so spares runtimes the question
    // of windows that ceil_mode lets reach beyond the padded input
    const bool no_pad = pad[0] == 0 && pad[1] == 0 && pad[2] == 0 && pad[3] == 0;
    attrs.push_back(attr_int("count_include_pad", no_pad ? 0 : c.int_attr("count_include_pad")));
  }
  const bool indices = c.outputs.size() > 1 && !b.trace().uses_of(c.outputs[1]).empty();
  const std::vector<std::string> outs =
      b.node(max ? "MaxPool" : "AveragePool", {in}, attrs, indices ? 2 : 1);
  b.bind(y, Val{outs[0], kNCHW, batch_of(b, x), {}});
  if (indices) {
    const std::string plane = b.node1("Mod", {outs[1], b.ints({x.size(1) * x.size(2)})});
    b.bind(c.outputs[1], Val{plane, kNCHW, batch_of(b, x), {}});
  } else if (c.outputs.size() > 1) {
    b.bind(c.outputs[1], Val{outs[0], kNCHW, -1, {}});  // unused
  }
}
void max_pool2d(GraphBuilder& b, const OpCall& c) {
  pool(b, c, true);
}
void avg_pool2d(GraphBuilder& b, const OpCall& c) {
  pool(b, c, false);
}

// The averaging matrix of adaptive pooling along one axis, [in, out] (transposed: [out, in]):
// bin i averages [floor(i * in / out), ceil((i + 1) * in / out)).
Tensor adaptive_matrix(int64_t in, int64_t out, bool transposed) {
  Tensor m = Tensor::zeros(transposed ? Shape{out, in} : Shape{in, out});
  float* p = m.data();
  for (int64_t i = 0; i < out; ++i) {
    const int64_t lo = i * in / out, hi = ((i + 1) * in + out - 1) / out;
    for (int64_t k = lo; k < hi; ++k)
      p[transposed ? i * in + k : k * out + i] = 1.0f / static_cast<float>(hi - lo);
  }
  return m;
}

// 1x1: GlobalAveragePool; sizes that divide evenly: AveragePool; otherwise (overlapping or
// repeated bins) two MatMuls with the bins' averaging matrices, rows and columns.
void adaptive_avg_pool2d(GraphBuilder& b, const OpCall& c) {
  const Tensor &x = c.inputs[0], &y = c.outputs[0];
  const int64_t h = x.size(1), w = x.size(2), oh = y.size(1), ow = y.size(2);
  const std::string in = b.in_layout(x, kNCHW);
  std::string out;
  if (oh == 1 && ow == 1) {
    out = b.node1("GlobalAveragePool", {in});
  } else if (h % oh == 0 && w % ow == 0) {
    out = b.node1(
        "AveragePool", {in},
        {attr_ints("kernel_shape", {h / oh, w / ow}), attr_ints("strides", {h / oh, w / ow})});
  } else {
    const std::string cols =
        b.node1("MatMul", {in, b.initializer(adaptive_matrix(w, ow, false), "adaptive_pool_cols")});
    out = b.node1("MatMul",
                  {b.initializer(adaptive_matrix(h, oh, true), "adaptive_pool_rows"), cols});
  }
  b.bind(y, Val{out, kNCHW, batch_of(b, x), {}});
}

// Resize to the traced size: with a symbolic batch, sizes = concat(shape(x)[0:2], [OH, OW]).
void resize(GraphBuilder& b, const OpCall& c, bool bilinear) {
  const Tensor &x = c.inputs[0], &y = c.outputs[0];
  const std::string in = b.in_layout(x, kNCHW);
  std::string sizes;
  if (b.options().dynamic_batch) {
    const std::string shape = b.node1("Shape", {in});
    const std::string nc = b.node1("Slice", {shape, b.ints({0}), b.ints({2})});
    sizes = b.node1("Concat", {nc, b.ints({y.size(1), y.size(2)})}, {attr_int("axis", 0)});
  } else {
    sizes = b.ints({y.size(0), y.size(3), y.size(1), y.size(2)});
  }
  const std::string empty = b.opset() >= 13 ? std::string() : b.floats({});
  std::vector<NodeAttr> attrs;
  if (bilinear) {
    const bool corners = c.int_attr("align_corners") != 0;
    const bool single = y.size(1) == 1 || y.size(2) == 1;
    attrs = {attr_string("mode", "linear"),
             attr_string("coordinate_transformation_mode", corners  ? "align_corners"
                                                           : single ? "half_pixel"
                                                                    : "pytorch_half_pixel")};
  } else {
    attrs = {attr_string("mode", "nearest"),
             attr_string("coordinate_transformation_mode", "asymmetric"),
             attr_string("nearest_mode", "floor")};
  }
  const std::string out = b.node1("Resize", {in, empty, empty, sizes}, attrs);
  b.bind(y, Val{out, kNCHW, batch_of(b, x), {}});
}
void upsample_nearest2d(GraphBuilder& b, const OpCall& c) {
  resize(b, c, false);
}
void upsample_bilinear2d(GraphBuilder& b, const OpCall& c) {
  resize(b, c, true);
}

}  // namespace

void add_nn_translations(std::map<std::string, Translate>& t) {
  t["conv2d"] = conv2d;
  t["conv_transpose2d"] = conv_transpose2d;
  t["linear"] = linear;
  t["relu"] = relu;
  t["relu6"] = relu6;
  t["leaky_relu"] = leaky_relu;
  t["sigmoid"] = sigmoid;
  t["tanh"] = tanh_op;
  t["exp"] = exp_op;
  t["log"] = log_op;
  t["square"] = square;
  t["dropout"] = identity;
  t["softmax"] = softmax_op;
  t["log_softmax"] = log_softmax;
  t["add"] = add;
  t["sub"] = sub;
  t["mul"] = mul;
  t["div"] = div;
  t["affine"] = affine;
  t["batch_norm"] = batch_norm;
  t["local_response_norm"] = local_response_norm;
  t["clamp"] = clamp;
  t["hardsigmoid"] = hardsigmoid;
  t["hardswish"] = hardswish;
  t["prelu"] = prelu;
  t["max_pool2d"] = max_pool2d;
  t["max_pool2d_with_indices"] = max_pool2d;
  t["global_max_pool2d"] = max_pool2d;
  t["avg_pool2d"] = avg_pool2d;
  t["adaptive_avg_pool2d"] = adaptive_avg_pool2d;
  t["global_avg_pool2d"] = adaptive_avg_pool2d;
  t["upsample_nearest2d"] = upsample_nearest2d;
  t["upsample_bilinear2d"] = upsample_bilinear2d;
}

}  // namespace cnn::onnx::exporter
