// Winograd F(4x4, 3x3): the transforms, vectorized across 16 channels of NHWC data, and the
// driver that runs them around kernels::gemm_f32 (see conv2d_winograd.h for the scheme).
#include "kernels/cpu/conv2d_winograd.h"

#include <algorithm>
#include <cstddef>

#include "cnn/parallel.h"
#include "core/allocator.h"
#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

constexpr int64_t kTile = 4;    // output pixels per tile side (m)
constexpr int64_t kPatch = 6;   // input pixels per patch side (m + r - 1)
constexpr int64_t kXi = 36;     // positions of the transform domain
constexpr int64_t kLanes = 16;  // channels transformed together (one AVX-512 vector)
// Tiles transformed, multiplied and transformed back together: V and M of a stage take at most
// this many floats (64 MiB), so a large batch runs in stages instead of one huge buffer.
constexpr int64_t kStageFloats = int64_t{16} << 20;

// Scratch memory from the storage cache, released on scope exit.
class Scratch {
 public:
  explicit Scratch(int64_t floats)
      : bytes_(static_cast<size_t>(floats) * sizeof(float)),
        data_(static_cast<float*>(memory::allocate(bytes_))) {}
  ~Scratch() { memory::release(data_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* data() const { return data_; }

 private:
  size_t bytes_;
  float* data_;
};

struct TileGrid {
  int64_t rows, cols, per_image;  // tiles down, across, per image
  explicit TileGrid(const Conv2dGeometry& g)
      : rows((g.out_h + kTile - 1) / kTile),
        cols((g.out_w + kTile - 1) / kTile),
        per_image(rows * cols) {}
};

// G applied to three vectors of kLanes lanes (a row or a column of the kernel), in double:
// G's rows are (1/4, 0, 0), -(1, 1, 1)/6, -(1, -1, 1)/6, (1/24, 1/12, 1/6), (1/24, -1/12, 1/6),
// (0, 0, 1).
[[gnu::always_inline]] inline void weight_1d(const double (*k)[kLanes], int64_t in_stride,
                                             double (*out)[kLanes], int64_t out_stride) {
  // multiplications by the reciprocals (a division costs ~10 multiplications; in double the
  // difference is far below the float result's rounding)
  constexpr double sixth = 1.0 / 6, twelfth = 1.0 / 12, twentyfourth = 1.0 / 24;
  for (int l = 0; l < kLanes; ++l) {
    const double k0 = k[0][l], k1 = k[in_stride][l], k2 = k[2 * in_stride][l];
    const double even = k0 * twentyfourth + k2 * sixth, odd = k1 * twelfth;
    out[0][l] = k0 * 0.25;
    out[out_stride][l] = -(k0 + k1 + k2) * sixth;
    out[2 * out_stride][l] = -(k0 - k1 + k2) * sixth;
    out[3 * out_stride][l] = even + odd;
    out[4 * out_stride][l] = even - odd;
    out[5 * out_stride][l] = k2;
  }
}

// U[xi][c][o] = (G g G^T)[xi] for input channels [c0, c1), g the 3x3 kernel w[ky][kx][c][o]
// (HWIO), computed in double and rounded once.
CNN_TARGET_CLONES void transform_weight(const float* w, int64_t C, int64_t O, int64_t c0,
                                        int64_t c1, float* U) {
  alignas(64) double k[9][kLanes], t[18][kLanes], u[kXi][kLanes];  // g, G g (6x3), G g G^T
  for (int64_t c = c0; c < c1; ++c) {
    for (int64_t o0 = 0; o0 < O; o0 += kLanes) {
      const int64_t lanes = std::min(kLanes, O - o0);
      for (int tap = 0; tap < 9; ++tap) {
        const float* src = w + (tap * C + c) * O + o0;
        if (lanes == kLanes) {
          for (int l = 0; l < kLanes; ++l) k[tap][l] = src[l];
        } else {
          for (int l = 0; l < kLanes; ++l) k[tap][l] = l < lanes ? src[l] : 0.0;
        }
      }
      for (int kx = 0; kx < 3; ++kx) weight_1d(k + kx, 3, t + kx, 3);     // G g, column kx
      for (int i = 0; i < 6; ++i) weight_1d(t + 3 * i, 1, u + 6 * i, 1);  // (G g) G^T, row i
      for (int64_t xi = 0; xi < kXi; ++xi) {
        float* dst = U + (xi * C + c) * O + o0;
        if (lanes == kLanes) {
          for (int l = 0; l < kLanes; ++l) dst[l] = static_cast<float>(u[xi][l]);
        } else {
          for (int64_t l = 0; l < lanes; ++l) dst[l] = static_cast<float>(u[xi][l]);
        }
      }
    }
  }
}

// B^T applied to six vectors of kLanes lanes (a column or a row of the patch), in place:
//   (4 d0 - 5 d2 + d4, -4 d1 - 4 d2 + d3 + d4, 4 d1 - 4 d2 - d3 + d4,
//    -2 d1 - d2 + 2 d3 + d4, 2 d1 - d2 - 2 d3 + d4, 4 d1 - 5 d3 + d5)
[[gnu::always_inline]] inline void input_1d(float (*d)[kLanes], int64_t stride) {
  for (int l = 0; l < kLanes; ++l) {
    const float d0 = d[0][l], d1 = d[stride][l], d2 = d[2 * stride][l];
    const float d3 = d[3 * stride][l], d4 = d[4 * stride][l], d5 = d[5 * stride][l];
    d[0][l] = 4 * d0 - 5 * d2 + d4;
    d[stride][l] = (d3 + d4) - 4 * (d1 + d2);
    d[2 * stride][l] = (d4 - d3) + 4 * (d1 - d2);
    d[3 * stride][l] = (d4 - d2) + 2 * (d3 - d1);
    d[4 * stride][l] = (d4 - d2) + 2 * (d1 - d3);
    d[5 * stride][l] = 4 * d1 - 5 * d3 + d5;
  }
}

// Where the input transform writes V[xi][row][c]: row-major ([xi][row][c], what gemm_f32 reads
// as A), or already packed as the microkernel reads A (for each xi, each depth slice of kc
// channels, each strip of mr rows: [c % kc][row % mr]), which saves the GEMM's packing pass.
struct VLayout {
  int64_t xi_stride;        // floats per xi
  int64_t C;                // channels (row-major row length)
  int64_t mr = 0;           // 0: row-major; otherwise the microkernel's rows per strip
  int64_t kc = 0;           // depth per slice
  int64_t rows_padded = 0;  // rows per xi, a multiple of mr

  // Offset of V[0][row][c] and the distance between channels c and c + 1 (within a slice).
  int64_t base(int64_t row, int64_t c) const {
    if (mr == 0) return row * C + c;
    const int64_t slice = c / kc, depth = std::min(kc, C - slice * kc);
    return slice * rows_padded * kc + row / mr * depth * mr + c % kc * mr + row % mr;
  }
  int64_t lane_stride() const { return mr == 0 ? 1 : mr; }
};

// V[xi][row] = (B^T d B)[xi] for tiles [t0, t1) of the grid (row = t - t0 + row0), d the 6x6
// patch of the input channels (zero outside the image: the padding).
CNN_TARGET_CLONES void transform_input(const Conv2dGeometry& g, const TileGrid& grid,
                                       const float* x, int64_t t0, int64_t t1, int64_t row0,
                                       const VLayout& layout, float* V) {
  const int64_t C = g.in_c, step = layout.lane_stride();
  alignas(64) float d[kPatch * kPatch][kLanes];
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t n = t / grid.per_image, ty = t % grid.per_image / grid.cols, tx = t % grid.cols;
    const int64_t iy0 = ty * kTile - g.pad_top, ix0 = tx * kTile - g.pad_left;
    const float* image = x + n * g.in_h * g.in_w * C;
    for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
      const int64_t lanes = std::min(kLanes, C - c0);
      for (int64_t a = 0; a < kPatch; ++a) {
        const int64_t iy = iy0 + a;
        for (int64_t b = 0; b < kPatch; ++b) {
          const int64_t ix = ix0 + b;
          float* dst = d[a * kPatch + b];
          if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
            std::fill_n(dst, kLanes, 0.0f);
            continue;
          }
          const float* src = image + (iy * g.in_w + ix) * C + c0;
          if (lanes == kLanes) {
            for (int l = 0; l < kLanes; ++l) dst[l] = src[l];
          } else {
            std::fill_n(dst, kLanes, 0.0f);
            std::copy_n(src, lanes, dst);
          }
        }
      }
      for (int64_t b = 0; b < kPatch; ++b) input_1d(d + b, kPatch);      // B^T d (down columns)
      for (int64_t a = 0; a < kPatch; ++a) input_1d(d + a * kPatch, 1);  // (B^T d) B (rows)
      float* out = V + layout.base(t - t0 + row0, c0);
      for (int64_t xi = 0; xi < kXi; ++xi) {
        float* dst = out + xi * layout.xi_stride;
        if (lanes == kLanes && step == 1) {
          for (int l = 0; l < kLanes; ++l) dst[l] = d[xi][l];
        } else {
          for (int64_t l = 0; l < lanes; ++l) dst[l * step] = d[xi][l];
        }
      }
    }
  }
}

// A^T on six vectors into four: (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 (m3 - m4),
// m1 + m2 + 4 (m3 + m4), m1 - m2 + 8 (m3 - m4) + m5).
[[gnu::always_inline]] inline void output_1d(const float (*m)[kLanes], int64_t in_stride,
                                             float (*s)[kLanes], int64_t out_stride) {
  for (int l = 0; l < kLanes; ++l) {
    const float m0 = m[0][l], m1 = m[in_stride][l], m2 = m[2 * in_stride][l];
    const float m3 = m[3 * in_stride][l], m4 = m[4 * in_stride][l], m5 = m[5 * in_stride][l];
    const float sum12 = m1 + m2, dif12 = m1 - m2, sum34 = m3 + m4, dif34 = m3 - m4;
    s[0][l] = m0 + sum12 + sum34;
    s[out_stride][l] = dif12 + 2 * dif34;
    s[2 * out_stride][l] = sum12 + 4 * sum34;
    s[3 * out_stride][l] = dif12 + 8 * dif34 + m5;
  }
}

// y tile = (A^T M A) * scale + bias, then the residual and the clamp (Conv2dEpilogue), for tiles
// [t0, t1) (M[xi][row][o]); pixels past the image's edge (the last tiles' overhang) are not
// written.
CNN_TARGET_CLONES void transform_output(const Conv2dGeometry& g, const TileGrid& grid,
                                        const float* M, int64_t xi_stride, int64_t t0, int64_t t1,
                                        const float* bias, const Conv2dEpilogue& e, float* y) {
  const int64_t O = g.out_c;
  alignas(64) float m[kXi][kLanes];
  alignas(64) float s[kTile * kPatch][kLanes];  // A^T M: 4 rows of 6
  alignas(64) float r[kTile * kTile][kLanes];
  alignas(64) float b[kLanes], sc[kLanes];  // bias and scale of these 16 output channels
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t n = t / grid.per_image, ty = t % grid.per_image / grid.cols, tx = t % grid.cols;
    const int64_t oy0 = ty * kTile, ox0 = tx * kTile;
    const int64_t rows = std::min(kTile, g.out_h - oy0), cols = std::min(kTile, g.out_w - ox0);
    const float* in = M + (t - t0) * O;
    for (int64_t o0 = 0; o0 < O; o0 += kLanes) {
      const int64_t lanes = std::min(kLanes, O - o0);
      for (int64_t xi = 0; xi < kXi; ++xi) {
        const float* src = in + xi * xi_stride + o0;
        if (lanes == kLanes) {
          for (int l = 0; l < kLanes; ++l) m[xi][l] = src[l];
        } else {
          std::fill_n(m[xi], kLanes, 0.0f);
          std::copy_n(src, lanes, m[xi]);
        }
      }
      for (int64_t j = 0; j < kPatch; ++j) output_1d(m + j, kPatch, s + j, kPatch);  // A^T M
      for (int64_t i = 0; i < kTile; ++i) output_1d(s + i * kPatch, 1, r + i * kTile, 1);
      for (int l = 0; l < kLanes; ++l) {
        b[l] = bias != nullptr && l < lanes ? bias[o0 + l] : 0.0f;
        sc[l] = e.scale != nullptr && l < lanes ? e.scale[o0 + l] : 1.0f;
      }
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t pixel = (n * g.out_h + oy0 + i) * g.out_w + ox0 + j;
          float* v = r[i * kTile + j];
          if (e.scale != nullptr)
            for (int l = 0; l < kLanes; ++l) v[l] *= sc[l];
          for (int l = 0; l < kLanes; ++l) v[l] += b[l];
          if (e.residual != nullptr) {
            const float* res = e.residual + pixel * O + o0;
            for (int64_t l = 0; l < lanes; ++l) v[l] += res[l];
          }
          if (e.relu)
            for (int l = 0; l < kLanes; ++l) v[l] = std::min(std::max(v[l], 0.0f), e.relu_max);
          std::copy_n(v, lanes, y + pixel * O + o0);
        }
      }
    }
  }
}

// U [xi][c][o] packed as the microkernel reads B: for each xi, each depth slice of kc input
// channels, each strip of nr output channels: [c % kc][o % nr], zero-padded to a multiple of nr.
void pack_weight(const float* U, int64_t C, int64_t O, int64_t nr, int64_t kc, int64_t xi0,
                 int64_t xi1, float* out) {
  const int64_t o_padded = (O + nr - 1) / nr * nr;
  for (int64_t xi = xi0; xi < xi1; ++xi) {
    for (int64_t pc = 0; pc < C; pc += kc) {
      const int64_t depth = std::min(kc, C - pc);
      for (int64_t j = 0; j < o_padded; j += nr) {
        float* strip = out + xi * C * o_padded + pc * o_padded + j * depth;
        const int64_t cols = std::min(nr, O - j);
        for (int64_t p = 0; p < depth; ++p) {
          const float* src = U + (xi * C + pc + p) * O + j;
          std::copy_n(src, cols, strip + p * nr);
          std::fill(strip + p * nr + cols, strip + (p + 1) * nr, 0.0f);
        }
      }
    }
  }
}

// Depth of a slice of the products (the GEMM's kc: a 128 x 32 strip of B stays in L1).
constexpr int64_t kDepthSlice = 128;
// V and M of one block of tiles fit in half of a core's L2 (1 MiB on this machine's cores).
constexpr int64_t kBlockBytes = int64_t{512} << 10;
// Weights beyond this (transformed: 36 C O floats, 128 x 128 channels) are read from L3 for
// every block; past it the blocks give way to one product per xi over all tiles.
constexpr int64_t kFusedMaxWeightFloats = kXi * 128 * 128;

struct Problem {
  const Conv2dGeometry& g;
  TileGrid grid;
  const float* x;
  const float* bias;
  const Conv2dEpilogue& epilogue;
  float* y;
};

// Tiles [t0, t0 + count) from input to output, V and M staying in this thread's L2: the
// transform writes V packed, the microkernel multiplies it by the packed weight strip by strip.
void run_block(const Problem& p, const GemmMicrokernel& kernel, const float* u_packed, int64_t t0,
               int64_t count, float* v, float* m) {
  const int64_t C = p.g.in_c, O = p.g.out_c, mr = kernel.mr, nr = kernel.nr;
  const int64_t rows_padded = (count + mr - 1) / mr * mr;
  const int64_t o_padded = (O + nr - 1) / nr * nr;
  const VLayout layout{rows_padded * C, C, mr, kDepthSlice, rows_padded};
  if (count < rows_padded) std::fill_n(v, kXi * rows_padded * C, 0.0f);  // padding rows
  transform_input(p.g, p.grid, p.x, t0, t0 + count, 0, layout, v);
  for (int64_t xi = 0; xi < kXi; ++xi)
    gemm_f32_packed_ab(kernel, v + xi * rows_padded * C, rows_padded, u_packed + xi * C * o_padded,
                       count, O, C, kDepthSlice, m + xi * count * O, O);
  transform_output(p.g, p.grid, m, count * O, t0, t0 + count, p.bias, p.epilogue, p.y);
}

// Tiles [t0, t0 + count) in three passes over all of them, each spread over the threads: the
// input transform, 36 products by gemm_f32, the output transform. For weights too large to
// be read again for every block.
void run_stage(const Problem& p, const float* u, int64_t t0, int64_t count, float* v, float* m) {
  const int64_t C = p.g.in_c, O = p.g.out_c;
  const VLayout layout{count * C, C};
  parallel_for(count, 1, [&](int64_t a, int64_t b) {
    transform_input(p.g, p.grid, p.x, t0 + a, t0 + b, a, layout, v);
  });
  for (int64_t xi = 0; xi < kXi; ++xi)
    gemm_f32(false, false, count, O, C, v + xi * count * C, C, u + xi * C * O, O, 0.0f,
             m + xi * count * O, O);
  parallel_for(count, 1, [&](int64_t a, int64_t b) {
    transform_output(p.g, p.grid, m + a * O, count * O, t0 + a, t0 + b, p.bias, p.epilogue, p.y);
  });
}

}  // namespace

bool conv2d_winograd_possible(const Conv2dGeometry& g) {
  return g.groups == 1 && g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 &&
         g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 && g.out_h > 0 && g.out_w > 0 &&
         g.batch > 0 && g.in_c > 0 && g.out_c > 0;
}

// Measured on this machine's Zen 5 cores against the direct and GEMM kernels (2 threads):
//  - Winograd wins from 64 channels in and out: 1.8x at 16 x 56 x 56 x 64, 2.1x at
//    16 x 28 x 28 x 128, 1.2-1.4x at 16 x 14 x 14 x 256, 1.1x at 128 x 7 x 7 x 64; at 32
//    channels the transforms cost more than the saved multiply-adds (1.4x slower at
//    128 x 14 x 14 x 32);
//  - the weight transform (36 C O values each call) must be amortized over the tiles: with
//    fewer than 128 it loses (3.4x slower at 1 x 14 x 14 x 256, 16 tiles), and beyond 256 x 256
//    channels the transformed weight no longer fits the caches (1.15x slower at
//    16 x 7 x 7 x 512).
bool conv2d_winograd_applies(const Conv2dGeometry& g) {
  if (!conv2d_winograd_possible(g)) return false;
  const int64_t tiles = g.batch * TileGrid(g).per_image;
  return g.in_c >= 64 && g.out_c >= 64 && g.in_c * g.out_c <= 256 * 256 && tiles >= 128;
}

void conv2d_forward_winograd(const Conv2dGeometry& g, const float* x, const float* w,
                             const float* bias, float* y, const Conv2dEpilogue& epilogue) {
  const int64_t C = g.in_c, O = g.out_c;
  const Problem p{g, TileGrid(g), x, bias, epilogue, y};
  const int64_t tiles = g.batch * p.grid.per_image;

  Scratch u(kXi * C * O);
  parallel_for(C, 1, [&](int64_t c0, int64_t c1) { transform_weight(w, C, O, c0, c1, u.data()); });

  const GemmMicrokernel& kernel = gemm_microkernel_for(O);
  const int64_t mr = kernel.mr, nr = kernel.nr;
  const int64_t block = std::max(mr, kBlockBytes / (kXi * (C + O) * 4) / mr * mr);
  if (kXi * C * O <= kFusedMaxWeightFloats && tiles >= 2 * block) {
    const int64_t o_padded = (O + nr - 1) / nr * nr;
    Scratch packed(kXi * C * o_padded);
    parallel_for(kXi, 1, [&](int64_t a, int64_t b) {
      pack_weight(u.data(), C, O, nr, kDepthSlice, a, b, packed.data());
    });
    const int64_t blocks = (tiles + block - 1) / block;
    parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
      Scratch v(kXi * block * C), m(kXi * block * O);
      for (int64_t b = b0; b < b1; ++b)
        run_block(p, kernel, packed.data(), b * block, std::min(block, tiles - b * block), v.data(),
                  m.data());
    });
    return;
  }
  const int64_t stage = std::clamp<int64_t>(kStageFloats / (kXi * (C + O)), 1, tiles);
  Scratch v(kXi * stage * C), m(kXi * stage * O);
  for (int64_t s0 = 0; s0 < tiles; s0 += stage)
    run_stage(p, u.data(), s0, std::min(stage, tiles - s0), v.data(), m.data());
}

int64_t conv2d_winograd_packed_floats(const Conv2dGeometry& g) {
  const int64_t nr = gemm_microkernel_for(g.out_c).nr;
  return kXi * g.in_c * ((g.out_c + nr - 1) / nr * nr);
}

void conv2d_winograd_pack_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  const int64_t C = g.in_c, O = g.out_c;
  Scratch u(kXi * C * O);
  parallel_for(C, 1, [&](int64_t c0, int64_t c1) { transform_weight(w, C, O, c0, c1, u.data()); });
  const int64_t nr = gemm_microkernel_for(O).nr;
  parallel_for(kXi, 1, [&](int64_t a, int64_t b) {
    pack_weight(u.data(), C, O, nr, kDepthSlice, a, b, packed);
  });
}

namespace {

// How the packed forward runs g: in blocks of `block` tiles (V and M of a block per thread), or
// with all tiles at once (block 0).
struct PackedPlan {
  int64_t tiles, block, rows_padded;
};

PackedPlan packed_plan(const Conv2dGeometry& g) {
  const int64_t C = g.in_c, O = g.out_c;
  const int64_t mr = gemm_microkernel_for(O).mr;
  const int64_t tiles = g.batch * TileGrid(g).per_image;
  const int64_t block = std::max(mr, kBlockBytes / (kXi * (C + O) * 4) / mr * mr);
  if (kXi * C * O <= kFusedMaxWeightFloats && tiles >= 2 * block) return {tiles, block, 0};
  return {tiles, 0, (tiles + mr - 1) / mr * mr};
}

// Scratch floats rounded up to whole cache lines, so that each part starts 64-byte aligned.
int64_t lines(int64_t floats) {
  return (floats + 15) / 16 * 16;
}

}  // namespace

int64_t conv2d_winograd_packed_scratch_floats(const Conv2dGeometry& g) {
  const PackedPlan p = packed_plan(g);
  if (p.block > 0)
    return num_threads() * (lines(kXi * p.block * g.in_c) + lines(kXi * p.block * g.out_c));
  return lines(kXi * p.rows_padded * g.in_c) + lines(kXi * p.tiles * g.out_c);
}

void conv2d_forward_winograd_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                    const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                    float* scratch) {
  const int64_t C = g.in_c, O = g.out_c;
  const Problem p{g, TileGrid(g), x, bias, epilogue, y};
  const GemmMicrokernel& kernel = gemm_microkernel_for(O);
  const int64_t mr = kernel.mr, nr = kernel.nr;
  const PackedPlan plan = packed_plan(g);
  const int64_t tiles = plan.tiles;
  if (plan.block > 0) {
    // blocks of tiles whose V and M stay in L2, as conv2d_forward_winograd; each thread has
    // its own part of the scratch
    const int64_t block = plan.block;
    const int64_t per_thread = lines(kXi * block * C) + lines(kXi * block * O);
    const int64_t blocks = (tiles + block - 1) / block;
    const int64_t shares = std::min<int64_t>(num_threads(), blocks);
    parallel_for(shares, 1, [&](int64_t s0, int64_t s1) {
      for (int64_t share = s0; share < s1; ++share) {
        float* v = scratch + share * per_thread;
        float* m = v + lines(kXi * block * C);
        for (int64_t b = blocks * share / shares; b < blocks * (share + 1) / shares; ++b)
          run_block(p, kernel, packed, b * block, std::min(block, tiles - b * block), v, m);
      }
    });
    return;
  }
  // Few tiles (batch-1 images of 14x14 to 28x28) or a weight beyond the caches: all tiles at
  // once, the 36 products split between threads by xi, so that each transformed weight is read
  // once per call. V is written packed as the microkernel reads A.
  const int64_t rows_padded = plan.rows_padded;
  const int64_t o_padded = (O + nr - 1) / nr * nr;
  float* v = scratch;
  float* m = scratch + lines(kXi * rows_padded * C);
  const VLayout layout{rows_padded * C, C, mr, kDepthSlice, rows_padded};
  if (tiles < rows_padded) std::fill_n(v, kXi * rows_padded * C, 0.0f);
  parallel_for(tiles, 1,
               [&](int64_t a, int64_t b) { transform_input(g, p.grid, x, a, b, a, layout, v); });
  parallel_for(kXi, 1, [&](int64_t xi0, int64_t xi1) {
    for (int64_t xi = xi0; xi < xi1; ++xi)
      gemm_f32_packed_ab(kernel, v + xi * rows_padded * C, rows_padded, packed + xi * C * o_padded,
                         tiles, O, C, kDepthSlice, m + xi * tiles * O, O);
  });
  parallel_for(tiles, 1, [&](int64_t a, int64_t b) {
    transform_output(g, p.grid, m + a * O, tiles * O, a, b, bias, epilogue, y);
  });
}

bool conv2d_winograd_backward_data_applies(const Conv2dGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 &&
         conv2d_winograd_applies(conv2d_transposed_geometry(g));
}

void conv2d_backward_data_winograd(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                   float* grad_x) {
  conv2d_backward_data_flipped(conv2d_forward_winograd, g, grad_y, w, grad_x);
}

}  // namespace cnn::kernels::cpu
