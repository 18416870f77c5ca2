// The portable peak loop, for CPUs without AVX2+FMA: 12 independent multiply-add chains.
#include "kernels/cpu/fma_loop.h"

namespace cnn::kernels::cpu {

float fma_loop_f32_scalar(int64_t iterations) {
  const float m = 0.9999f, a = 1e-4f;  // fixed point a / (1 - m) = 1
  float c[12];
  for (int j = 0; j < 12; ++j) c[j] = 1.0f + 0.1f * static_cast<float>(j);
  for (int64_t i = 0; i < iterations; ++i)
    for (float& v : c) v = v * m + a;
  float total = 0;
  for (float v : c) total += v;
  return total;
}

}  // namespace cnn::kernels::cpu
