// Resizing ops: argument checks, the kernels of kernels/upsample.h (kernels/ref/upsample_ref.h
// holds their formulas), and
// the backward nodes (scatter-adds of the upstream gradient through the same index maps).
#include "cnn/ops/upsample.h"

#include "cnn/autograd.h"
#include "cnn/trace.h"
#include "kernels/upsample.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::ResizeGeometry;

ResizeGeometry plan(const Tensor& x, Size2 output_size, const char* op) {
  detail::check_rank(x, 4, op, "x", "[batch, rows, cols, channels]");
  CNN_CHECK(x.size(1) >= 1 && x.size(2) >= 1, op,
            ": argument 'x' must have at least one row and one column, got shape ",
            to_string(x.shape()));
  CNN_CHECK(output_size.h >= 1 && output_size.w >= 1, op, ": output_size must be at least 1, got ",
            output_size, " for x of shape ", to_string(x.shape()));
  return {x.size(0), x.size(1), x.size(2), x.size(3), output_size.h, output_size.w};
}

Shape input_shape(const ResizeGeometry& g) {
  return {g.batch, g.in_h, g.in_w, g.channels};
}
Shape output_shape(const ResizeGeometry& g) {
  return {g.batch, g.out_h, g.out_w, g.channels};
}

}  // namespace

// y[n, oh, ow, c] = x[n, src_h(oh), src_w(ow), c]
Tensor upsample_nearest2d(const Tensor& x, Size2 output_size) {
  const ResizeGeometry g = plan(x, output_size, "upsample_nearest2d");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(output_shape(g));
  kernels::upsample_nearest2d_forward(g, xc.data(), y.data());
  // dL/dx[n, ih, iw, c] = sum over (oh, ow) with src = (ih, iw) of dL/dy[n, oh, ow, c]
  autograd::record("upsample_nearest2d", {x}, {y}, [g](const TensorList& grads) {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = Tensor::empty(input_shape(g));
    kernels::upsample_nearest2d_backward(g, dy.data(), dx.data());
    return TensorList{dx};
  });
  CNN_TRACE("upsample_nearest2d", {x}, {y}, {{"output_size", output_size}});
  return y;
}

// y[n, oh, ow, c] = sum_{i, j} lh_i(oh) * lw_j(ow) * x[n, h_i(oh), w_j(ow), c]
Tensor upsample_bilinear2d(const Tensor& x, Size2 output_size, bool align_corners) {
  const ResizeGeometry g = plan(x, output_size, "upsample_bilinear2d");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(output_shape(g));
  kernels::upsample_bilinear2d_forward(g, align_corners, xc.data(), y.data());
  // dL/dx[n, h_i(oh), w_j(ow), c] += lh_i(oh) * lw_j(ow) * dL/dy[n, oh, ow, c]
  autograd::record("upsample_bilinear2d", {x}, {y}, [g, align_corners](const TensorList& grads) {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = Tensor::empty(input_shape(g));
    kernels::upsample_bilinear2d_backward(g, align_corners, dy.data(), dx.data());
    return TensorList{dx};
  });
  CNN_TRACE("upsample_bilinear2d", {x}, {y},
            {{"output_size", output_size}, {"align_corners", align_corners}});
  return y;
}

}  // namespace cnn
