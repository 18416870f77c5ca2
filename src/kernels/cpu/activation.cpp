#include "kernels/cpu/activation.h"

#include <algorithm>

#include "cnn/parallel.h"
#include "kernels/cpu/target_clones.h"
#include "kernels/ref/activation_ref.h"

namespace cnn::kernels::cpu {
namespace {

// Values per task: 64 KiB of input, enough work to pay for waking a thread.
constexpr int64_t kGrain = 1 << 14;

// The formulas are the reference's, written so that each loop is a select the compiler
// vectorizes (std::min / std::max of floats compile to the same compare-and-select as there).
CNN_TARGET_CLONES void forward_range(Activation kind, float slope, const float* __restrict x,
                                     float* __restrict y, int64_t n) {
  switch (kind) {
    case Activation::relu:
      for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
      return;
    case Activation::relu6:
      for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], 0.0f), 6.0f);
      return;
    case Activation::leaky_relu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
      return;
    case Activation::sigmoid:
    case Activation::tanh:
      return;  // not dispatched here
  }
}

// relu' = [x > 0], relu6' = [0 < x < 6], leaky' = x > 0 ? 1 : slope, times dy (tested as
// PyTorch does: x <= 0 and x >= 6 give 0, a NaN passes dy through).
CNN_TARGET_CLONES void backward_range(Activation kind, float slope, const float* __restrict x,
                                      const float* __restrict dy, float* __restrict dx, int64_t n) {
  switch (kind) {
    case Activation::relu:
      for (int64_t i = 0; i < n; ++i) dx[i] = x[i] <= 0.0f ? 0.0f : dy[i];
      return;
    case Activation::relu6:
      for (int64_t i = 0; i < n; ++i) dx[i] = x[i] <= 0.0f || x[i] >= 6.0f ? 0.0f : dy[i];
      return;
    case Activation::leaky_relu:
      for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
      return;
    case Activation::sigmoid:
    case Activation::tanh:
      return;  // not dispatched here
  }
}

bool vectorized(Activation kind) {
  return kind == Activation::relu || kind == Activation::relu6 || kind == Activation::leaky_relu;
}

}  // namespace

void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n) {
  if (!vectorized(kind)) return ref::activation_forward(kind, slope, x, y, n);
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    forward_range(kind, slope, x + i0, y + i0, i1 - i0);
  });
}

void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n) {
  if (!vectorized(kind)) return ref::activation_backward(kind, slope, x, y, dy, dx, n);
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    backward_range(kind, slope, x + i0, dy + i0, dx + i0, i1 - i0);
  });
}

}  // namespace cnn::kernels::cpu
