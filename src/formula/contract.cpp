#include "formula/contract.h"

#include <algorithm>
#include <cstring>

#include "cnn/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::formulas {

namespace {

constexpr int kWidth = 16;  // consecutive outputs per register block
using Vec = float __attribute__((vector_size(kWidth * sizeof(float))));

// Per index, its coefficient in the read's offset: sum over axes of stride * coefficient.
struct Linear {
  int64_t constant = 0;
  std::vector<int64_t> coef;
};

// alias[v]: the index v stands for (a derived gradient's index solved as another one, v = p).
std::optional<Linear> linear_offsets(const Expr& read, const Shape& shape,
                                     const std::vector<int64_t>& ranges,
                                     const std::vector<int>& alias) {
  Linear lin;
  lin.coef.assign(ranges.size(), 0);
  int64_t stride = 1;
  for (size_t axis = shape.size(); axis-- > 0;) {
    const auto a = affine_of(*read.index[axis]);
    if (!a) return std::nullopt;
    // Inside the tensor for every value of the indices.
    int64_t low = a->constant, high = a->constant;
    for (const auto& [var, c] : a->coef) {
      const int v = alias[var];
      const int64_t end = c * (ranges[v] - 1);
      low += std::min<int64_t>(0, end);
      high += std::max<int64_t>(0, end);
      lin.coef[v] += c * stride;
    }
    if (low < 0 || high >= shape[axis]) return std::nullopt;
    lin.constant += a->constant * stride;
    stride *= shape[axis];
  }
  return lin;
}

// rows x 16 outputs: out_r[0..16) = sum_k a_r[k_a[k]] * b[k_b[k] + 0..16).
template <int R>
inline __attribute__((always_inline)) void block(int64_t steps, const int64_t* k_a,
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

CNN_TARGET_CLONES void block12(bool accumulate, int64_t steps, const int64_t* k_a,
                               const int64_t* k_b, const float* const* a, const float* b,
                               float* const* out) {
  block<12>(steps, k_a, k_b, a, b, out, accumulate);
}
CNN_TARGET_CLONES void block6(bool accumulate, int64_t steps, const int64_t* k_a,
                              const int64_t* k_b, const float* const* a, const float* b,
                              float* const* out) {
  block<6>(steps, k_a, k_b, a, b, out, accumulate);
}
CNN_TARGET_CLONES void block1(bool accumulate, int64_t steps, const int64_t* k_a,
                              const int64_t* k_b, const float* const* a, const float* b,
                              float* const* out) {
  block<1>(steps, k_a, k_b, a, b, out, accumulate);
}

// The last columns (fewer than 16), one output at a time, in the same order.
void tail(bool accumulate, int64_t steps, const int64_t* k_a, const int64_t* k_b, const float* a,
          const float* b, float* out, int64_t columns) {
  for (int64_t n = 0; n < columns; ++n) {
    float acc = 0;
    for (int64_t k = 0; k < steps; ++k) acc += a[k_a[k]] * b[k_b[k] + n];
    out[n] = accumulate ? out[n] + acc : acc;
  }
}

}  // namespace

std::optional<Contraction> plan_contraction(const Loop& loop, const std::vector<Shape>& shapes) {
  const Statement& s = loop.statement;
  const Expr& r = *s.rhs;
  if (r.kind != Expr::Kind::reduce || r.reduction != Reduction::sum || !r.guards.empty() ||
      !r.arg_guards.empty() || s.left.empty()) {
    return std::nullopt;
  }
  // A derived gradient's index solved as v = p (no remainder, no division) is p itself when
  // p never leaves v's range.
  std::vector<int> alias(loop.ranges.size());
  for (size_t v = 0; v < alias.size(); ++v) alias[v] = static_cast<int>(v);
  for (const Binding& bind : r.bindings) {
    const auto rest = affine_of(*bind.rest);
    if (bind.divisor != 1 || !rest || !rest->coef.empty() || rest->constant != 0 ||
        loop.ranges[bind.from] > loop.ranges[bind.var]) {
      return std::nullopt;
    }
    alias[bind.var] = bind.from;
  }
  const auto reads = product_of_reads(*r.args[0]);
  if (!reads) return std::nullopt;
  const int n = s.left.back();
  auto [a, b] = *reads;
  auto la = linear_offsets(*a, shapes[a->tensor], loop.ranges, alias);
  auto lb = linear_offsets(*b, shapes[b->tensor], loop.ranges, alias);
  if (!la || !lb) return std::nullopt;
  if (la->coef[n] == 1 && lb->coef[n] == 0) {
    std::swap(a, b);
    std::swap(la, lb);
  }
  if (lb->coef[n] != 1 || la->coef[n] != 0) return std::nullopt;

  Contraction plan;
  plan.a = a->tensor;
  plan.b = b->tensor;
  plan.a_base = la->constant;
  plan.b_base = lb->constant;
  plan.columns = loop.ranges[n];
  // Y is dense: each output index's stride.
  std::vector<int64_t> y_stride(loop.ranges.size(), 0);
  int64_t stride = 1;
  for (size_t k = s.left.size(); k-- > 0;) {
    y_stride[s.left[k]] = stride;
    stride *= loop.ranges[s.left[k]];
  }
  // The row index: read by A and not by B, the one with the largest range.
  int row = -1;
  for (int v : s.left) {
    if (v == n || lb->coef[v] != 0 || la->coef[v] == 0) continue;
    if (row < 0 || loop.ranges[v] > loop.ranges[row]) row = v;
  }
  if (row >= 0) {
    plan.rows = loop.ranges[row];
    plan.row_a = la->coef[row];
    plan.row_y = y_stride[row];
  }
  for (int v : s.left) {
    if (v == n || v == row) continue;
    plan.outer_range.push_back(loop.ranges[v]);
    plan.outer_a.push_back(la->coef[v]);
    plan.outer_b.push_back(lb->coef[v]);
    plan.outer_y.push_back(y_stride[v]);
  }
  // Offsets over the reduction, row-major in the order the formula names its indices.
  int64_t steps = 1;
  for (int v : r.vars) steps *= loop.ranges[v];
  plan.k_a.reserve(static_cast<size_t>(steps));
  plan.k_b.reserve(static_cast<size_t>(steps));
  std::vector<int64_t> at(r.vars.size(), 0);
  for (int64_t k = 0; k < steps; ++k) {
    int64_t oa = 0, ob = 0;
    for (size_t q = 0; q < r.vars.size(); ++q) {
      oa += la->coef[r.vars[q]] * at[q];
      ob += lb->coef[r.vars[q]] * at[q];
    }
    plan.k_a.push_back(oa);
    plan.k_b.push_back(ob);
    for (size_t q = r.vars.size(); q-- > 0;) {
      if (++at[q] < loop.ranges[r.vars[q]]) break;
      at[q] = 0;
    }
  }
  return plan;
}

void run_contraction(const Contraction& plan, const Buffers& buffers, float* out, bool accumulate) {
  const float* a = buffers.data[plan.a];
  const float* b = buffers.data[plan.b];
  const auto isa = kernels::cpu::kernel_isa();
  const int block_rows = isa == kernels::cpu::Isa::avx512 ? 12 : 6;
  int64_t outer = 1;
  for (int64_t e : plan.outer_range) outer *= e;
  const int64_t row_blocks = (plan.rows + block_rows - 1) / block_rows;
  const auto steps = static_cast<int64_t>(plan.k_a.size());
  const int64_t full = plan.columns / kWidth * kWidth;
  parallel_for(outer * row_blocks, 1, [&](int64_t begin, int64_t end) {
    const float* a_rows[12];
    float* out_rows[12];
    for (int64_t item = begin; item < end; ++item) {
      int64_t point = item / row_blocks;
      const int64_t row0 = (item % row_blocks) * block_rows;
      int64_t base_a = plan.a_base, base_b = plan.b_base, base_y = 0;
      for (size_t q = plan.outer_range.size(); q-- > 0;) {
        const int64_t v = point % plan.outer_range[q];
        point /= plan.outer_range[q];
        base_a += v * plan.outer_a[q];
        base_b += v * plan.outer_b[q];
        base_y += v * plan.outer_y[q];
      }
      const int rows = static_cast<int>(std::min<int64_t>(block_rows, plan.rows - row0));
      for (int r = 0; r < rows; ++r) {
        a_rows[r] = a + base_a + (row0 + r) * plan.row_a;
        out_rows[r] = out + base_y + (row0 + r) * plan.row_y;
      }
      for (int64_t col = 0; col < full; col += kWidth) {
        float* o[12];
        for (int r = 0; r < rows; ++r) o[r] = out_rows[r] + col;
        const float* bc = b + base_b + col;
        if (rows == 12) {
          block12(accumulate, steps, plan.k_a.data(), plan.k_b.data(), a_rows, bc, o);
        } else if (rows == 6) {
          block6(accumulate, steps, plan.k_a.data(), plan.k_b.data(), a_rows, bc, o);
        } else {
          for (int r = 0; r < rows; ++r) {
            block1(accumulate, steps, plan.k_a.data(), plan.k_b.data(), &a_rows[r], bc, &o[r]);
          }
        }
      }
      if (full < plan.columns) {
        for (int r = 0; r < rows; ++r) {
          tail(accumulate, steps, plan.k_a.data(), plan.k_b.data(), a_rows[r], b + base_b + full,
               out_rows[r] + full, plan.columns - full);
        }
      }
    }
  });
}

}  // namespace cnn::formulas
