// Winograd F(2x2, 3x3) with the weight transformed and packed once (prepared inference only):
// 2x2 output tiles from 4x4 patches, 16 products instead of F(4x4, 3x3)'s 36. It does more
// multiply-adds than F(4x4, 3x3) (16 per 4 outputs: 2.25x fewer than a direct convolution
// instead of 4x) but its tiles fit small images: a 14x14 map is 49 tiles exactly where
// F(4x4, 3x3) has 16 tiles covering 16x16, and its transformed weight is 16/9 of the weight
// instead of 4x, so batch-1 layers of 256-512 channels on 14x14 maps, where F(4x4, 3x3) loses to
// the direct kernel, can win. The transforms (Lavin and Gray, 2016):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// All tiles run at once: the input transform (split between threads by tile), the 16 products
// (split by xi, each transformed weight read once per call), the output transform with the
// epilogue (by tile). Every element is computed in a fixed order: bit-identical run to run.
#include <algorithm>

#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

constexpr int64_t kTile = 2;    // output pixels per tile side
constexpr int64_t kPatch = 4;   // input pixels per patch side
constexpr int64_t kXi = 16;     // positions of the transform domain
constexpr int64_t kLanes = 16;  // channels transformed together
constexpr int64_t kDepthSlice = 128;

struct Grid {
  int64_t rows, cols, per_image, tiles;
  explicit Grid(const Conv2dGeometry& g)
      : rows((g.out_h + kTile - 1) / kTile),
        cols((g.out_w + kTile - 1) / kTile),
        per_image(rows * cols),
        tiles(g.batch * rows * cols) {}
};

// Rows of V and M per xi, and the microkernel's tile.
struct Sizes {
  int64_t mr, nr, rows_padded, o_padded;
  explicit Sizes(const Conv2dGeometry& g) {
    const GemmMicrokernel& k = gemm_microkernel_for(g.out_c);
    mr = k.mr;
    nr = k.nr;
    rows_padded = (Grid(g).tiles + mr - 1) / mr * mr;
    o_padded = (g.out_c + nr - 1) / nr * nr;
  }
};

int64_t lines(int64_t floats) {
  return (floats + 15) / 16 * 16;
}

// Where V[xi][row][c] lies when packed as the microkernel reads A: for each xi, each depth slice
// of kDepthSlice channels, each strip of mr rows, [c % slice][row % mr].
int64_t v_offset(int64_t row, int64_t c, int64_t C, int64_t mr, int64_t rows_padded) {
  const int64_t slice = c / kDepthSlice, depth = std::min(kDepthSlice, C - slice * kDepthSlice);
  return slice * rows_padded * kDepthSlice + row / mr * depth * mr + c % kDepthSlice * mr +
         row % mr;
}

// U[xi] = G g G^T for each input channel c and output channel o, in double, packed per xi as
// the microkernel reads B: [slice of c][strip of nr o][c % slice][o % nr].
CNN_TARGET_CLONES void pack_weight(const Conv2dGeometry& g, const float* w, int64_t c0, int64_t c1,
                                   float* packed) {
  const int64_t C = g.in_c, O = g.out_c;
  const Sizes z(g);
  for (int64_t c = c0; c < c1; ++c) {
    const int64_t slice = c / kDepthSlice, depth = std::min(kDepthSlice, C - slice * kDepthSlice);
    for (int64_t o = 0; o < O; ++o) {
      double k[3][3], t[4][3], u[4][4];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) k[ky][kx] = w[((ky * 3 + kx) * C + c) * O + o];
      for (int kx = 0; kx < 3; ++kx) {  // G g
        t[0][kx] = k[0][kx];
        t[1][kx] = 0.5 * (k[0][kx] + k[1][kx] + k[2][kx]);
        t[2][kx] = 0.5 * (k[0][kx] - k[1][kx] + k[2][kx]);
        t[3][kx] = k[2][kx];
      }
      for (int i = 0; i < 4; ++i) {  // (G g) G^T
        u[i][0] = t[i][0];
        u[i][1] = 0.5 * (t[i][0] + t[i][1] + t[i][2]);
        u[i][2] = 0.5 * (t[i][0] - t[i][1] + t[i][2]);
        u[i][3] = t[i][2];
      }
      const int64_t strip = o / z.nr, lane = o % z.nr;
      for (int64_t xi = 0; xi < kXi; ++xi)
        packed[xi * C * z.o_padded + slice * kDepthSlice * z.o_padded + strip * depth * z.nr +
               (c % kDepthSlice) * z.nr + lane] = static_cast<float>(u[xi / 4][xi % 4]);
    }
  }
}

// V[xi][t] = (B^T d B)[xi] for tiles [t0, t1), d the 4x4 patch (zero outside the image).
CNN_TARGET_CLONES void transform_input(const Conv2dGeometry& g, const Grid& grid, const float* x,
                                       int64_t t0, int64_t t1, float* V) {
  const int64_t C = g.in_c;
  const Sizes z(g);
  alignas(64) float d[kPatch * kPatch][kLanes], e[kPatch * kPatch][kLanes];
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t n = t / grid.per_image, ty = t % grid.per_image / grid.cols, tx = t % grid.cols;
    const int64_t iy0 = ty * kTile - g.pad_top, ix0 = tx * kTile - g.pad_left;
    const float* image = x + n * g.in_h * g.in_w * C;
    for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
      const int64_t lanes = std::min(kLanes, C - c0);
      for (int64_t a = 0; a < kPatch; ++a)
        for (int64_t b = 0; b < kPatch; ++b) {
          const int64_t iy = iy0 + a, ix = ix0 + b;
          float* dst = d[a * kPatch + b];
          std::fill_n(dst, kLanes, 0.0f);
          if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w)
            std::copy_n(image + (iy * g.in_w + ix) * C + c0, lanes, dst);
        }
      for (int64_t b = 0; b < kPatch; ++b)  // B^T d, down the columns
        for (int l = 0; l < kLanes; ++l) {
          const float d0 = d[b][l], d1 = d[4 + b][l], d2 = d[8 + b][l], d3 = d[12 + b][l];
          e[b][l] = d0 - d2;
          e[4 + b][l] = d1 + d2;
          e[8 + b][l] = d2 - d1;
          e[12 + b][l] = d1 - d3;
        }
      for (int64_t a = 0; a < kPatch; ++a)  // (B^T d) B, along the rows
        for (int l = 0; l < kLanes; ++l) {
          const float d0 = e[4 * a][l], d1 = e[4 * a + 1][l], d2 = e[4 * a + 2][l];
          const float d3 = e[4 * a + 3][l];
          d[4 * a][l] = d0 - d2;
          d[4 * a + 1][l] = d1 + d2;
          d[4 * a + 2][l] = d2 - d1;
          d[4 * a + 3][l] = d1 - d3;
        }
      for (int64_t xi = 0; xi < kXi; ++xi) {
        float* dst = V + xi * z.rows_padded * C;
        for (int64_t l = 0; l < lanes; ++l)
          dst[v_offset(t, c0 + l, C, z.mr, z.rows_padded)] = d[xi][l];
      }
    }
  }
}

// y tile = A^T M A + bias, then the residual and the clamp, for tiles [t0, t1); M[xi][t][o].
CNN_TARGET_CLONES void transform_output(const Conv2dGeometry& g, const Grid& grid, const float* M,
                                        int64_t t0, int64_t t1, const float* bias,
                                        const Conv2dEpilogue& e, float* y) {
  const int64_t O = g.out_c;
  alignas(64) float m[kXi][kLanes], s[kTile * kPatch][kLanes], r[kTile * kTile][kLanes];
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t n = t / grid.per_image, ty = t % grid.per_image / grid.cols, tx = t % grid.cols;
    const int64_t oy0 = ty * kTile, ox0 = tx * kTile;
    const int64_t rows = std::min(kTile, g.out_h - oy0), cols = std::min(kTile, g.out_w - ox0);
    for (int64_t o0 = 0; o0 < O; o0 += kLanes) {
      const int64_t lanes = std::min(kLanes, O - o0);
      for (int64_t xi = 0; xi < kXi; ++xi) {
        std::fill_n(m[xi], kLanes, 0.0f);
        std::copy_n(M + (xi * grid.tiles + t) * O + o0, lanes, m[xi]);
      }
      for (int64_t j = 0; j < kPatch; ++j)  // A^T M, down the columns
        for (int l = 0; l < kLanes; ++l) {
          s[j][l] = m[j][l] + m[4 + j][l] + m[8 + j][l];
          s[4 + j][l] = m[4 + j][l] - m[8 + j][l] - m[12 + j][l];
        }
      for (int64_t i = 0; i < kTile; ++i)  // (A^T M) A, along the rows
        for (int l = 0; l < kLanes; ++l) {
          r[2 * i][l] = s[4 * i][l] + s[4 * i + 1][l] + s[4 * i + 2][l];
          r[2 * i + 1][l] = s[4 * i + 1][l] - s[4 * i + 2][l] - s[4 * i + 3][l];
        }
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t pixel = (n * g.out_h + oy0 + i) * g.out_w + ox0 + j;
          float* v = r[i * kTile + j];
          if (e.scale != nullptr)
            for (int64_t l = 0; l < lanes; ++l) v[l] *= e.scale[o0 + l];
          if (bias != nullptr)
            for (int64_t l = 0; l < lanes; ++l) v[l] += bias[o0 + l];
          if (e.residual != nullptr)
            for (int64_t l = 0; l < lanes; ++l) v[l] += e.residual[pixel * O + o0 + l];
          if (e.relu)
            for (int l = 0; l < kLanes; ++l) v[l] = std::min(std::max(v[l], 0.0f), e.relu_max);
          std::copy_n(v, lanes, y + pixel * O + o0);
        }
    }
  }
}

}  // namespace

int64_t conv2d_winograd2_packed_floats(const Conv2dGeometry& g) {
  return kXi * g.in_c * Sizes(g).o_padded;
}

void conv2d_winograd2_pack_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  std::fill_n(packed, conv2d_winograd2_packed_floats(g), 0.0f);  // the strips' padding columns
  parallel_for(g.in_c, 1, [&](int64_t c0, int64_t c1) { pack_weight(g, w, c0, c1, packed); });
}

int64_t conv2d_winograd2_packed_scratch_floats(const Conv2dGeometry& g) {
  const Sizes z(g);
  return lines(kXi * z.rows_padded * g.in_c) + lines(kXi * Grid(g).tiles * g.out_c);
}

void conv2d_forward_winograd2_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                     const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                     float* scratch) {
  const int64_t C = g.in_c, O = g.out_c;
  const Grid grid(g);
  const Sizes z(g);
  const GemmMicrokernel& kernel = gemm_microkernel_for(O);
  const int64_t tiles = grid.tiles;
  float* v = scratch;
  float* m = scratch + lines(kXi * z.rows_padded * C);
  if (tiles < z.rows_padded) std::fill_n(v, kXi * z.rows_padded * C, 0.0f);  // padding rows
  parallel_for(tiles, 1, [&](int64_t a, int64_t b) { transform_input(g, grid, x, a, b, v); });
  parallel_for(kXi, 1, [&](int64_t xi0, int64_t xi1) {
    for (int64_t xi = xi0; xi < xi1; ++xi)
      gemm_f32_packed_ab(kernel, v + xi * z.rows_padded * C, z.rows_padded,
                         packed + xi * C * z.o_padded, tiles, O, C, kDepthSlice, m + xi * tiles * O,
                         O);
  });
  parallel_for(tiles, 1, [&](int64_t a, int64_t b) {
    transform_output(g, grid, m, a, b, bias, epilogue, y);
  });
}

}  // namespace cnn::kernels::cpu
