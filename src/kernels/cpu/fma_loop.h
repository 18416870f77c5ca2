// Register-resident multiply-add loops that measure the machine's peak FLOP rate: many
// independent accumulators (more than FMA latency x FMA pipes), no memory traffic. Each
// iteration updates every accumulator as acc = acc * m + a, which converges to a fixed point
// (no overflow, no denormals) and counts 2 FLOP per lane.
#pragma once

#include <cstdint>

namespace cnn::kernels::cpu {

// 12 zmm accumulators x 16 lanes x 2 FLOP.
inline constexpr int64_t kFmaLoopAvx512FlopsPerIteration = 12 * 16 * 2;
// 12 ymm accumulators x 8 lanes x 2 FLOP.
inline constexpr int64_t kFmaLoopAvx2FlopsPerIteration = 12 * 8 * 2;
// 12 float accumulators x 2 FLOP (a multiply and an add; the compiler may vectorize them for
// the baseline instruction set, which is what the portable GEMM gets too).
inline constexpr int64_t kFmaLoopScalarFlopsPerIteration = 12 * 2;

// Both return a value that depends on every accumulator, so the loop cannot be removed.
float fma_loop_f32_avx512(int64_t iterations);
float fma_loop_f32_avx2(int64_t iterations);
float fma_loop_f32_scalar(int64_t iterations);

}  // namespace cnn::kernels::cpu
