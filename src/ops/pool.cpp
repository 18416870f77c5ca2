// Pooling ops: argument checks and output sizes (PyTorch's rules), the kernels of
// kernels/pool.h (kernels/ref/pool_ref.h holds their contracts and stays the oracle), and
// the backward nodes.
#include "cnn/ops/pool.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/trace.h"
#include "kernels/pool.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::PoolGeometry;

constexpr const char* kLayout = "[batch, rows, cols, channels]";

void check_image(const Tensor& x, const char* op) {
  detail::check_rank(x, 4, op, "x", kLayout);
  CNN_CHECK(x.size(1) >= 1 && x.size(2) >= 1, op,
            ": argument 'x' must have at least one row and one column, got shape ",
            to_string(x.shape()));
}

// a / b rounded toward minus infinity (b > 0), as PyTorch's div_rtn.
int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && a < 0);
}

// Extent of one dimension of a sliding-window pooling, PyTorch's pooling_output_shape with
// the padding split into before/after:
//   out = floor((in + pad_before + pad_after - dilation*(kernel-1) - 1 [+ stride-1 if ceil])
//               / stride) + 1
// and with ceil_mode the last window must start inside the input or its leading padding:
//   if (out-1)*stride >= in + pad_before then out -= 1.
// ceil_mode thus accepts a kernel up to stride-1 cells larger than the padded input.
// Returns 0 for an empty output or where the sizes overflow.
int64_t pooled_extent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                      int64_t pad_before, int64_t pad_after, bool ceil_mode) {
  int64_t padded = 0, span = 0;
  if (__builtin_add_overflow(in, pad_before, &padded) ||
      __builtin_add_overflow(padded, pad_after, &padded) ||
      __builtin_mul_overflow(dilation, kernel - 1, &span))
    return 0;
  int64_t room = padded - span - 1;  // how far the first window can slide; < 0: it overhangs
  if (ceil_mode && __builtin_add_overflow(room, stride - 1, &room)) return 0;
  int64_t out = floor_div(room, stride) + 1;
  const int64_t first_outside = in + pad_before;  // no window may start here or later
  if (ceil_mode && out >= 1 && out - 1 >= first_outside / stride + (first_outside % stride != 0))
    --out;
  return std::max<int64_t>(out, 0);
}

struct WindowOptions {
  Size2 kernel, stride;
  Pad2d padding;
  Size2 dilation;
  bool ceil_mode;
};

// Checks the arguments of a sliding-window pooling and returns its geometry.
PoolGeometry plan(const Tensor& x, const WindowOptions& o, const char* op) {
  check_image(x, op);
  const std::string shape = to_string(x.shape());
  const Pad2d& p = o.padding;
  CNN_CHECK(o.kernel.h >= 1 && o.kernel.w >= 1, op, ": kernel must be at least 1, got ", o.kernel,
            " for x of shape ", shape);
  CNN_CHECK(o.stride.h >= 0 && o.stride.w >= 0, op,
            ": stride must be at least 1 (or 0 for the kernel size), got ", o.stride,
            " for x of shape ", shape);
  CNN_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, op, ": dilation must be at least 1, got ",
            o.dilation, " for x of shape ", shape);
  CNN_CHECK(std::min({p.top, p.bottom, p.left, p.right}) >= 0, op,
            ": padding must be non-negative, got ", p, " for x of shape ", shape);
  CNN_CHECK(
      std::max(p.top, p.bottom) <= o.kernel.h / 2 && std::max(p.left, p.right) <= o.kernel.w / 2,
      op, ": padding ", p, " must be at most half the kernel ", o.kernel,
      " on each side, for x of shape ", shape);
  PoolGeometry g;
  g.batch = x.size(0), g.in_h = x.size(1), g.in_w = x.size(2), g.channels = x.size(3);
  g.kernel_h = o.kernel.h, g.kernel_w = o.kernel.w;
  g.stride_h = o.stride.h == 0 ? o.kernel.h : o.stride.h;
  g.stride_w = o.stride.w == 0 ? o.kernel.w : o.stride.w;
  g.dilation_h = o.dilation.h, g.dilation_w = o.dilation.w;
  g.pad_top = p.top, g.pad_bottom = p.bottom, g.pad_left = p.left, g.pad_right = p.right;
  g.out_h =
      pooled_extent(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, p.top, p.bottom, o.ceil_mode);
  g.out_w =
      pooled_extent(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, p.left, p.right, o.ceil_mode);
  CNN_CHECK(g.out_h >= 1 && g.out_w >= 1, op, ": output size ", Size2(g.out_h, g.out_w),
            " is empty: kernel ", o.kernel, " with dilation ", o.dilation,
            " does not fit x of shape ", shape, " padded by ", p);
  return g;
}

Shape input_shape(const PoolGeometry& g) {
  return {g.batch, g.in_h, g.in_w, g.channels};
}
Shape output_shape(const PoolGeometry& g) {
  return {g.batch, g.out_h, g.out_w, g.channels};
}

Tensor adaptive_avg_pool(const Tensor& x, Size2 output_size, const char* op) {
  check_image(x, op);
  CNN_CHECK(output_size.h >= 1 && output_size.w >= 1, op, ": output_size must be at least 1, got ",
            output_size, " for x of shape ", to_string(x.shape()));
  PoolGeometry g;
  g.batch = x.size(0), g.in_h = x.size(1), g.in_w = x.size(2), g.channels = x.size(3);
  g.out_h = output_size.h, g.out_w = output_size.w;
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(output_shape(g));
  kernels::adaptive_avg_pool2d_forward(g, xc.data(), y.data());
  // dL/dx[n, ih, iw, c] = sum over bins b holding (ih, iw) of dL/dy[n, b, c] / |b|
  autograd::record(op, {x}, {y}, [g](const TensorList& grads) {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = Tensor::empty(input_shape(g));
    kernels::adaptive_avg_pool2d_backward(g, dy.data(), dx.data());
    return TensorList{dx};
  });
  CNN_TRACE(op, {x}, {y}, {{"output_size", output_size}});
  return y;
}

// What a max pooling reports to the tracer: its window geometry.
trace::Attrs pool_attrs(const PoolGeometry& g) {
  return {{"kernel", Size2(g.kernel_h, g.kernel_w)},
          {"stride", Size2(g.stride_h, g.stride_w)},
          {"padding", Pad2d(g.pad_top, g.pad_bottom, g.pad_left, g.pad_right)},
          {"dilation", Size2(g.dilation_h, g.dilation_w)}};
}

// Max pooling's forward and backward node, shared by max_pool2d, max_pool2d_with_indices and
// global_max_pool2d (named `op` in errors and in the graph):
//   y[n, oh, ow, c] = max_{kh, kw} x[n, oh*s - pad + kh*d, ow*s - pad + kw*d, c], padding
//   excluded. The winners' positions (ih*W + iw, per output element) are kept when a backward
//   pass may need them or the caller asks for them.
struct MaxPoolResult {
  Tensor y;
  std::shared_ptr<std::vector<int32_t>> argmax;
};

MaxPoolResult run_max_pool(const Tensor& x, const PoolGeometry& g, const char* op,
                           bool keep_argmax) {
  CNN_CHECK(g.in_h * g.in_w <= std::numeric_limits<int32_t>::max(), op, ": x of shape ",
            to_string(x.shape()), " has more than 2^31 - 1 cells per image");
  const Tensor xc = x.contiguous();
  MaxPoolResult r{Tensor::empty(output_shape(g)), nullptr};
  if (keep_argmax || autograd::needs_grad({x}))
    r.argmax = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(r.y.numel()));
  kernels::max_pool2d_forward(g, xc.data(), r.y.data(), r.argmax ? r.argmax->data() : nullptr);
  // dL/dx[n, winner(n, oh, ow, c), c] += dL/dy[n, oh, ow, c]
  autograd::record(op, {x}, {r.y}, [g, argmax = r.argmax](const TensorList& grads) {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = Tensor::empty(input_shape(g));
    kernels::max_pool2d_backward(g, dy.data(), argmax->data(), dx.data());
    return TensorList{dx};
  });
  if (!keep_argmax) CNN_TRACE(op, {x}, {r.y}, pool_attrs(g));
  return r;
}

PoolGeometry max_pool_plan(const Tensor& x, const MaxPool2dOptions& o, const char* op) {
  return plan(x, {o.kernel, o.stride, o.padding, o.dilation, o.ceil_mode}, op);
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& options) {
  return run_max_pool(x, max_pool_plan(x, options, "max_pool2d"), "max_pool2d", false).y;
}

// The same kernel as max_pool2d, with its argmax widened to int64 (-1 where a window holds no
// input cell).
MaxPool2dWithIndices max_pool2d_with_indices(const Tensor& x, const MaxPool2dOptions& options) {
  const char* op = "max_pool2d_with_indices";
  const PoolGeometry g = max_pool_plan(x, options, op);
  MaxPoolResult r = run_max_pool(x, g, op, true);
  Tensor indices = Tensor::empty(r.y.shape(), DType::i64);
  std::copy(r.argmax->begin(), r.argmax->end(), indices.data_i64());
  CNN_TRACE(op, {x}, {r.y, indices}, pool_attrs(g));
  return {r.y, indices};
}

// One window covering the whole image: y[n, 0, 0, c] = max_{h, w} x[n, h, w, c].
Tensor global_max_pool2d(const Tensor& x) {
  const char* op = "global_max_pool2d";
  check_image(x, op);
  PoolGeometry g;
  g.batch = x.size(0), g.in_h = x.size(1), g.in_w = x.size(2), g.channels = x.size(3);
  g.out_h = g.out_w = 1;
  g.kernel_h = g.stride_h = g.in_h;
  g.kernel_w = g.stride_w = g.in_w;
  return run_max_pool(x, g, op, false).y;
}

// y[n, oh, ow, c] = sum over the window of x / divisor (see avg_pool2d_forward for PyTorch's
// divisor with padding and ceil_mode).
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& options) {
  const PoolGeometry g =
      plan(x, {options.kernel, options.stride, options.padding, Size2(1), options.ceil_mode},
           "avg_pool2d");
  const bool include_pad = options.count_include_pad;
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(output_shape(g));
  kernels::avg_pool2d_forward(g, include_pad, xc.data(), y.data());
  // dL/dx[n, ih, iw, c] = sum over windows w holding (ih, iw) of dL/dy[n, w, c] / divisor(w)
  autograd::record("avg_pool2d", {x}, {y}, [g, include_pad](const TensorList& grads) {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = Tensor::empty(input_shape(g));
    kernels::avg_pool2d_backward(g, include_pad, dy.data(), dx.data());
    return TensorList{dx};
  });
  CNN_TRACE("avg_pool2d", {x}, {y},
            {{"kernel", options.kernel},
             {"stride", Size2(g.stride_h, g.stride_w)},
             {"padding", options.padding},
             {"ceil_mode", options.ceil_mode},
             {"count_include_pad", include_pad}});
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  return adaptive_avg_pool(x, output_size, "adaptive_avg_pool2d");
}

// The single adaptive bin is the whole image: y[n, 0, 0, c] = mean_{h, w} x[n, h, w, c].
Tensor global_avg_pool2d(const Tensor& x) {
  return adaptive_avg_pool(x, Size2(1), "global_avg_pool2d");
}

}  // namespace cnn
