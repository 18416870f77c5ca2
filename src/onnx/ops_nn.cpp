// Convolution, pooling and normalization nodes, on NHWC data. 1-D forms ([N, C, L]) run as
// 2-D ones over a single row.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/conv.h"
#include "cnn/ops/conv_transpose.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/norm.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/reduce.h"
#include "cnn/ops/shape.h"
#include "onnx/ops.h"
#include "onnx/window.h"

namespace cnn::onnx {
namespace {

const Perm kNHWC{0, 2, 3, 1};
const Perm kHWIO{2, 3, 1, 0};

// The spatial input as NHWC [N, H, W, C]: rank 4 as it is, rank 3 ([N, C, L]) as one row.
Tensor spatial_input(const Node& n, const std::vector<Value>& in, size_t i) {
  CNN_CHECK(present(in, i), n.where(), ": input ", i, " is required");
  const int64_t rank = in[i].rank();
  CNN_CHECK(rank == 3 || rank == 4, n.where(), ": input ", i,
            " must be [N, C, H, W] or [N, C, L], got shape ", to_string(in[i].logical_shape()),
            " (3-D convolutions and pools are not supported)");
  Tensor t = stored_as(in[i], channels_last_perm(rank));
  if (rank == 3) t = t.reshape({t.size(0), 1, t.size(1), t.size(2)});
  return t;
}

// The NHWC result back at the input's rank.
Value spatial_output(Tensor y, int64_t rank) {
  if (rank == 3) y = y.reshape({y.size(0), y.size(2), y.size(3)});
  return value_of(std::move(y), channels_last_perm(rank));
}

// A Conv or ConvTranspose weight ([O, C/G, kH, kW], or [O, C/G, k] for 1-D) as the HWIO
// [kH, kW, C/G, O] the kernels read, a 1-D one as a single row.
Tensor spatial_weight(const Node& n, const std::vector<Value>& in, int64_t rank) {
  if (rank == 4) return input(n, in, 1, kHWIO);
  const Tensor w = input(n, in, 1, {2, 1, 0});
  return w.reshape({1, w.size(0), w.size(1), w.size(2)});
}

// A window op's result sized by its attributes: [batch, h, w, channels], and the padded input
// when the op pads explicitly, checked before anything is allocated (computed in double, so
// that hostile attributes cannot overflow the arithmetic here either).
void check_window_result(const Node& n, const RunContext& ctx, int64_t batch, double h, double w,
                         int64_t channels) {
  const double limit = static_cast<double>(kMaxExtent);
  CNN_CHECK(h <= limit && w <= limit, n.where(), ": a result of ", h, " x ", w,
            " positions is too large");
  const auto extent = [](double e) { return std::max<int64_t>(0, static_cast<int64_t>(e)); };
  checked_result_size(n, {batch, extent(h), extent(w), channels}, ctx);
}

// The [N, H, W, C] result of a window over x, extents rounded up (ceil_mode at most adds one).
void check_window_result(const Node& n, const RunContext& ctx, const Tensor& x, const Window& win,
                         int64_t channels) {
  const auto out = [](double size, double before, double after, double k, double s, double d) {
    return std::ceil((size + before + after - d * (k - 1) - 1) / s) + 1;
  };
  check_window_result(n, ctx, x.size(0),
                      out(static_cast<double>(x.size(1)), static_cast<double>(win.pad.top),
                          static_cast<double>(win.pad.bottom), static_cast<double>(win.kernel.h),
                          static_cast<double>(win.stride.h), static_cast<double>(win.dilation.h)),
                      out(static_cast<double>(x.size(2)), static_cast<double>(win.pad.left),
                          static_cast<double>(win.pad.right), static_cast<double>(win.kernel.w),
                          static_cast<double>(win.stride.w), static_cast<double>(win.dilation.w)),
                      channels);
  check_window_result(
      n, ctx, x.size(0),
      static_cast<double>(x.size(1)) + static_cast<double>(win.pad.top + win.pad.bottom),
      static_cast<double>(x.size(2)) + static_cast<double>(win.pad.left + win.pad.right),
      x.size(3));
}

}  // namespace

Window window(const Node& n, int64_t rank, int64_t h, int64_t w, Size2 kernel_from_weight) {
  const size_t dims = static_cast<size_t>(rank - 2);
  const auto pair = [&](const char* name, int64_t fallback) {
    const std::vector<int64_t> v = n.attrs.ints(name, std::vector<int64_t>(dims, fallback));
    CNN_CHECK(v.size() == dims, n.where(), ": attribute '", name, "' has ", v.size(),
              " values for ", dims, " spatial dimension(s)");
    for (int64_t e : v)
      CNN_CHECK(e >= 1 && e <= kMaxExtent, n.where(), ": attribute '", name, "' must lie in [1, ",
                kMaxExtent, "], got ", e);
    return dims == 1 ? Size2(1, v[0]) : Size2(v[0], v[1]);
  };
  Window win;
  win.kernel = n.attrs.has("kernel_shape") ? pair("kernel_shape", 1) : kernel_from_weight;
  CNN_CHECK(win.kernel.h >= 1 && win.kernel.w >= 1, n.where(),
            ": attribute 'kernel_shape' is required");
  win.stride = pair("strides", 1);
  win.dilation = pair("dilations", 1);
  const std::string auto_pad = n.attrs.s("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const std::vector<int64_t> p = n.attrs.ints("pads", std::vector<int64_t>(2 * dims, 0));
    CNN_CHECK(p.size() == 2 * dims, n.where(), ": attribute 'pads' has ", p.size(),
              " values, expected ", 2 * dims);
    for (int64_t e : p)
      CNN_CHECK(e >= 0 && e <= kMaxExtent, n.where(), ": attribute 'pads' must lie in [0, ",
                kMaxExtent, "], got ", e);
    win.pad = dims == 1 ? Pad2d(0, 0, p[0], p[1]) : Pad2d(p[0], p[2], p[1], p[3]);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // out = ceil(in / stride); the total padding that makes it so, the odd cell at the end
    // (SAME_UPPER) or at the beginning (SAME_LOWER)
    const auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& before,
                          int64_t& after) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
      before = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      after = total - before;
    };
    same(h, win.kernel.h, win.stride.h, win.dilation.h, win.pad.top, win.pad.bottom);
    same(w, win.kernel.w, win.stride.w, win.dilation.w, win.pad.left, win.pad.right);
  } else {
    CNN_CHECK(auto_pad == "VALID", n.where(), ": unknown auto_pad '", auto_pad, "'");
  }
  return win;
}

namespace {

ConvActivation activation_of(int kind) {
  return kind == 1   ? ConvActivation::relu
         : kind == 2 ? ConvActivation::relu6
                     : ConvActivation::none;
}

std::vector<Value> conv(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const int64_t rank = in[0].rank();
  Tensor x = spatial_input(n, in, 0);
  CNN_CHECK(present(in, 1) && in[1].rank() == rank, n.where(), ": weight must have rank ", rank,
            ", got shape ", present(in, 1) ? to_string(in[1].logical_shape()) : "none");
  const Tensor w = spatial_weight(n, in, rank);  // HWIO
  const Tensor b = present(in, 2) ? input(n, in, 2) : Tensor();
  const Window win = window(n, rank, x.size(1), x.size(2), Size2(w.size(0), w.size(1)));
  CNN_CHECK(win.kernel == Size2(w.size(0), w.size(1)), n.where(),
            ": kernel_shape disagrees with the weight's shape ", to_string(in[1].logical_shape()));
  check_window_result(n, ctx, x, win, w.size(3));
  const Conv2dOptions options{.stride = win.stride,
                              .padding = win.pad,
                              .dilation = win.dilation,
                              .groups = n.attrs.i("group", 1)};
  const ConvFusion& f = n.fusion;
  if (f.absorbed.empty()) return {spatial_output(conv2d(x, w, b, options), rank)};

  // The inference fusion: act(bn(conv(x)) + residual) in the kernel's epilogue.
  const auto extent = [](int64_t size, int64_t before, int64_t after, int64_t k, int64_t s,
                         int64_t d) { return (size + before + after - d * (k - 1) - 1) / s + 1; };
  const Shape out_shape{
      x.size(0),
      extent(x.size(1), win.pad.top, win.pad.bottom, w.size(0), win.stride.h, win.dilation.h),
      extent(x.size(2), win.pad.left, win.pad.right, w.size(1), win.stride.w, win.dilation.w),
      w.size(3)};
  const Tensor residual = f.residual ? stored_as(in[7], kNHWC) : Tensor();
  // a residual that needs broadcasting is added after the kernel
  const bool fuse_residual = residual.defined() && residual.shape() == out_shape;
  const ConvActivation act = activation_of(f.activation);
  const ConvActivation fused_act = !f.residual || fuse_residual ? act : ConvActivation::none;
  Tensor y;
  if (f.batch_norm) {
    const ConvBatchNorm bn{.running_mean = input(n, in, 5),
                           .running_var = input(n, in, 6),
                           .gamma = input(n, in, 3),
                           .beta = input(n, in, 4),
                           .eps = f.bn_eps};
    y = conv2d_bn_act(x, w, b, bn, fuse_residual ? residual : Tensor(), fused_act, options);
  } else {
    y = conv2d_act(x, w, b, fused_act, options, fuse_residual ? residual : Tensor());
  }
  if (f.residual && !fuse_residual) {
    y = add(y, residual);
    if (act == ConvActivation::relu) y = relu(y);
    if (act == ConvActivation::relu6) y = relu6(y);
  }
  return {spatial_output(y, rank)};
}

// ConvTranspose: the weight (C, O/group, kH, kW) read as HWIO [kH, kW, O/group, C]; the
// padding from `pads`, or from `output_shape` / auto_pad as the spec's total padding
//   total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - out
// split with the odd cell at the end for SAME_UPPER and explicit output shapes.
std::vector<Value> conv_transpose(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const int64_t rank = in[0].rank();
  Tensor x = spatial_input(n, in, 0);
  CNN_CHECK(present(in, 1) && in[1].rank() == rank, n.where(), ": weight must have rank ", rank);
  const Tensor w = spatial_weight(n, in, rank);
  const Tensor b = present(in, 2) ? input(n, in, 2) : Tensor();
  const size_t dims = static_cast<size_t>(rank - 2);
  const auto pair = [&](const char* name, int64_t fallback) {
    const std::vector<int64_t> v = n.attrs.ints(name, std::vector<int64_t>(dims, fallback));
    CNN_CHECK(v.size() == dims, n.where(), ": attribute '", name, "' has ", v.size(),
              " values for ", dims, " spatial dimension(s)");
    for (int64_t e : v)
      CNN_CHECK(std::abs(e) <= kMaxExtent, n.where(), ": attribute '", name, "' value ", e,
                " is out of range");
    return dims == 1 ? Size2(0, v[0]) : Size2(v[0], v[1]);
  };
  Size2 stride = pair("strides", 1), dilation = pair("dilations", 1),
        out_pad = pair("output_padding", 0);
  if (dims == 1) stride.h = dilation.h = 1;
  const Size2 kernel(w.size(0), w.size(1));
  const int64_t group = n.attrs.i("group", 1);
  CNN_CHECK(group >= 1 && group <= x.size(3), n.where(), ": group ", group, " for ", x.size(3),
            " input channels");
  Pad2d pad;
  const std::string auto_pad = n.attrs.s("auto_pad", "NOTSET");
  const std::vector<int64_t> output_shape = n.attrs.ints("output_shape");
  for (const char* name : {"output_shape", "pads"})
    for (int64_t e : n.attrs.ints(name))
      CNN_CHECK(std::abs(e) <= kMaxExtent, n.where(), ": attribute '", name, "' value ", e,
                " is out of range");
  if (!output_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    Size2 out(x.size(1) * stride.h, x.size(2) * stride.w);
    if (!output_shape.empty()) {
      CNN_CHECK(output_shape.size() == dims, n.where(), ": output_shape has ", output_shape.size(),
                " values");
      out = dims == 1 ? Size2(1, output_shape[0]) : Size2(output_shape[0], output_shape[1]);
    }
    // a negative total (an output larger than the scatter reaches) is extra output padding
    const auto split = [&](int64_t size, int64_t o, int64_t k, int64_t s, int64_t d, int64_t& op,
                           int64_t& before, int64_t& after) {
      const int64_t total = s * (size - 1) + op + (k - 1) * d + 1 - o;
      if (total < 0) op -= total;
      before = total < 0 ? 0 : auto_pad == "SAME_LOWER" ? total - total / 2 : total / 2;
      after = total < 0 ? 0 : total - before;
    };
    split(x.size(1), out.h, kernel.h, stride.h, dilation.h, out_pad.h, pad.top, pad.bottom);
    split(x.size(2), out.w, kernel.w, stride.w, dilation.w, out_pad.w, pad.left, pad.right);
  } else if (auto_pad == "NOTSET") {
    const std::vector<int64_t> p = n.attrs.ints("pads", std::vector<int64_t>(2 * dims, 0));
    CNN_CHECK(p.size() == 2 * dims, n.where(), ": attribute 'pads' has ", p.size(), " values");
    pad = dims == 1 ? Pad2d(0, 0, p[0], p[1]) : Pad2d(p[0], p[2], p[1], p[3]);
  }
  // out = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pads
  const auto out = [](double size, double s, double op, double k, double d, double before,
                      double after) {
    return s * (size - 1) + op + (k - 1) * d + 1 - before - after;
  };
  check_window_result(n, ctx, x.size(0),
                      out(static_cast<double>(x.size(1)), static_cast<double>(stride.h),
                          static_cast<double>(out_pad.h), static_cast<double>(kernel.h),
                          static_cast<double>(dilation.h), static_cast<double>(pad.top),
                          static_cast<double>(pad.bottom)),
                      out(static_cast<double>(x.size(2)), static_cast<double>(stride.w),
                          static_cast<double>(out_pad.w), static_cast<double>(kernel.w),
                          static_cast<double>(dilation.w), static_cast<double>(pad.left),
                          static_cast<double>(pad.right)),
                      w.size(2) * group);
  const Tensor y = conv_transpose2d(x, w, b,
                                    {.stride = stride,
                                     .padding = pad,
                                     .output_padding = out_pad,
                                     .dilation = dilation,
                                     .groups = group});
  return {spatial_output(y, rank)};
}

// MaxPool, with the optional Indices output: flat positions in the [N, C, H, W] input,
// ((n * C + c) * H + h) * W + w, or with storage_order 1 (column major) (n * C + c) * H * W +
// w * H + h.
std::vector<Value> max_pool(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const int64_t rank = in[0].rank();
  Tensor x = spatial_input(n, in, 0);
  const Window win = window(n, rank, x.size(1), x.size(2), Size2(0));
  check_window_result(n, ctx, x, win, x.size(3));
  const int64_t order = n.attrs.i("storage_order", 0);
  CNN_CHECK(order == 0 || order == 1, n.where(), ": storage_order must be 0 or 1, got ", order);
  const bool want_indices = n.outputs.size() > 1 && n.outputs[1] >= 0;
  const bool ceil_mode = n.attrs.i("ceil_mode", 0) != 0;
  Pad2d pad = win.pad;
  // PyTorch's kernels take at most half the kernel of padding per side; pad wider explicitly
  if (pad.top * 2 > win.kernel.h || pad.bottom * 2 > win.kernel.h || pad.left * 2 > win.kernel.w ||
      pad.right * 2 > win.kernel.w) {
    CNN_CHECK(!want_indices, n.where(),
              ": the Indices output with padding wider than half the kernel is not supported");
    x = pad2d(x, pad, -std::numeric_limits<float>::infinity());
    pad = Pad2d(0);
  }
  const MaxPool2dOptions options{.kernel = win.kernel,
                                 .stride = win.stride,
                                 .padding = pad,
                                 .dilation = win.dilation,
                                 .ceil_mode = ceil_mode};
  if (!want_indices) return {spatial_output(max_pool2d(x, options), rank)};
  const MaxPool2dWithIndices r = max_pool2d_with_indices(x, options);
  const int64_t h = x.size(1), w = x.size(2), c = x.size(3);
  std::vector<int64_t> idx = r.indices.contiguous().to_vector_i64();
  const int64_t per_image = idx.empty() ? 0 : static_cast<int64_t>(idx.size()) / x.size(0);
  for (size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0) continue;
    const int64_t image = static_cast<int64_t>(i) / per_image,
                  channel = static_cast<int64_t>(i) % c;
    const int64_t row = idx[i] / w, col = idx[i] % w;
    idx[i] = (image * c + channel) * h * w + (order == 0 ? row * w + col : col * h + row);
  }
  Tensor indices = Tensor::from_data_i64(r.indices.shape(), idx);
  if (rank == 3)
    indices = Tensor::from_data_i64({indices.size(0), indices.size(2), indices.size(3)}, idx);
  return {spatial_output(r.y, rank), value_of(indices, channels_last_perm(rank))};
}

std::vector<Value> average_pool(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const int64_t rank = in[0].rank();
  Tensor x = spatial_input(n, in, 0);
  const Window win = window(n, rank, x.size(1), x.size(2), Size2(0));
  check_window_result(n, ctx, x, win, x.size(3));
  CNN_CHECK(win.dilation == Size2(1), n.where(), ": dilated average pooling is not supported");
  const bool include_pad = n.attrs.i("count_include_pad", 0) != 0;
  const bool ceil_mode = n.attrs.i("ceil_mode", 0) != 0;
  Pad2d pad = win.pad;
  if (pad.top * 2 > win.kernel.h || pad.bottom * 2 > win.kernel.h || pad.left * 2 > win.kernel.w ||
      pad.right * 2 > win.kernel.w) {
    // PyTorch's kernels take at most half the kernel of padding per side: pad explicitly, and
    // without count_include_pad divide by the pooled count of real cells instead
    const AvgPool2dOptions o{.kernel = win.kernel, .stride = win.stride, .ceil_mode = ceil_mode};
    const Tensor sums = avg_pool2d(pad2d(x, pad, 0.0f), o);
    if (include_pad) return {spatial_output(sums, rank)};
    Tensor ones = Tensor::ones({1, x.size(1), x.size(2), 1});
    const Tensor counts = avg_pool2d(pad2d(ones, pad, 0.0f), o);
    return {spatial_output(div(sums, counts), rank)};
  }
  return {spatial_output(avg_pool2d(x, {.kernel = win.kernel,
                                        .stride = win.stride,
                                        .padding = pad,
                                        .ceil_mode = ceil_mode,
                                        .count_include_pad = include_pad}),
                         rank)};
}

// The mean (or maximum) over every dimension but batch and channels, kept as extents of 1.
template <bool kMax>
std::vector<Value> global_pool(const Node& n, const std::vector<Value>& in, RunContext&) {
  const int64_t rank = in[0].rank();
  CNN_CHECK(rank >= 3, n.where(), ": input must be [N, C, ...], got shape ",
            to_string(in[0].logical_shape()));
  const Tensor x = input(n, in, 0, channels_last_perm(rank));
  if (rank == 4) return {value_of(kMax ? global_max_pool2d(x) : global_avg_pool2d(x), kNHWC)};
  Shape dims;
  for (int64_t d = 1; d < rank - 1; ++d) dims.push_back(d);
  return {value_of(kMax ? amax(x, dims, true) : mean(x, dims, true), channels_last_perm(rank))};
}

std::vector<Value> batch_normalization(const Node& n, const std::vector<Value>& in,
                                       RunContext& ctx) {
  const int64_t rank = in[0].rank();
  CNN_CHECK(rank >= 2, n.where(), ": input must be [N, C, ...], got shape ",
            to_string(in[0].logical_shape()));
  const Perm layout = channels_last_perm(rank);
  const Tensor x = input(n, in, 0, layout);
  const Tensor gamma = input(n, in, 1), beta = input(n, in, 2);
  const Tensor mean_in = input(n, in, 3), var_in = input(n, in, 4);
  const float eps = n.attrs.f("epsilon", 1e-5f);
  const float momentum = n.attrs.f("momentum", 0.9f);
  const bool training_attr = n.opset >= 14 && n.attrs.i("training_mode", 0) != 0;
  if (training_attr) {
    // ONNX's training mode: batch statistics, and the updated running statistics as outputs,
    // running = running * momentum + batch * (1 - momentum) with the biased batch variance.
    Tensor y = batch_norm(x, Tensor(), Tensor(), gamma, beta, {.training = true, .eps = eps});
    std::vector<Value> out{value_of(y, layout)};
    Shape dims;
    for (int64_t d = 0; d < rank - 1; ++d) dims.push_back(d);
    const Tensor m = mean(x, dims);
    const Tensor v = mean(square(sub(x, m)), dims);
    out.push_back(value_of(add(mean_in * momentum, m * (1.0f - momentum))));
    out.push_back(value_of(add(var_in * momentum, v * (1.0f - momentum))));
    return out;
  }
  // cnn's momentum weighs the batch statistic: 1 - ONNX's
  const BatchNormOptions options{.training = ctx.training, .momentum = 1.0f - momentum, .eps = eps};
  return {value_of(batch_norm(x, mean_in, var_in, gamma, beta, options), layout)};
}

std::vector<Value> lrn(const Node& n, const std::vector<Value>& in, RunContext&) {
  const int64_t rank = in[0].rank();
  const int64_t size = n.attrs.i("size");
  CNN_CHECK(
      size >= 1 && size % 2 == 1, n.where(), ": LRN size ", size,
      " is not supported (odd sizes only: ONNX and PyTorch place an even window differently)");
  const Perm layout = channels_last_perm(rank);
  const Tensor x = input(n, in, 0, layout);
  return {value_of(local_response_norm(x, {.size = size,
                                           .alpha = n.attrs.f("alpha", 1e-4f),
                                           .beta = n.attrs.f("beta", 0.75f),
                                           .k = n.attrs.f("bias", 1.0f)}),
                   layout)};
}

// The output, and the mask (1 where kept) when asked for. In training the kept values are
// scaled by 1 / (1 - ratio); in evaluation it is the identity.
std::vector<Value> dropout(const Node& n, const std::vector<Value>& in, RunContext& ctx) {
  const float ratio = n.opset >= 12 ? float_scalar(n, in, 1, 0.5f) : n.attrs.f("ratio", 0.5f);
  bool training = ctx.training;
  if (n.opset >= 12 && present(in, 2)) training = float_scalar(n, in, 2, 0.0f) != 0.0f;
  CNN_CHECK(ratio >= 0.0f && ratio < 1.0f, n.where(), ": ratio must lie in [0, 1), got ", ratio);
  const bool want_mask = n.outputs.size() > 1 && n.outputs[1] >= 0;
  if (!training || ratio == 0.0f) {
    std::vector<Value> out{in[0]};
    if (want_mask)  // all kept (a bool tensor, held as int64)
      out.push_back(value_of(
          Tensor::from_data_i64(in[0].data.shape(),
                                std::vector<int64_t>(static_cast<size_t>(in[0].data.numel()), 1)),
          in[0].perm));
    return out;
  }
  CNN_CHECK(ctx.generator != nullptr, n.where(), ": training dropout needs a generator");
  if (!want_mask)
    return {value_of(cnn::dropout(in[0].data, ratio, true, *ctx.generator), in[0].perm)};
  // scale = 1 / (1 - ratio) where kept, 0 where dropped; the mask is where scale is non-zero
  const Tensor scale = cnn::dropout(Tensor::ones(in[0].data.shape()), ratio, true, *ctx.generator);
  std::vector<int64_t> kept;
  for (float v : scale.to_vector()) kept.push_back(v != 0.0f);
  return {value_of(mul(in[0].data, scale), in[0].perm),
          value_of(Tensor::from_data_i64(scale.shape(), kept), in[0].perm)};
}

}  // namespace

void add_nn_ops(std::vector<OpDef>& t) {
  t.push_back({"Conv", conv});
  t.push_back({"ConvTranspose", conv_transpose});
  t.push_back({"MaxPool", max_pool});
  t.push_back({"AveragePool", average_pool});
  t.push_back({"GlobalAveragePool", global_pool<false>});
  t.push_back({"GlobalMaxPool", global_pool<true>});
  t.push_back({"BatchNormalization", batch_normalization, 0, 0b11000, 7});
  t.push_back({"LRN", lrn});
  t.push_back({"Dropout", dropout, 0b110, 0, 7});
}

}  // namespace cnn::onnx
