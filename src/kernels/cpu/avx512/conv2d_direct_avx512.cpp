// The AVX-512 bodies of the direct convolution (see kernels/cpu/conv2d_direct.h).
// GCC 12 reports _mm512_undefined_ps() inside _mm512_max_ps as maybe-uninitialized (a known
// false positive of its own header); silenced for this file only.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "cnn/parallel.h"
#include "cnn/tensor.h"
#include "kernels/cpu/conv2d_direct.h"

namespace cnn::kernels::cpu::avx512 {
namespace {

constexpr int64_t kBlock = 16;  // channels per block: one zmm
constexpr int kMaxTile = 28;    // accumulators of a tile (of 32 zmm registers)

// The zero-padded channel-blocked copy xb[b][C/16][Hp][Wp][16] of x [N, H, W, C], where
// row r of xb is image row r - pad_top (likewise columns): Hp = (OH-1)*S + d*(KH-1) + 1
// covers every row any output reads.
struct Blocked {
  int64_t hp = 0, wp = 0, blocks = 0;
  int64_t row() const { return wp * kBlock; }
  int64_t plane() const { return hp * wp * kBlock; }
};

Blocked blocked_shape(const Conv2dGeometry& g) {
  Blocked b;
  b.hp = (g.out_h - 1) * g.stride_h + g.dilation_h * (g.kernel_h - 1) + 1;
  b.wp = (g.out_w - 1) * g.stride_w + g.dilation_w * (g.kernel_w - 1) + 1;
  b.blocks = g.in_c / kBlock;
  return b;
}

void to_blocked(const Conv2dGeometry& g, const Blocked& s, const float* x, float* xb) {
  parallel_for(g.batch * s.blocks * s.hp, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (s.blocks * s.hp), cb = r / s.hp % s.blocks, row = r % s.hp;
      float* dst = xb + ((b * s.blocks + cb) * s.hp + row) * s.row();
      const int64_t iy = row - g.pad_top;
      if (iy < 0 || iy >= g.in_h) {
        std::fill_n(dst, s.row(), 0.0f);
        continue;
      }
      const float* src = x + (b * g.in_h + iy) * g.in_w * g.in_c + cb * kBlock;
      for (int64_t col = 0; col < s.wp; ++col) {
        const int64_t ix = col - g.pad_left;
        const __m512 v =
            ix >= 0 && ix < g.in_w ? _mm512_loadu_ps(src + ix * g.in_c) : _mm512_setzero_ps();
        _mm512_store_ps(dst + col * kBlock, v);
      }
    }
  });
}

struct TileArgs {
  const float* in;        // xb at (b, block 0, first row of the segment's fields, first column)
  const float* w;         // the weight at output block o0 / 16 (WeightLayout)
  float* y;               // the output at (b, oy, ox0, o0)
  const float* bias;      // at o0, or null
  const float* scale;     // at o0, or null (the epilogue's, conv2d_gemm.h)
  const float* residual;  // like y, or null
  int64_t plane, row;     // xb strides
  int64_t w_tap, w_c;     // weight strides from one tap to the next, one input channel to next
  int64_t blocks, kh, kw, dil_h, dil_w, in_c, out_c;
  int64_t w_block = 0;                // from one output block of 16 channels to the next
  int64_t in_rows = 0, out_rows = 0;  // RR > 1: from one output row to the next, in xb, in y
  bool relu;
  float relu_max;  // the ReLU's top (+inf: none)
};

// RR output rows (q = 0..RR-1, t.in_rows and t.out_rows apart) of UR consecutive pixels each,
// x 16*OB output channels, RR*UR*OB <= 28 sums in registers. RR = 1 is a segment of one row;
// RR > 1 (with OB = 1) takes whole rows of narrow images (7 or 14 pixels), so that each
// weight vector loaded feeds RR*UR = 28 FMAs instead of UR.
template <int S, int UR, int OB, int RR>
void tile(const TileArgs& t) {
  static_assert(RR * UR * OB <= kMaxTile);
  __m512 acc[RR][UR][OB];
#pragma GCC unroll 4
  for (int q = 0; q < RR; ++q)
#pragma GCC unroll 28
    for (int r = 0; r < UR; ++r)
#pragma GCC unroll 4
      for (int ob = 0; ob < OB; ++ob) acc[q][r][ob] = _mm512_setzero_ps();
  for (int64_t cb = 0; cb < t.blocks; ++cb) {
    for (int64_t ky = 0; ky < t.kh; ++ky) {
      for (int64_t kx = 0; kx < t.kw; ++kx) {
        const float* ip = t.in + cb * t.plane + ky * t.dil_h * t.row + kx * t.dil_w * kBlock;
        const float* wp = t.w + (ky * t.kw + kx) * t.w_tap + cb * kBlock * t.w_c;
        const float* rows[RR];
#pragma GCC unroll 4
        for (int q = 0; q < RR; ++q) rows[q] = ip + q * t.in_rows;
#pragma GCC unroll 16
        for (int c = 0; c < kBlock; ++c) {
          __m512 wv[OB];
#pragma GCC unroll 4
          for (int ob = 0; ob < OB; ++ob) wv[ob] = _mm512_loadu_ps(wp + c * t.w_c + ob * t.w_block);
#pragma GCC unroll 4
          for (int q = 0; q < RR; ++q)
#pragma GCC unroll 28
            for (int r = 0; r < UR; ++r) {
              const __m512 x = _mm512_set1_ps(rows[q][r * S * kBlock + c]);
#pragma GCC unroll 4
              for (int ob = 0; ob < OB; ++ob)
                acc[q][r][ob] = _mm512_fmadd_ps(x, wv[ob], acc[q][r][ob]);
            }
        }
      }
    }
  }
  // y = acc * scale + bias (+ residual), then clamped to [0, relu_max] when relu
  const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(t.relu_max);
#pragma GCC unroll 4
  for (int ob = 0; ob < OB; ++ob) {
    const __m512 b = t.bias != nullptr ? _mm512_loadu_ps(t.bias + ob * kBlock) : zero;
    const __m512 sc = t.scale != nullptr ? _mm512_loadu_ps(t.scale + ob * kBlock) : zero;
#pragma GCC unroll 4
    for (int q = 0; q < RR; ++q)
#pragma GCC unroll 28
      for (int r = 0; r < UR; ++r) {
        const int64_t at = q * t.out_rows + r * t.out_c + ob * kBlock;
        __m512 v = t.scale != nullptr ? _mm512_fmadd_ps(acc[q][r][ob], sc, b)
                                      : _mm512_add_ps(acc[q][r][ob], b);
        if (t.residual != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(t.residual + at));
        // max(0, v), min(top, v): a NaN passes through, as std::max(v, 0) and torch.relu
        if (t.relu) v = _mm512_min_ps(top, _mm512_max_ps(zero, v));
        _mm512_storeu_ps(t.y + at, v);
      }
  }
}

using TileFn = void (*)(const TileArgs&);

// The tile of `rows` whole rows (at most 28 pixels) of an image `width` pixels wide, or null.
template <int S>
TileFn rows_tile_for(int64_t width, int64_t rows) {
  if (width == 7) {
    switch (rows) {
      case 4:
        return tile<S, 7, 1, 4>;
      case 3:
        return tile<S, 7, 1, 3>;
      case 2:
        return tile<S, 7, 1, 2>;
      case 1:
        return tile<S, 7, 1, 1>;
      default:
        return nullptr;
    }
  }
  if (width == 14) return rows == 2 ? tile<S, 14, 1, 2> : rows == 1 ? tile<S, 14, 1, 1> : nullptr;
  return nullptr;
}

// Tiles of UR in {28, 14, 7, 4, 2, 1} / OB columns, for OB in {1, 2, 4}.
template <int S, int OB>
TileFn tile_for(int ur) {
  switch (ur) {
    case 28:
      if constexpr (28 * OB <= kMaxTile) return tile<S, 28, OB, 1>;
      break;
    case 14:
      if constexpr (14 * OB <= kMaxTile) return tile<S, 14, OB, 1>;
      break;
    case 7:
      return tile<S, 7, OB, 1>;
    case 4:
      return tile<S, 4, OB, 1>;
    case 2:
      return tile<S, 2, OB, 1>;
    case 1:
      return tile<S, 1, OB, 1>;
    default:
      break;
  }
  return nullptr;
}

template <int S>
TileFn tile_for(int ur, int ob) {
  return ob == 4 ? tile_for<S, 4>(ur) : ob == 2 ? tile_for<S, 2>(ur) : tile_for<S, 1>(ur);
}

// How a row of OW pixels is cut into tiles: the widest that fit, largest first.
int next_tile(int64_t remaining, int max_ur) {
  for (int ur : {28, 14, 7, 4, 2, 1})
    if (ur <= max_ur && ur <= remaining) return ur;
  return 1;
}

}  // namespace

namespace {

// Where the weight vector of tap t, input channel c and output block ob (16 channels) lies:
// w + t * tap + c * channel + ob * block.
struct WeightLayout {
  int64_t tap, channel, block;
};

// HWIO [KH, KW, C, O] as it lies.
WeightLayout hwio_layout(const Conv2dGeometry& g) {
  return {g.in_c * g.out_c, g.out_c, kBlock};
}

// The packed form [O/16][KH*KW][C][16]: each output block's weights are contiguous.
WeightLayout packed_layout(const Conv2dGeometry& g) {
  return {g.in_c * kBlock, kBlock, g.kernel_h * g.kernel_w * g.in_c * kBlock};
}

// xb: the blocked copy's memory (g.batch * blocks * plane floats, 64-byte aligned), or null to
// take it from the storage cache (reused call after call, bounded in total).
void forward(const Conv2dGeometry& g, const float* x, const float* w, const WeightLayout& wl,
             const float* bias, float* y, const Conv2dEpilogue& e, float* xb) {
  const Blocked s = blocked_shape(g);
  Tensor blocked;
  if (xb == nullptr) {
    blocked = Tensor::empty({g.batch * s.blocks * s.plane()});
    xb = blocked.data();
  }
  to_blocked(g, s, x, xb);
  const int64_t out_blocks = g.out_c / kBlock;
  // Narrow rows take several output blocks per tile, so that a tile still holds >= 14 sums.
  int ob = 1;
  if (g.out_w <= 7 && out_blocks % 4 == 0) {
    ob = 4;
  } else if (g.out_w <= 14 && out_blocks % 2 == 0) {
    ob = 2;
  }
  const int max_ur = kMaxTile / ob;
  const int64_t groups_of_blocks = out_blocks / ob;
  // Units of work are (output rows, output blocks). When the weight is larger than the input,
  // a thread takes consecutive output blocks, so that each block of the weight is read from
  // memory once and its rows of input stay in the cache (batch-1 inference of deep layers);
  // otherwise consecutive rows, so that the input is read once while the weight stays in the
  // cache (training batches). The order does not change any sum.
  const bool weight_major =
      g.kernel_h * g.kernel_w * g.in_c * g.out_c > g.batch * s.blocks * s.plane();
  TileArgs base{};
  base.plane = s.plane();
  base.row = s.row();
  base.w_tap = wl.tap;
  base.w_c = wl.channel;
  base.w_block = wl.block;
  base.blocks = s.blocks;
  base.kh = g.kernel_h;
  base.kw = g.kernel_w;
  base.dil_h = g.dilation_h;
  base.dil_w = g.dilation_w;
  base.in_c = g.in_c;
  base.out_c = g.out_c;
  base.relu = e.relu;
  base.relu_max = e.relu_max;
  // Narrow images with many channels: several whole rows per tile, one output block.
  const int64_t rr = 28 / std::max<int64_t>(g.out_w, 1);
  auto rows_fn = [&](int64_t rows) {
    return g.stride_w == 1 ? rows_tile_for<1>(g.out_w, rows) : rows_tile_for<2>(g.out_w, rows);
  };
  if (rows_fn(rr) != nullptr && out_blocks >= 4) {
    const int64_t groups = (g.out_h + rr - 1) / rr;  // per image; the last may be shorter
    const int64_t row_units = g.batch * groups;
    base.in_rows = g.stride_h * s.row();
    base.out_rows = g.out_w * g.out_c;
    parallel_for(row_units * out_blocks, 1, [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t obk = weight_major ? u / row_units : u % out_blocks;
        const int64_t ru = weight_major ? u % row_units : u / out_blocks;
        const int64_t b = ru / groups, oy0 = ru % groups * rr;
        const int64_t o0 = obk * kBlock;
        TileArgs t = base;
        t.w = w + obk * wl.block;
        t.bias = bias != nullptr ? bias + o0 : nullptr;
        t.scale = e.scale != nullptr ? e.scale + o0 : nullptr;
        const int64_t pixel = (b * g.out_h + oy0) * g.out_w;
        t.in = xb + (b * s.blocks * s.hp + oy0 * g.stride_h) * s.row();
        t.y = y + pixel * g.out_c + o0;
        t.residual = e.residual != nullptr ? e.residual + pixel * g.out_c + o0 : nullptr;
        rows_fn(std::min(rr, g.out_h - oy0))(t);
      }
    });
    return;
  }
  // One unit of work: an output row x a group of output blocks.
  const int64_t rows = g.batch * g.out_h;
  parallel_for(rows * groups_of_blocks, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t obg = weight_major ? u / rows : u % groups_of_blocks;
      const int64_t row = weight_major ? u % rows : u / groups_of_blocks;
      const int64_t b = row / g.out_h, oy = row % g.out_h;
      const int64_t o0 = obg * ob * kBlock;
      TileArgs t = base;
      t.w = w + obg * ob * wl.block;
      t.bias = bias != nullptr ? bias + o0 : nullptr;
      t.scale = e.scale != nullptr ? e.scale + o0 : nullptr;
      for (int64_t ox = 0; ox < g.out_w;) {
        const int ur = next_tile(g.out_w - ox, max_ur);
        const int64_t pixel = (b * g.out_h + oy) * g.out_w + ox;
        t.in = xb + (b * s.blocks * s.hp + oy * g.stride_h) * s.row() + ox * g.stride_w * kBlock;
        t.y = y + pixel * g.out_c + o0;
        t.residual = e.residual != nullptr ? e.residual + pixel * g.out_c + o0 : nullptr;
        const TileFn fn = g.stride_w == 1 ? tile_for<1>(ur, ob) : tile_for<2>(ur, ob);
        fn(t);
        ox += ur;
      }
    }
  });
}

}  // namespace

void conv2d_forward_direct(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y, const Conv2dEpilogue& e) {
  forward(g, x, w, hwio_layout(g), bias, y, e, nullptr);
}

void conv2d_direct_pack_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  const int64_t taps = g.kernel_h * g.kernel_w, out_blocks = g.out_c / kBlock;
  parallel_for(out_blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t ob = b0; ob < b1; ++ob)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < g.in_c; ++c)
          std::copy_n(w + (t * g.in_c + c) * g.out_c + ob * kBlock, kBlock,
                      packed + ((ob * taps + t) * g.in_c + c) * kBlock);
  });
}

namespace {

// ---- few input channels (an image's first layer: 1 to 4 channels) ----
//
// The blocked copy would pad C to 16, multiplying the work; here the input is copied once into
// a zero-padded NHWC image xp [b][Hp][Wp][C], in which one kernel row of a pixel's receptive
// field is KW*C consecutive values. A tile of UR pixels of one output row x 16*OB output
// channels stays in registers; for each kernel row and each of its KW*C values, OB vectors of
// the packed weight are loaded and each pixel's value is broadcast into the FMAs, at a
// displacement r*S*C known at compile time.

struct SmallTileArgs {
  const float* in;  // xp at the tile's first pixel's receptive field (top-left corner)
  const float* w;   // the packed weight at the tile's first output block
  float* y;         // the output at the tile's first pixel and channel
  const float* bias;
  const float* residual;
  int64_t in_row;    // floats from one row of xp to the next
  int64_t kh, span;  // kernel rows, KW*C values per kernel row
  int64_t w_block;   // floats per output block of the packed weight
  int64_t out_c;
  bool relu;
  float relu_max;
};

template <int S, int C, int UR, int OB>
void small_tile(const SmallTileArgs& t) {
  static_assert(UR * OB <= kMaxTile);
  __m512 acc[UR][OB];
#pragma GCC unroll 8
  for (int r = 0; r < UR; ++r)
#pragma GCC unroll 4
    for (int ob = 0; ob < OB; ++ob) acc[r][ob] = _mm512_setzero_ps();
  for (int64_t ky = 0; ky < t.kh; ++ky) {
    const float* ip = t.in + ky * t.in_row;
    const float* wp = t.w + ky * t.span * kBlock;
    for (int64_t j = 0; j < t.span; ++j) {
      __m512 wv[OB];
#pragma GCC unroll 4
      for (int ob = 0; ob < OB; ++ob) wv[ob] = _mm512_loadu_ps(wp + j * kBlock + ob * t.w_block);
#pragma GCC unroll 8
      for (int r = 0; r < UR; ++r) {
        const __m512 v = _mm512_set1_ps(ip[r * S * C + j]);
#pragma GCC unroll 4
        for (int ob = 0; ob < OB; ++ob) acc[r][ob] = _mm512_fmadd_ps(v, wv[ob], acc[r][ob]);
      }
    }
  }
  const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(t.relu_max);
#pragma GCC unroll 4
  for (int ob = 0; ob < OB; ++ob) {
    const __m512 b = t.bias != nullptr ? _mm512_loadu_ps(t.bias + ob * kBlock) : zero;
#pragma GCC unroll 8
    for (int r = 0; r < UR; ++r) {
      const int64_t at = r * t.out_c + ob * kBlock;
      __m512 v = _mm512_add_ps(acc[r][ob], b);
      if (t.residual != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(t.residual + at));
      if (t.relu) v = _mm512_min_ps(top, _mm512_max_ps(zero, v));
      _mm512_storeu_ps(t.y + at, v);
    }
  }
}

using SmallTileFn = void (*)(const SmallTileArgs&);

template <int S, int C, int OB>
SmallTileFn small_tile_for(int ur) {
  switch (ur) {
    case 7:
      return small_tile<S, C, 7, OB>;
    case 4:
      return small_tile<S, C, 4, OB>;
    case 2:
      return small_tile<S, C, 2, OB>;
    default:
      return small_tile<S, C, 1, OB>;
  }
}

template <int S, int C>
SmallTileFn small_tile_for(int ur, int ob) {
  return ob == 4   ? small_tile_for<S, C, 4>(ur)
         : ob == 2 ? small_tile_for<S, C, 2>(ur)
                   : small_tile_for<S, C, 1>(ur);
}

template <int S>
SmallTileFn small_tile_for(int64_t c, int ur, int ob) {
  switch (c) {
    case 1:
      return small_tile_for<S, 1>(ur, ob);
    case 2:
      return small_tile_for<S, 2>(ur, ob);
    case 3:
      return small_tile_for<S, 3>(ur, ob);
    default:
      return small_tile_for<S, 4>(ur, ob);
  }
}

int64_t small_c_padded_floats(const Conv2dGeometry& g) {
  const int64_t hp = (g.out_h - 1) * g.stride_h + g.kernel_h;
  const int64_t wp = (g.out_w - 1) * g.stride_w + g.kernel_w;
  return g.batch * hp * wp * g.in_c;
}

void forward_small_c(const Conv2dGeometry& g, const float* x, const float* packed,
                     const float* bias, float* y, const Conv2dEpilogue& e, float* xp) {
  const int64_t C = g.in_c;
  const int64_t hp = (g.out_h - 1) * g.stride_h + g.kernel_h;
  const int64_t wp = (g.out_w - 1) * g.stride_w + g.kernel_w;
  parallel_for(g.batch * hp, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / hp, iy = r % hp - g.pad_top;
      float* dst = xp + r * wp * C;
      std::fill_n(dst, wp * C, 0.0f);
      if (iy < 0 || iy >= g.in_h) continue;
      const int64_t lo = std::max<int64_t>(0, g.pad_left);
      const int64_t hi = std::min<int64_t>(wp, g.in_w + g.pad_left);
      if (hi > lo)
        std::copy_n(x + ((b * g.in_h + iy) * g.in_w + lo - g.pad_left) * C, (hi - lo) * C,
                    dst + lo * C);
    }
  });
  const int64_t out_blocks = g.out_c / kBlock;
  const int ob = out_blocks % 4 == 0 ? 4 : out_blocks % 2 == 0 ? 2 : 1;
  const int64_t groups_of_blocks = out_blocks / ob;
  SmallTileArgs base{};
  base.in_row = wp * C;
  base.kh = g.kernel_h;
  base.span = g.kernel_w * C;
  base.w_block = g.kernel_h * g.kernel_w * C * kBlock;
  base.out_c = g.out_c;
  base.relu = e.relu;
  base.relu_max = e.relu_max;
  const int64_t rows = g.batch * g.out_h;
  parallel_for(rows * groups_of_blocks, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t obg = u % groups_of_blocks, row = u / groups_of_blocks;
      const int64_t b = row / g.out_h, oy = row % g.out_h;
      const int64_t o0 = obg * ob * kBlock;
      SmallTileArgs t = base;
      t.w = packed + obg * ob * base.w_block;
      t.bias = bias != nullptr ? bias + o0 : nullptr;
      for (int64_t ox = 0; ox < g.out_w;) {
        const int64_t left = g.out_w - ox;
        const int ur = left >= 7 ? 7 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
        const int64_t pixel = (b * g.out_h + oy) * g.out_w + ox;
        t.in = xp + ((b * hp + oy * g.stride_h) * wp + ox * g.stride_w) * C;
        t.y = y + pixel * g.out_c + o0;
        t.residual = e.residual != nullptr ? e.residual + pixel * g.out_c + o0 : nullptr;
        (g.stride_w == 1 ? small_tile_for<1>(C, ur, ob) : small_tile_for<2>(C, ur, ob))(t);
        ox += ur;
      }
    }
  });
}

}  // namespace

int64_t conv2d_direct_packed_scratch_floats(const Conv2dGeometry& g) {
  if (g.in_c % kBlock != 0) return small_c_padded_floats(g);
  const Blocked s = blocked_shape(g);
  return g.batch * s.blocks * s.plane();
}

void conv2d_forward_direct_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                  const float* bias, float* y, const Conv2dEpilogue& e,
                                  float* scratch) {
  if (g.in_c % kBlock != 0) {
    forward_small_c(g, x, packed, bias, y, e, scratch);
    return;
  }
  forward(g, x, packed, packed_layout(g), bias, y, e, scratch);
}

namespace {

// dW[tap, cb*16 + c, ob*16 + o] += sum over the output rows [row0, row1) (row = b*OH + oy) and
// their pixels ox that read inside the image at this tap, of x[b, iy, ix, cb*16 + c] *
// dy[b, oy, ox, ob*16 + o]. The 16x16 block of dW at `dst` (row stride O) stays in registers
// over the rows; a few rows of x and dy fit in L1, so the taps re-read them from there.
void accumulate_rows_tap(const Conv2dGeometry& g, const float* x, const float* grad_y, int64_t row0,
                         int64_t row1, int64_t ky, int64_t kx, int64_t cb, int64_t obk,
                         float* dst) {
  // ox with 0 <= ox*S + kx*d - pad_left < W
  const int64_t shift = kx * g.dilation_w - g.pad_left;
  if (g.in_w - 1 - shift < 0) return;
  const int64_t lo = shift >= 0 ? 0 : (-shift + g.stride_w - 1) / g.stride_w;
  const int64_t hi = std::min(g.out_w, (g.in_w - 1 - shift) / g.stride_w + 1);
  if (lo >= hi) return;
  __m512 acc[kBlock];
#pragma GCC unroll 16
  for (int c = 0; c < kBlock; ++c) acc[c] = _mm512_loadu_ps(dst + c * g.out_c);
  const int64_t step = g.stride_w * g.in_c;
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t b = row / g.out_h, oy = row % g.out_h;
    const int64_t iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top;
    if (iy < 0 || iy >= g.in_h) continue;
    const float* ip =
        x + ((b * g.in_h + iy) * g.in_w + lo * g.stride_w + shift) * g.in_c + cb * kBlock;
    const float* dy = grad_y + ((b * g.out_h + oy) * g.out_w + lo) * g.out_c + obk * kBlock;
    for (int64_t ox = lo; ox < hi; ++ox, ip += step, dy += g.out_c) {
      const __m512 d = _mm512_loadu_ps(dy);
#pragma GCC unroll 16
      for (int c = 0; c < kBlock; ++c) acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(ip[c]), d, acc[c]);
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < kBlock; ++c) _mm512_storeu_ps(dst + c * g.out_c, acc[c]);
}

}  // namespace

// The output rows are cut into one contiguous share per thread; each share sums, a chunk of
// rows at a time, into its own partial dW, and the partials are added in share order:
// bit-identical for a fixed thread count.
void conv2d_backward_weight_direct(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w) {
  const int64_t blocks = g.in_c / kBlock, out_blocks = g.out_c / kBlock;
  const int64_t taps = g.kernel_h * g.kernel_w;
  const int64_t size = taps * g.in_c * g.out_c;
  const int64_t rows = g.batch * g.out_h;
  const int64_t shares = std::min<int64_t>(num_threads(), rows);
  // rows swept per tap: about 256 pixels, whose x and dy rows stay in L1 across the taps
  const int64_t chunk = std::max<int64_t>(1, 256 / g.out_w);
  thread_local std::vector<float> partial_buffer;
  partial_buffer.assign(static_cast<size_t>((shares - 1) * size), 0.0f);
  float* partials = partial_buffer.data();  // the workers see their own thread_local, not this
  std::fill_n(grad_w, size, 0.0f);
  parallel_for(shares, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t share = s0; share < s1; ++share) {
      float* dw = share == 0 ? grad_w : partials + (share - 1) * size;
      const int64_t end = rows * (share + 1) / shares;
      for (int64_t row = rows * share / shares; row < end; row += chunk) {
        const int64_t row_end = std::min(end, row + chunk);
        for (int64_t tap = 0; tap < taps; ++tap)
          for (int64_t cb = 0; cb < blocks; ++cb)
            for (int64_t obk = 0; obk < out_blocks; ++obk)
              accumulate_rows_tap(g, x, grad_y, row, row_end, tap / g.kernel_w, tap % g.kernel_w,
                                  cb, obk,
                                  dw + (tap * g.in_c + cb * kBlock) * g.out_c + obk * kBlock);
      }
    }
  });
  for (int64_t share = 1; share < shares; ++share) {
    const float* p = partials + (share - 1) * size;
    for (int64_t i = 0; i < size; ++i) grad_w[i] += p[i];
  }
}

}  // namespace cnn::kernels::cpu::avx512
