// Running a planned contraction (contract.h): the register-blocked columns and dot shapes, over
// each output point's present taps.
#include "formula/contract.h"

#include <algorithm>
#include <cstring>

#include "cnn/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::formulas {

namespace {

constexpr int kWidth = 16;  // consecutive outputs (columns) or reduction steps (dot) per vector
using Vec = float __attribute__((vector_size(kWidth * sizeof(float))));

// ---- columns: rows x 16 outputs, out_r[0..16) = sum_k a_r[k_a[k]] * b[k_b[k] + 0..16) ------

template <int R>
inline __attribute__((always_inline)) void column_block(int64_t steps, const int64_t* k_a,
                                                        const int64_t* k_b, const float* const* a,
                                                        const float* b, float* const* out,
                                                        bool accumulate) {
  Vec acc[R];
  for (int r = 0; r < R; ++r) acc[r] = Vec{};
  for (int64_t k = 0; k < steps; ++k) {
    Vec bv;
    std::memcpy(&bv, b + k_b[k], sizeof(Vec));
    const int64_t ka = k_a[k];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] += a[r][ka] * bv;
  }
  for (int r = 0; r < R; ++r) {
    if (accumulate) {
      Vec old;
      std::memcpy(&old, out[r], sizeof(Vec));
      acc[r] = old + acc[r];
    }
    std::memcpy(out[r], &acc[r], sizeof(Vec));
  }
}

#define CNN_COLUMN_BLOCK(R)                                                                  \
  CNN_TARGET_CLONES void column_block##R(bool accumulate, int64_t steps, const int64_t* k_a, \
                                         const int64_t* k_b, const float* const* a,          \
                                         const float* b, float* const* out) {                \
    column_block<R>(steps, k_a, k_b, a, b, out, accumulate);                                 \
  }
CNN_COLUMN_BLOCK(12)
CNN_COLUMN_BLOCK(6)
CNN_COLUMN_BLOCK(4)
CNN_COLUMN_BLOCK(2)
CNN_COLUMN_BLOCK(1)
#undef CNN_COLUMN_BLOCK

// The last columns (fewer than 16), one output at a time, in the same order.
void column_tail(bool accumulate, int64_t steps, const int64_t* k_a, const int64_t* k_b,
                 const float* a, const float* b, float* out, int64_t columns) {
  for (int64_t n = 0; n < columns; ++n) {
    float acc = 0;
    for (int64_t k = 0; k < steps; ++k) acc += a[k_a[k]] * b[k_b[k] + n];
    out[n] = accumulate ? out[n] + acc : acc;
  }
}

// ---- dot: R consecutive outputs, out[r] = sum_k sum_u a[k_a[k] + r*col_a + u] *
// b[k_b[k] + r*col_b + u], u over the depth 16 at a time; the 16 lanes added at the end -------

struct DotArgs {
  int64_t steps;
  const int64_t* k_a;
  const int64_t* k_b;
  const float* a;
  const float* b;
  int64_t col_a, col_b, depth;
  float* out;
  bool accumulate;
};

// v = p[0..count), zeros after.
inline __attribute__((always_inline)) void load(Vec& v, const float* p, int64_t count) {
  v = Vec{};
  std::memcpy(&v, p, static_cast<size_t>(count) * sizeof(float));
}

// The 16 lanes added as a tree, halves first: 4 dependent additions rather than 15.
using Vec8 = float __attribute__((vector_size(8 * sizeof(float))));
using Vec4 = float __attribute__((vector_size(4 * sizeof(float))));
inline __attribute__((always_inline)) float lane_sum(const Vec& v) {
  Vec8 lo, hi;
  std::memcpy(&lo, &v, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
  const Vec8 s8 = lo + hi;
  Vec4 lo4, hi4;
  std::memcpy(&lo4, &s8, sizeof lo4);
  std::memcpy(&hi4, reinterpret_cast<const char*>(&s8) + sizeof lo4, sizeof hi4);
  const Vec4 s4 = lo4 + hi4;
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

// kShared: A does not move with the column (col_a == 0): one load of A serves the R columns.
template <int R, bool kShared>
inline __attribute__((always_inline)) void dot_block(const DotArgs& d) {
  Vec acc[R];
  for (int r = 0; r < R; ++r) acc[r] = Vec{};
  const int64_t full = d.depth / kWidth * kWidth;
  for (int64_t k = 0; k < d.steps; ++k) {
    const float* a = d.a + d.k_a[k];
    const float* b = d.b + d.k_b[k];
    for (int64_t u = 0; u < full; u += kWidth) {
      Vec av, ar, bv;
      load(av, a + u, kWidth);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        if (!kShared) load(ar, a + r * d.col_a + u, kWidth);
        load(bv, b + r * d.col_b + u, kWidth);
        acc[r] += (kShared ? av : ar) * bv;
      }
    }
    if (full < d.depth) {
      const int64_t rest = d.depth - full;
      Vec av, ar, bv;
      load(av, a + full, rest);
      for (int r = 0; r < R; ++r) {
        if (!kShared) load(ar, a + r * d.col_a + full, rest);
        load(bv, b + r * d.col_b + full, rest);
        acc[r] += (kShared ? av : ar) * bv;
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    const float sum = lane_sum(acc[r]);
    d.out[r] = d.accumulate ? d.out[r] + sum : sum;
  }
}

#define CNN_DOT_BLOCK(R)                                           \
  CNN_TARGET_CLONES void dot_block##R(const DotArgs& d) {          \
    dot_block<R, false>(d);                                        \
  }                                                                \
  CNN_TARGET_CLONES void dot_block##R##_shared(const DotArgs& d) { \
    dot_block<R, true>(d);                                         \
  }
CNN_DOT_BLOCK(8)
CNN_DOT_BLOCK(4)
CNN_DOT_BLOCK(1)
#undef CNN_DOT_BLOCK

void dot(int r, bool shared, const DotArgs& d) {
  if (r == 8) {
    shared ? dot_block8_shared(d) : dot_block8(d);
  } else if (r == 4) {
    shared ? dot_block4_shared(d) : dot_block4(d);
  } else {
    shared ? dot_block1_shared(d) : dot_block1(d);
  }
}

// The taps present at one output point: all of them without bounds, else those inside every
// bound, in the plan's order.
class Taps {
 public:
  explicit Taps(const Contraction& plan) : plan_(plan) {}

  // Selects the taps for the outer point `point` (row-major over plan.outer_range) and returns
  // its offsets in A, B and Y.
  void at(int64_t point, int64_t& base_a, int64_t& base_b, int64_t& base_y) {
    if (point == point_) {
      base_a = base_a_, base_b = base_b_, base_y = base_y_;
      return;
    }
    point_ = point;
    values_.resize(plan_.outer_range.size());
    base_a = plan_.a_base, base_b = plan_.b_base, base_y = 0;
    for (size_t q = plan_.outer_range.size(); q-- > 0;) {
      values_[q] = point % plan_.outer_range[q];
      point /= plan_.outer_range[q];
      base_a += values_[q] * plan_.outer_a[q];
      base_b += values_[q] * plan_.outer_b[q];
      base_y += values_[q] * plan_.outer_y[q];
    }
    base_a_ = base_a, base_b_ = base_b, base_y_ = base_y;
    if (plan_.bounds.empty()) return;
    ka_.clear();
    kb_.clear();
    bases_.clear();
    for (const Contraction::Bound& bound : plan_.bounds) {
      int64_t v = bound.constant;
      for (size_t q = 0; q < values_.size(); ++q) v += bound.outer[q] * values_[q];
      bases_.push_back(v);
    }
    for (size_t k = 0; k < plan_.k_a.size(); ++k) {
      bool present = true;
      for (size_t c = 0; c < plan_.bounds.size() && present; ++c) {
        const int64_t v = bases_[c] + plan_.bounds[c].taps[k];
        present = v >= 0 && v < plan_.bounds[c].limit;
      }
      if (present) {
        ka_.push_back(plan_.k_a[k]);
        kb_.push_back(plan_.k_b[k]);
      }
    }
  }
  int64_t count() const {
    return plan_.bounds.empty() ? static_cast<int64_t>(plan_.k_a.size())
                                : static_cast<int64_t>(ka_.size());
  }
  const int64_t* k_a() const { return plan_.bounds.empty() ? plan_.k_a.data() : ka_.data(); }
  const int64_t* k_b() const { return plan_.bounds.empty() ? plan_.k_b.data() : kb_.data(); }

 private:
  const Contraction& plan_;
  int64_t point_ = -1;
  int64_t base_a_ = 0, base_b_ = 0, base_y_ = 0;
  std::vector<int64_t> values_, bases_, ka_, kb_;
};

void run_columns(const Contraction& plan, const float* a, const float* b, float* out,
                 bool accumulate, int64_t outer) {
  const int block_rows = kernels::cpu::kernel_isa() == kernels::cpu::Isa::avx512 ? 12 : 6;
  const int64_t row_blocks = (plan.rows + block_rows - 1) / block_rows;
  const int64_t full = plan.columns / kWidth * kWidth;
  parallel_for(outer * row_blocks, 1, [&](int64_t begin, int64_t end) {
    Taps taps(plan);
    const float* a_rows[12];
    float* out_rows[12];
    for (int64_t item = begin; item < end; ++item) {
      int64_t base_a = 0, base_b = 0, base_y = 0;
      taps.at(item / row_blocks, base_a, base_b, base_y);
      const int64_t row0 = (item % row_blocks) * block_rows;
      const int rows = static_cast<int>(std::min<int64_t>(block_rows, plan.rows - row0));
      for (int r = 0; r < rows; ++r) {
        a_rows[r] = a + base_a + (row0 + r) * plan.row_a;
        out_rows[r] = out + base_y + (row0 + r) * plan.row_y;
      }
      const int64_t steps = taps.count();
      const int64_t* k_a = taps.k_a();
      const int64_t* k_b = taps.k_b();
      for (int64_t col = 0; col < full; col += kWidth) {
        float* o[12];
        for (int r = 0; r < rows; ++r) o[r] = out_rows[r] + col;
        const float* bc = b + base_b + col;
        for (int r = 0; r < rows;) {  // the largest blocks that fit, the same sums in each
          const int left = rows - r;
          if (left >= 12) {
            column_block12(accumulate, steps, k_a, k_b, a_rows + r, bc, o + r);
            r += 12;
          } else if (left >= 6) {
            column_block6(accumulate, steps, k_a, k_b, a_rows + r, bc, o + r);
            r += 6;
          } else if (left >= 4) {
            column_block4(accumulate, steps, k_a, k_b, a_rows + r, bc, o + r);
            r += 4;
          } else if (left >= 2) {
            column_block2(accumulate, steps, k_a, k_b, a_rows + r, bc, o + r);
            r += 2;
          } else {
            column_block1(accumulate, steps, k_a, k_b, a_rows + r, bc, o + r);
            r += 1;
          }
        }
      }
      if (full < plan.columns) {
        for (int r = 0; r < rows; ++r) {
          column_tail(accumulate, steps, k_a, k_b, a_rows[r], b + base_b + full, out_rows[r] + full,
                      plan.columns - full);
        }
      }
    }
  });
}

void run_dot(const Contraction& plan, const float* a, const float* b, float* out, bool accumulate,
             int64_t outer) {
  const int block = kernels::cpu::kernel_isa() == kernels::cpu::Isa::avx512 ? 8 : 4;
  const int64_t col_blocks = (plan.columns + block - 1) / block;
  const bool shared = plan.col_a == 0;
  parallel_for(outer * col_blocks, 1, [&](int64_t begin, int64_t end) {
    Taps taps(plan);
    for (int64_t item = begin; item < end; ++item) {
      int64_t base_a = 0, base_b = 0, base_y = 0;
      taps.at(item / col_blocks, base_a, base_b, base_y);
      const int64_t col0 = (item % col_blocks) * block;
      const int64_t cols = std::min<int64_t>(block, plan.columns - col0);
      DotArgs d{.steps = taps.count(),
                .k_a = taps.k_a(),
                .k_b = taps.k_b(),
                .a = a + base_a + col0 * plan.col_a,
                .b = b + base_b + col0 * plan.col_b,
                .col_a = plan.col_a,
                .col_b = plan.col_b,
                .depth = plan.depth,
                .out = out + base_y + col0,
                .accumulate = accumulate};
      if (cols == block) {
        dot(block, shared, d);
        continue;
      }
      for (int64_t c = 0; c < cols; ++c) {  // the last columns, one at a time
        dot(1, shared, d);
        d.a += plan.col_a;
        d.b += plan.col_b;
        d.out += 1;
      }
    }
  });
}

}  // namespace

void run_contraction(const Contraction& plan, const Buffers& buffers, float* out, bool accumulate) {
  int64_t outer = 1;
  for (int64_t e : plan.outer_range) outer *= e;
  const float* a = buffers.data[plan.a];
  const float* b = buffers.data[plan.b];
  if (plan.kind == Contraction::Kind::columns) {
    run_columns(plan, a, b, out, accumulate, outer);
  } else {
    run_dot(plan, a, b, out, accumulate, outer);
  }
}

}  // namespace cnn::formulas
