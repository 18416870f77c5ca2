// Portable microkernel: the AVX2 tile (6x16), written as plain loops.
#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {

namespace {
constexpr int kGemmMR = 6;
constexpr int kGemmNR = 16;
}  // namespace

void gemm_f32_6x16_scalar(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                          float beta, int mr, int nr) {
  float acc[kGemmMR][kGemmNR] = {};
  for (int64_t p = 0; p < k; ++p) {
    const float* ap = a + p * kGemmMR;
    const float* bp = b + p * kGemmNR;
    for (int r = 0; r < kGemmMR; ++r)
      for (int j = 0; j < kGemmNR; ++j) acc[r][j] += ap[r] * bp[j];
  }
  for (int r = 0; r < mr; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < nr; ++j) row[j] = beta == 0.0f ? acc[r][j] : acc[r][j] + beta * row[j];
  }
}

}  // namespace cnn::kernels::cpu
