#include "kernels/cpu/conv2d_im2col.h"

#include <algorithm>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/gemm.h"

namespace cnn::kernels {
namespace {

struct Layout {
  int64_t m;        // output pixels N*OH*OW: rows of every GEMM
  int64_t cg, og;   // channels per group, in and out
  int64_t k_group;  // KH*KW*CG: the depth of one group's GEMM
  int64_t k_total;  // G*k_group: the width of a column row
};

Layout layout_of(const Conv2dGeometry& g) {
  Layout l{};
  l.m = g.batch * g.out_h * g.out_w;
  l.cg = g.group_in();
  l.og = g.group_out();
  l.k_group = g.kernel_h * g.kernel_w * l.cg;
  l.k_total = l.k_group * g.groups;
  return l;
}

// 1x1, stride 1, no padding: column row m is input pixel m itself.
bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// Output rows per chunk: as many as fit, a multiple of the GEMM's row tile when possible.
int64_t chunk_rows(const Layout& l, int64_t scratch_floats) {
  int64_t rows = std::max<int64_t>(1, scratch_floats / l.k_total);
  const int64_t mr = gemm_microkernel().mr;
  if (rows >= mr) rows -= rows % mr;
  return std::min(rows, l.m);
}

float* scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

struct Pixel {
  int64_t b, oy, ox;
};

Pixel pixel_of(const Conv2dGeometry& g, int64_t m) {
  return {m / (g.out_h * g.out_w), (m / g.out_w) % g.out_h, m % g.out_w};
}

// col[r, grp*K_g + (ky*KW + kx)*CG + i] = Padd(x)[b, s*oy + d*ky, s*ox + d*kx, grp*CG + i]
// for the output pixels m0 + r, r < rows.
void im2col(const Conv2dGeometry& g, const Layout& l, const float* x, int64_t m0, int64_t rows,
            float* col) {
  parallel_for(rows, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const Pixel p = pixel_of(g, m0 + r);
      float* row = col + r * l.k_total;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        const int64_t iy = g.in_row(p.oy, ky);
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t ix = g.in_col(p.ox, kx);
          const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
          const float* src = x + ((p.b * g.in_h + iy) * g.in_w + ix) * g.in_c;
          float* dst = row + (ky * g.kernel_w + kx) * l.cg;
          for (int64_t grp = 0; grp < g.groups; ++grp) {
            if (inside) {
              std::copy_n(src + grp * l.cg, l.cg, dst + grp * l.k_group);
            } else {
              std::fill_n(dst + grp * l.k_group, l.cg, 0.0f);
            }
          }
        }
      }
    }
  });
}

// The adjoint of im2col: grad_x[b, iy, ix, c] += dcol[r, ...] for every column entry that
// im2col copied from (b, iy, ix, c). Threads own disjoint channel ranges and add rows in
// order, so there is no race and the sum order is fixed.
void col2im_add(const Conv2dGeometry& g, const Layout& l, const float* dcol, int64_t m0,
                int64_t rows, float* grad_x) {
  parallel_for(g.in_c, 16, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < rows; ++r) {
      const Pixel p = pixel_of(g, m0 + r);
      const float* row = dcol + r * l.k_total;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        const int64_t iy = g.in_row(p.oy, ky);
        if (iy < 0 || iy >= g.in_h) continue;
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t ix = g.in_col(p.ox, kx);
          if (ix < 0 || ix >= g.in_w) continue;
          float* dst = grad_x + ((p.b * g.in_h + iy) * g.in_w + ix) * g.in_c;
          const float* src = row + (ky * g.kernel_w + kx) * l.cg;
          // Channels [c0, c1) cut across groups; add each group's share contiguously.
          for (int64_t grp = c0 / l.cg; grp * l.cg < c1; ++grp) {
            const int64_t lo = std::max(c0, grp * l.cg), hi = std::min(c1, (grp + 1) * l.cg);
            const float* s = src + grp * l.k_group - grp * l.cg;
            for (int64_t c = lo; c < hi; ++c) dst[c] += s[c];
          }
        }
      }
    }
  });
}

}  // namespace

void conv2d_forward_im2col(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y, int64_t scratch_floats) {
  const Layout l = layout_of(g);
  if (l.m == 0) return;
  // Y[m0 .. m0+rows, :] from the column rows `a` (row stride lda), group by group.
  auto multiply = [&](const float* a, int64_t lda, int64_t m0, int64_t rows) {
    float* y_rows = y + m0 * g.out_c;
    float beta = 0.0f;
    if (bias != nullptr) {  // start from the bias and let the GEMM add onto it
      for (int64_t r = 0; r < rows; ++r) std::copy_n(bias, g.out_c, y_rows + r * g.out_c);
      beta = 1.0f;
    }
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm_f32(false, false, rows, l.og, l.k_group, a + grp * l.k_group, lda, w + grp * l.og,
               g.out_c, beta, y_rows + grp * l.og, g.out_c);
  };
  if (is_pointwise(g)) {
    multiply(x, g.in_c, 0, l.m);
    return;
  }
  const int64_t step = chunk_rows(l, scratch_floats);
  float* col = scratch(static_cast<size_t>(step * l.k_total));
  for (int64_t m0 = 0; m0 < l.m; m0 += step) {
    const int64_t rows = std::min(step, l.m - m0);
    im2col(g, l, x, m0, rows, col);
    multiply(col, l.k_total, m0, rows);
  }
}

void conv2d_backward_data_im2col(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x, int64_t scratch_floats) {
  const Layout l = layout_of(g);
  // dcol_g [rows, K_g] = dY_g [rows, OG] * W_g^T, W_g stored [K_g, OG] with ld O.
  auto multiply = [&](int64_t m0, int64_t rows, float* dcol, int64_t ldc) {
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm_f32(false, true, rows, l.k_group, l.og, grad_y + m0 * g.out_c + grp * l.og, g.out_c,
               w + grp * l.og, g.out_c, 0.0f, dcol + grp * l.k_group, ldc);
  };
  if (is_pointwise(g)) {  // dcol is dx itself
    if (l.m > 0) multiply(0, l.m, grad_x, g.in_c);
    return;
  }
  std::fill_n(grad_x, g.batch * g.in_h * g.in_w * g.in_c, 0.0f);
  if (l.m == 0) return;
  const int64_t step = chunk_rows(l, scratch_floats);
  float* dcol = scratch(static_cast<size_t>(step * l.k_total));
  for (int64_t m0 = 0; m0 < l.m; m0 += step) {
    const int64_t rows = std::min(step, l.m - m0);
    multiply(m0, rows, dcol, l.k_total);
    col2im_add(g, l, dcol, m0, rows, grad_x);
  }
}

void conv2d_backward_weight_im2col(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w, int64_t scratch_floats) {
  const Layout l = layout_of(g);
  // dW_g [K_g, OG] (ld O) += col_g^T [K_g, rows] * dY_g [rows, OG].
  auto multiply = [&](const float* a, int64_t lda, int64_t m0, int64_t rows, float beta) {
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm_f32(true, false, l.k_group, l.og, rows, a + grp * l.k_group, lda,
               grad_y + m0 * g.out_c + grp * l.og, g.out_c, beta, grad_w + grp * l.og, g.out_c);
  };
  if (l.m == 0) {
    std::fill_n(grad_w, g.kernel_h * g.kernel_w * l.cg * g.out_c, 0.0f);
    return;
  }
  if (is_pointwise(g)) {
    multiply(x, g.in_c, 0, l.m, 0.0f);
    return;
  }
  const int64_t step = chunk_rows(l, scratch_floats);
  float* col = scratch(static_cast<size_t>(step * l.k_total));
  for (int64_t m0 = 0; m0 < l.m; m0 += step) {
    const int64_t rows = std::min(step, l.m - m0);
    im2col(g, l, x, m0, rows, col);
    multiply(col, l.k_total, m0, rows, m0 == 0 ? 0.0f : 1.0f);
  }
}

}  // namespace cnn::kernels
