#include "kernels/ref/activation_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cnn/parallel.h"

namespace cnn::kernels::ref {
namespace {

constexpr int64_t kGrain = 1 << 14;  // values per task of the pointwise loops

template <class F>
void map(const float* x, float* y, int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = f(x[i]);
  });
}

template <class F>
void map2(const float* a, const float* b, float* out, int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = f(a[i], b[i]);
  });
}

}  // namespace

void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n) {
  switch (kind) {
    case Activation::relu:
      return map(x, y, n, [](float v) { return std::max(v, 0.0f); });
    case Activation::relu6:
      return map(x, y, n, [](float v) { return std::min(std::max(v, 0.0f), 6.0f); });
    case Activation::leaky_relu:
      return map(x, y, n, [slope](float v) { return v > 0.0f ? v : slope * v; });
    case Activation::sigmoid:
      // e^-x overflows to inf for x < -88, giving 1 / inf = 0: no NaN at either end.
      return map(x, y, n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case Activation::tanh:
      return map(x, y, n, [](float v) { return std::tanh(v); });
  }
}

void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n) {
  switch (kind) {
    case Activation::relu:
      return map2(x, dy, dx, n, [](float v, float g) { return v <= 0.0f ? 0.0f : g; });
    case Activation::relu6:
      return map2(x, dy, dx, n, [](float v, float g) { return v <= 0.0f || v >= 6.0f ? 0.0f : g; });
    case Activation::leaky_relu:
      return map2(x, dy, dx, n, [slope](float v, float g) { return v > 0.0f ? g : slope * g; });
    case Activation::sigmoid:
      return map2(y, dy, dx, n, [](float s, float g) { return g * s * (1.0f - s); });
    case Activation::tanh:
      return map2(y, dy, dx, n, [](float t, float g) { return g * (1.0f - t * t); });
  }
}

void clamp_forward(float lo, float hi, const float* x, float* y, int64_t n) {
  map(x, y, n, [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
}

void clamp_backward(float lo, float hi, const float* x, const float* dy, float* dx, int64_t n) {
  map2(x, dy, dx, n, [lo, hi](float v, float g) { return v >= lo && v <= hi ? g : 0.0f; });
}

void hardsigmoid_forward(float alpha, float beta, const float* x, float* y, int64_t n) {
  map(x, y, n, [alpha, beta](float v) {
    const double z = static_cast<double>(alpha) * v + beta;
    return static_cast<float>(std::min(std::max(z, 0.0), 1.0));
  });
}

void hardsigmoid_backward(float alpha, float beta, const float* x, const float* dy, float* dx,
                          int64_t n) {
  map2(x, dy, dx, n, [alpha, beta](float v, float g) {
    const double z = static_cast<double>(alpha) * v + beta;
    return z > 0.0 && z < 1.0 ? alpha * g : 0.0f;
  });
}

void hardswish_forward(const float* x, float* y, int64_t n) {
  map(x, y, n, [](float v) { return v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

void hardswish_backward(const float* x, const float* dy, float* dx, int64_t n) {
  map2(x, dy, dx, n, [](float v, float g) {
    return v < -3.0f ? 0.0f : v >= 3.0f ? g : g * (v / 3.0f + 0.5f);
  });
}

namespace {

// x viewed as rows of its last dimension; the slope, broadcast to x's shape, read along such
// a row with stride 0 or 1. slope_row(r) is the offset of row r's first slope value.
struct BroadcastRows {
  int64_t rows = 0, inner = 1;
  int64_t slope_inner_stride = 0;
  Shape shape;          // x's dimensions but the last
  Shape slope_strides;  // per dimension of `shape`: 0 where the slope is broadcast

  BroadcastRows(const Shape& x_shape, const Shape& slope_shape) {
    const size_t rank = x_shape.size(), lead = rank - slope_shape.size();
    // Dense strides of the slope aligned to x's dimensions, 0 where it has extent 1 or none.
    Shape strides(rank, 0);
    int64_t stride = 1;
    for (size_t d = rank; d-- > lead;) {
      const int64_t extent = slope_shape[d - lead];
      strides[d] = extent == 1 ? 0 : stride;
      stride *= extent;
    }
    rows = checked_numel(x_shape);
    if (rank > 0) {
      inner = x_shape[rank - 1];
      rows = inner == 0 ? 0 : rows / inner;
      slope_inner_stride = strides[rank - 1];
      shape.assign(x_shape.begin(), x_shape.end() - 1);
      slope_strides.assign(strides.begin(), strides.end() - 1);
    }
  }

  int64_t slope_row(int64_t r) const {
    int64_t offset = 0;
    for (size_t d = shape.size(); d-- > 0;) {
      offset += (r % shape[d]) * slope_strides[d];
      r /= shape[d];
    }
    return offset;
  }
};

}  // namespace

void prelu_forward(const float* x, const Shape& shape, const float* slope, const Shape& slope_shape,
                   float* y) {
  const BroadcastRows b(shape, slope_shape);
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, b.inner));
  parallel_for(b.rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* in = x + r * b.inner;
      const float* s = slope + b.slope_row(r);
      float* out = y + r * b.inner;
      for (int64_t i = 0; i < b.inner; ++i) {
        const float v = in[i];
        out[i] = v > 0.0f ? v : s[i * b.slope_inner_stride] * v;
      }
    }
  });
}

void prelu_backward(const float* x, const Shape& shape, const float* slope,
                    const Shape& slope_shape, const float* dy, float* dx, float* dslope) {
  const BroadcastRows b(shape, slope_shape);
  if (dx != nullptr) {
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, b.inner));
    parallel_for(b.rows, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* in = x + r * b.inner;
        const float* g = dy + r * b.inner;
        const float* s = slope + b.slope_row(r);
        float* out = dx + r * b.inner;
        for (int64_t i = 0; i < b.inner; ++i)
          out[i] = in[i] > 0.0f ? g[i] : s[i * b.slope_inner_stride] * g[i];
      }
    });
  }
  if (dslope == nullptr) return;
  // One pass in x's order, so each slope value sums its terms in a fixed order.
  std::vector<double> acc(static_cast<size_t>(checked_numel(slope_shape)), 0.0);
  for (int64_t r = 0; r < b.rows; ++r) {
    const float* in = x + r * b.inner;
    const float* g = dy + r * b.inner;
    double* a = acc.data() + b.slope_row(r);
    for (int64_t i = 0; i < b.inner; ++i)
      a[i * b.slope_inner_stride] += in[i] > 0.0f ? 0.0 : static_cast<double>(in[i]) * g[i];
  }
  for (size_t i = 0; i < acc.size(); ++i) dslope[i] = static_cast<float>(acc[i]);
}

namespace {

// One [dim, inner] slab. The loops walk d outermost and the inner axis innermost, so they are
// contiguous whatever the axis; m and s hold one running max / sum per inner position. Each
// exponential is taken once (softmax keeps it in y until the sum is known).
void softmax_slab(const float* x, int64_t dim, int64_t inner, bool log, float* y,
                  std::vector<float>& m, std::vector<double>& s) {
  std::fill(m.begin(), m.end(), -std::numeric_limits<float>::infinity());
  std::fill(s.begin(), s.end(), 0.0);
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < inner; ++i) m[i] = std::max(m[i], x[d * inner + i]);
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < inner; ++i) {
      const float e = std::exp(x[d * inner + i] - m[i]);
      s[i] += e;
      if (!log) y[d * inner + i] = e;
    }
  for (int64_t i = 0; i < inner; ++i) s[i] = log ? std::log(s[i]) : 1.0 / s[i];
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t k = d * inner + i;
      y[k] = log ? static_cast<float>((x[k] - m[i]) - s[i]) : static_cast<float>(y[k] * s[i]);
    }
}

// s = sum_d dy * y (softmax) or sum_d dy (log_softmax); the differences are taken in double,
// which keeps y (dy - s) accurate when y is nearly one-hot.
void softmax_backward_slab(const float* y, const float* dy, int64_t dim, int64_t inner, bool log,
                           float* dx, std::vector<double>& s) {
  std::fill(s.begin(), s.end(), 0.0);
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t k = d * inner + i;
      s[i] += log ? dy[k] : static_cast<double>(dy[k]) * y[k];
    }
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t k = d * inner + i;
      const double g = dy[k];
      dx[k] = static_cast<float>(log ? g - std::exp(static_cast<double>(y[k])) * s[i]
                                     : y[k] * (g - s[i]));
    }
}

int64_t slabs_per_task(int64_t dim, int64_t inner) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, dim * inner));
}

}  // namespace

void softmax_forward(const float* x, int64_t outer, int64_t dim, int64_t inner, bool log,
                     float* y) {
  parallel_for(outer, slabs_per_task(dim, inner), [&](int64_t o0, int64_t o1) {
    std::vector<float> m(inner);
    std::vector<double> s(inner);
    for (int64_t o = o0; o < o1; ++o)
      softmax_slab(x + o * dim * inner, dim, inner, log, y + o * dim * inner, m, s);
  });
}

void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t dim, int64_t inner,
                      bool log, float* dx) {
  parallel_for(outer, slabs_per_task(dim, inner), [&](int64_t o0, int64_t o1) {
    std::vector<double> s(inner);
    for (int64_t o = o0; o < o1; ++o) {
      const int64_t base = o * dim * inner;
      softmax_backward_slab(y + base, dy + base, dim, inner, log, dx + base, s);
    }
  });
}

void dropout_forward(const float* x, float p, Generator& gen, float* mask, float* y, int64_t n) {
  const float keep_scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) {
    mask[i] = gen.uniform() < p ? 0.0f : keep_scale;
    y[i] = x[i] * mask[i];
  }
}

}  // namespace cnn::kernels::ref
