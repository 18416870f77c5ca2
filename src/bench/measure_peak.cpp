// The FMA peak: every thread runs the same register-resident loop; the wall time of the
// slowest decides, as it does for a parallel kernel.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "cnn/bench/measure.h"
#include "cnn/parallel.h"
#include "kernels/cpu/fma_loop.h"
#include "kernels/cpu/isa.h"

namespace cnn::bench {
namespace {

// About 20 ms of work per run on one thread: long enough to dwarf waking the threads.
int64_t iterations_for(float (*loop)(int64_t), int64_t flops_per_iteration) {
  const int64_t probe = 100000;
  const auto start = std::chrono::steady_clock::now();
  volatile float sink = loop(probe);
  (void)sink;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double flops_per_second =
      static_cast<double>(probe * flops_per_iteration) / std::max(seconds, 1e-9);
  return std::max<int64_t>(probe,
                           static_cast<int64_t>(0.02 * flops_per_second) / flops_per_iteration);
}

}  // namespace

FmaPeak measure_fma_peak(int threads, const TimingPolicy& policy) {
  // The peak of the instruction set our kernels run (kernels::cpu::kernel_isa(): the widest the
  // CPU has, unless CNN_ISA caps it), so that "% of peak" compares like with like.
  const kernels::cpu::Isa isa = kernels::cpu::kernel_isa();
  const bool avx512 = isa == kernels::cpu::Isa::avx512;
  const bool avx2 = isa == kernels::cpu::Isa::avx2;
  float (*loop)(int64_t) = avx512 ? kernels::cpu::fma_loop_f32_avx512
                           : avx2 ? kernels::cpu::fma_loop_f32_avx2
                                  : kernels::cpu::fma_loop_f32_scalar;
  const int64_t flops_per_iteration = avx512 ? kernels::cpu::kFmaLoopAvx512FlopsPerIteration
                                      : avx2 ? kernels::cpu::kFmaLoopAvx2FlopsPerIteration
                                             : kernels::cpu::kFmaLoopScalarFlopsPerIteration;
  const ThreadCountGuard guard(threads);
  const int64_t iterations = iterations_for(loop, flops_per_iteration);
  std::vector<float> sinks(static_cast<size_t>(threads));
  const Timing t = time_work(
      [&] {
        // One range per thread (grain 1, n = threads), each running the whole loop.
        parallel_for(threads, 1, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) sinks[static_cast<size_t>(i)] = loop(iterations);
        });
      },
      policy);
  volatile float keep = 0;  // the results are used, so no run can be optimized away
  for (float v : sinks) keep = keep + v;
  const double flops =
      static_cast<double>(threads) * static_cast<double>(iterations * flops_per_iteration);
  return {.isa = avx512 ? "avx512"
                 : avx2 ? "avx2+fma"
                        : "scalar",
          .threads = threads,
          .gflops = flops / t.min_seconds / 1e9,
          .timing = t};
}

}  // namespace cnn::bench
