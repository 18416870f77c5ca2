// The phases of a strided convolution's backward data (see conv2d_strided.h).
#include "kernels/cpu/conv2d_strided.h"

#include <algorithm>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/conv2d.h"

namespace cnn::kernels::cpu {
namespace {

// One axis of one phase: the first tap k0, the tap count T, the padding p' and the number of
// dx positions r, r + s, ... below `in` (see the header's formulas).
struct Axis {
  int64_t k0 = 0, taps = 0, pad = 0, count = 0;
};

Axis axis(int64_t r, int64_t stride, int64_t kernel, int64_t pad, int64_t in) {
  Axis a;
  a.k0 = ((r + pad) % stride + stride) % stride;
  a.taps = a.k0 < kernel ? (kernel - a.k0 + stride - 1) / stride : 0;
  const int64_t q = (r + pad - a.k0) / stride;  // exact: r + pad - k0 is a multiple of s
  a.pad = a.taps - 1 - q;
  a.count = r < in ? (in - r + stride - 1) / stride : 0;
  return a;
}

}  // namespace

// Measured against the GEMM and scatter-add (2 threads): 2.0x faster for ResNet-20's 3x3/2
// 16->32 at batch 128, 1.1x for 12->24; slower where the phases' convolutions are thin or
// empty: 2.7x slower for the 7x7/2 stem (3 input channels, so 3 output channels per phase),
// 1.7x for a 1x1/2 shortcut (three of its four phases have no tap, and dx is then mostly a
// copy). So: 16 channels or more, and a kernel at least as wide as the stride.
bool conv2d_backward_data_phases_apply(const Conv2dGeometry& g) {
  return g.groups == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
         (g.stride_h > 1 || g.stride_w > 1) && g.kernel_h >= g.stride_h &&
         g.kernel_w >= g.stride_w && g.in_c >= 16 && g.pad_top >= 0 && g.pad_left >= 0 &&
         g.batch * g.out_h * g.out_w > 0;
}

void conv2d_backward_data_phases(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x) {
  const int64_t C = g.in_c, O = g.out_c;
  // kept across calls: a training step asks for the same sizes every time
  thread_local std::vector<float> sub_w, sub_dx;
  for (int64_t ry = 0; ry < g.stride_h; ++ry) {
    for (int64_t rx = 0; rx < g.stride_w; ++rx) {
      const Axis ay = axis(ry, g.stride_h, g.kernel_h, g.pad_top, g.in_h);
      const Axis ax = axis(rx, g.stride_w, g.kernel_w, g.pad_left, g.in_w);
      if (ay.count == 0 || ax.count == 0) continue;
      const int64_t pixels = g.batch * ay.count * ax.count;
      sub_dx.resize(static_cast<size_t>(pixels * C));
      if (ay.taps == 0 || ax.taps == 0) {
        std::fill(sub_dx.begin(), sub_dx.end(), 0.0f);
      } else {
        // W'[ty][tx][o][c] = W[k0y + s_h (T_y - 1 - ty)][k0x + s_w (T_x - 1 - tx)][c][o]
        sub_w.resize(static_cast<size_t>(ay.taps * ax.taps * O * C));
        for (int64_t ty = 0; ty < ay.taps; ++ty)
          for (int64_t tx = 0; tx < ax.taps; ++tx) {
            const int64_t ky = ay.k0 + g.stride_h * (ay.taps - 1 - ty);
            const int64_t kx = ax.k0 + g.stride_w * (ax.taps - 1 - tx);
            const float* src = w + (ky * g.kernel_w + kx) * C * O;
            float* dst = sub_w.data() + (ty * ax.taps + tx) * O * C;
            for (int64_t c = 0; c < C; ++c)
              for (int64_t o = 0; o < O; ++o) dst[o * C + c] = src[c * O + o];
          }
        Conv2dGeometry p;
        p.batch = g.batch;
        p.in_h = g.out_h, p.in_w = g.out_w, p.in_c = O;
        p.kernel_h = ay.taps, p.kernel_w = ax.taps, p.out_c = C;
        p.pad_top = ay.pad, p.pad_left = ax.pad;
        p.out_h = ay.count, p.out_w = ax.count;
        conv2d_forward(p, grad_y, sub_w.data(), nullptr, sub_dx.data());
      }
      // dx[b, s_h m + ry, s_w n + rx, :] = phase[b, m, n, :] (the workers must not name the
      // thread_local buffer: they would see their own)
      const float* phase = sub_dx.data();
      parallel_for(g.batch * ay.count, 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t b = r / ay.count, m = r % ay.count;
          const float* src = phase + r * ax.count * C;
          float* dst = grad_x + ((b * g.in_h + g.stride_h * m + ry) * g.in_w + rx) * C;
          for (int64_t n = 0; n < ax.count; ++n)
            std::copy_n(src + n * C, C, dst + n * g.stride_w * C);
        }
      });
    }
  }
}

}  // namespace cnn::kernels::cpu
