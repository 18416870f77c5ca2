#include "kernels/cpu/binary.h"

#include "cnn/parallel.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

// Values per task: 64 KiB of each input, enough work to pay for waking a thread.
constexpr int64_t kGrain = 1 << 14;

// No __restrict, so that out may be a or b: the compiler guards the vector loop with a run-time
// overlap check instead.
CNN_TARGET_CLONES void binary_range(BinaryOp op, const float* a, const float* b, float* out,
                                    int64_t n) {
  switch (op) {
    case BinaryOp::add:
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
      return;
    case BinaryOp::sub:
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
      return;
    case BinaryOp::mul:
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
      return;
    case BinaryOp::div:
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] / b[i];
      return;
  }
}

}  // namespace

void binary_same_shape(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    binary_range(op, a + i0, b + i0, out + i0, i1 - i0);
  });
}

}  // namespace cnn::kernels::cpu
