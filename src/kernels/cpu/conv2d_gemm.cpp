#include "kernels/cpu/conv2d_gemm.h"

#include <algorithm>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {
namespace {

struct Layout {
  int64_t m;        // output pixels N*OH*OW: the rows of the field matrix
  int64_t cg, og;   // channels per group, in and out
  int64_t k_group;  // KH*KW*CG: the depth of one group's GEMM
  int64_t k_total;  // G*k_group: the width of a field row over all groups
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

struct Pixel {
  int64_t b, oy, ox;
};

Pixel pixel_of(const Conv2dGeometry& g, int64_t m) {
  return {m / (g.out_h * g.out_w), (m / g.out_w) % g.out_h, m % g.out_w};
}

// Where field entries come from. Entry k = (ky*KW + kx)*CG + i of group `channel0 / CG` reads
// the input at row iy0 + tap_y[k], column ix0 + tap_x[k], i.e. x[origin + offset[k]] with
// origin the element of (b, iy0, ix0, 0), where (iy0, ix0) = (s*oy - pad_top, s*ox - pad_left)
// is the top-left corner of output pixel (b, oy, ox)'s receptive field.
struct Taps {
  std::vector<int64_t> tap_y, tap_x, offset;
  void build(const Conv2dGeometry& g, int64_t channel0, int64_t k0, int64_t count) {
    tap_y.resize(static_cast<size_t>(count));
    tap_x.resize(static_cast<size_t>(count));
    offset.resize(static_cast<size_t>(count));
    const int64_t cg = g.group_in();
    for (int64_t p = 0; p < count; ++p) {
      const int64_t tap = (k0 + p) / cg, i = (k0 + p) % cg;
      const int64_t dy = tap / g.kernel_w * g.dilation_h, dx = tap % g.kernel_w * g.dilation_w;
      tap_y[p] = dy;
      tap_x[p] = dx;
      offset[p] = (dy * g.in_w + dx) * g.in_c + channel0 + i;
    }
  }
};

struct Field {
  int64_t origin;  // element offset of (b, iy0, ix0, 0); may lie outside x when not interior
  int64_t iy0, ix0;
  bool interior;  // every tap inside the image
};

Field field_of(const Conv2dGeometry& g, int64_t m) {
  const Pixel p = pixel_of(g, m);
  Field f{};
  f.iy0 = p.oy * g.stride_h - g.pad_top;
  f.ix0 = p.ox * g.stride_w - g.pad_left;
  f.origin = ((p.b * g.in_h + f.iy0) * g.in_w + f.ix0) * g.in_c;
  f.interior = f.iy0 >= 0 && f.iy0 + g.dilation_h * (g.kernel_h - 1) < g.in_h && f.ix0 >= 0 &&
               f.ix0 + g.dilation_w * (g.kernel_w - 1) < g.in_w;
  return f;
}

float field_value(const Conv2dGeometry& g, const float* x, const Field& f, const Taps& t,
                  size_t k) {
  if (f.interior) return x[f.origin + t.offset[k]];
  const int64_t iy = f.iy0 + t.tap_y[k], ix = f.ix0 + t.tap_x[k];
  return iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w ? x[f.origin + t.offset[k]] : 0.0f;
}

// GemmPackA of the field matrix F (rows: output pixels, depth: field entries).
void pack_fields(const Conv2dGeometry& g, const float* x, int64_t channel0, int64_t i0, int64_t mc,
                 int64_t p0, int64_t kc, int mr, float* out) {
  thread_local Taps taps;
  taps.build(g, channel0, p0, kc);
  for (int64_t s = 0; s < mc; s += mr, out += kc * mr) {
    for (int r = 0; r < mr; ++r) {
      float* dst = out + r;
      if (s + r >= mc) {
        for (int64_t p = 0; p < kc; ++p) dst[p * mr] = 0.0f;
        continue;
      }
      const Field f = field_of(g, i0 + s + r);
      if (f.interior) {
        const float* base = x + f.origin;
        for (int64_t p = 0; p < kc; ++p) dst[p * mr] = base[taps.offset[p]];
      } else {
        for (int64_t p = 0; p < kc; ++p) dst[p * mr] = field_value(g, x, f, taps, p);
      }
    }
  }
}

// GemmPackA of F^T (rows: field entries, depth: output pixels).
void pack_fields_transposed(const Conv2dGeometry& g, const float* x, int64_t channel0, int64_t i0,
                            int64_t mc, int64_t p0, int64_t kc, int mr, float* out) {
  thread_local Taps taps;
  taps.build(g, channel0, i0, mc);
  const int64_t strips = (mc + mr - 1) / mr;
  for (int64_t p = 0; p < kc; ++p) {
    const Field f = field_of(g, p0 + p);
    for (int64_t s = 0; s < strips; ++s) {
      float* dst = out + (s * kc + p) * mr;
      const int64_t rows = std::min<int64_t>(mr, mc - s * mr);
      const size_t k0 = static_cast<size_t>(s * mr);
      if (f.interior) {
        const float* base = x + f.origin;
        for (int64_t r = 0; r < rows; ++r) dst[r] = base[taps.offset[k0 + r]];
      } else {
        for (int64_t r = 0; r < rows; ++r) dst[r] = field_value(g, x, f, taps, k0 + r);
      }
      for (int64_t r = rows; r < mr; ++r) dst[r] = 0.0f;
    }
  }
}

// Group grp's field matrix F_g (or F_g^T) as the GEMM's A: the input itself for a pointwise
// convolution, otherwise packed from the image block by block.
GemmA fields(const Conv2dGeometry& g, const float* x, int64_t grp, bool transposed) {
  const int64_t channel0 = grp * g.group_in();
  if (conv2d_is_pointwise(g)) return GemmA{x + channel0, g.in_c, transposed, {}};
  GemmA a;
  if (transposed) {
    a.pack = [&g, x, channel0](int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* out) {
      pack_fields_transposed(g, x, channel0, i0, mc, p0, kc, mr, out);
    };
  } else {
    a.pack = [&g, x, channel0](int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* out) {
      pack_fields(g, x, channel0, i0, mc, p0, kc, mr, out);
    };
  }
  return a;
}

// Output rows per chunk of the strided backward data: as many as fit in the scratch.
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

// The adjoint of reading fields: grad_x[b, iy, ix, c] += dF[r, ...] for every field entry
// read from (b, iy, ix, c). Threads own disjoint channel ranges and add rows in order, so
// there is no race and the sum order is fixed.
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

void conv2d_forward_gemm(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                         float* y, const Conv2dEpilogue& e) {
  const Layout l = layout_of(g);
  if (l.m == 0) return;
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    const GemmA a = fields(g, x, grp, /*transposed=*/false);
    GemmEpilogue epilogue;
    epilogue.scale = e.scale != nullptr ? e.scale + grp * l.og : nullptr;
    epilogue.bias = bias != nullptr ? bias + grp * l.og : nullptr;
    epilogue.residual = e.residual != nullptr ? e.residual + grp * l.og : nullptr;
    epilogue.ldr = g.out_c;
    epilogue.relu = e.relu;
    epilogue.relu_max = e.relu_max;
    gemm_f32(a, GemmB{w + grp * l.og, g.out_c, false}, l.m, l.og, l.k_group, 0.0f, y + grp * l.og,
             g.out_c, epilogue);
  }
}

int64_t conv2d_gemm_packed_floats(const Conv2dGeometry& g) {
  const Layout l = layout_of(g);
  return g.groups * gemm_packed_b_floats(l.k_group, l.og);
}

void conv2d_gemm_pack_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  const Layout l = layout_of(g);
  const int64_t per_group = gemm_packed_b_floats(l.k_group, l.og);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    gemm_pack_b(GemmB{w + grp * l.og, g.out_c, false}, l.k_group, l.og, packed + grp * per_group);
}

void conv2d_forward_gemm_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                const float* bias, float* y, const Conv2dEpilogue& e) {
  const Layout l = layout_of(g);
  if (l.m == 0) return;
  const int64_t per_group = gemm_packed_b_floats(l.k_group, l.og);
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    GemmEpilogue epilogue;
    epilogue.scale = e.scale != nullptr ? e.scale + grp * l.og : nullptr;
    epilogue.bias = bias != nullptr ? bias + grp * l.og : nullptr;
    epilogue.residual = e.residual != nullptr ? e.residual + grp * l.og : nullptr;
    epilogue.ldr = g.out_c;
    epilogue.relu = e.relu;
    epilogue.relu_max = e.relu_max;
    gemm_f32_packed_b(fields(g, x, grp, /*transposed=*/false), packed + grp * per_group, l.m, l.og,
                      l.k_group, y + grp * l.og, g.out_c, epilogue);
  }
}

bool conv2d_gemm_applies(const Conv2dGeometry&) {
  return true;
}

void conv2d_backward_data_gemm(const Conv2dGeometry& g, const float* grad_y, const float* w,
                               float* grad_x) {
  conv2d_backward_data_gemm(g, grad_y, w, grad_x, kConv2dScratchFloats);
}

void conv2d_backward_data_gemm(const Conv2dGeometry& g, const float* grad_y, const float* w,
                               float* grad_x, int64_t scratch_floats) {
  const Layout l = layout_of(g);
  // dF_g [rows, K_g] = dY_g [rows, OG] * W_g^T, W_g stored [K_g, OG] with ld O.
  auto multiply = [&](int64_t m0, int64_t rows, float* dcol, int64_t ldc) {
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm_f32(false, true, rows, l.k_group, l.og, grad_y + m0 * g.out_c + grp * l.og, g.out_c,
               w + grp * l.og, g.out_c, 0.0f, dcol + grp * l.k_group, ldc);
  };
  if (conv2d_is_pointwise(g)) {  // dF is dx itself
    if (l.m > 0) multiply(0, l.m, grad_x, g.in_c);
    return;
  }
  if (l.m == 0) {
    std::fill_n(grad_x, g.batch * g.in_h * g.in_w * g.in_c, 0.0f);
    return;
  }
  if (g.stride_h == 1 && g.stride_w == 1) {
    conv2d_backward_data_flipped(conv2d_forward_gemm, g, grad_y, w, grad_x);
    return;
  }
  std::fill_n(grad_x, g.batch * g.in_h * g.in_w * g.in_c, 0.0f);
  const int64_t step = chunk_rows(l, scratch_floats);
  float* dcol = scratch(static_cast<size_t>(step * l.k_total));
  for (int64_t m0 = 0; m0 < l.m; m0 += step) {
    const int64_t rows = std::min(step, l.m - m0);
    multiply(m0, rows, dcol, l.k_total);
    col2im_add(g, l, dcol, m0, rows, grad_x);
  }
}

void conv2d_backward_weight_gemm(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                 float* grad_w) {
  const Layout l = layout_of(g);
  if (l.m == 0) {
    std::fill_n(grad_w, g.kernel_h * g.kernel_w * l.cg * g.out_c, 0.0f);
    return;
  }
  // dW_g [K_g, OG] (ld O) = F_g^T [K_g, M] * dY_g [M, OG].
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    gemm_f32(fields(g, x, grp, /*transposed=*/true), GemmB{grad_y + grp * l.og, g.out_c, false},
             l.k_group, l.og, l.m, 0.0f, grad_w + grp * l.og, g.out_c);
  }
}

}  // namespace cnn::kernels::cpu
