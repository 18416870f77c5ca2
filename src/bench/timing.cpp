#include "cnn/bench/timing.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "cnn/error.h"

namespace cnn::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
}

}  // namespace

BenchPolicies BenchPolicies::standard() {
  // Sized so that the whole `cnn bench` (ours, then PyTorch's in both layouts) stays under
  // three minutes on the 2-core development machine (76 s idle, 2-2.5 min with a busy
  // neighbour): short layers get about 0.2 s of runs each, long ones (a ResNet-50 layer at
  // batch 16) a warm-up and three runs.
  return {.peak = {.warmup_reps = 2,
                   .warmup_seconds = 0.05,
                   .min_reps = 5,
                   .max_reps = 30,
                   .budget_seconds = 0.4},
          .gemm = {.warmup_reps = 2,
                   .warmup_seconds = 0.1,
                   .min_reps = 5,
                   .max_reps = 20,
                   .budget_seconds = 0.5},
          .layers = {.warmup_reps = 1,
                     .warmup_seconds = 0.05,
                     .min_reps = 3,
                     .max_reps = 20,
                     .budget_seconds = 0.2},
          .models = {.warmup_reps = 2,
                     .warmup_seconds = 0.2,
                     .min_reps = 5,
                     .max_reps = 20,
                     .budget_seconds = 1.0}};
}

BenchPolicies BenchPolicies::quick() {
  const TimingPolicy p{
      .warmup_reps = 1, .warmup_seconds = 0, .min_reps = 2, .max_reps = 2, .budget_seconds = 0};
  return {.peak = p, .gemm = p, .layers = p, .models = p};
}

Timing time_work(const std::function<void()>& work, const TimingPolicy& policy) {
  CNN_CHECK(policy.min_reps >= 1 && policy.max_reps >= policy.min_reps,
            "time_work: the policy needs 1 <= min_reps <= max_reps, got min_reps = ",
            policy.min_reps, ", max_reps = ", policy.max_reps);
  const Clock::time_point warmup_start = Clock::now();
  for (int done = 0;
       done < policy.warmup_reps || seconds_since(warmup_start) < policy.warmup_seconds; ++done)
    work();
  std::vector<double> samples;
  const Clock::time_point start = Clock::now();
  while (static_cast<int>(samples.size()) < policy.min_reps ||
         (static_cast<int>(samples.size()) < policy.max_reps &&
          seconds_since(start) < policy.budget_seconds)) {
    const Clock::time_point t0 = Clock::now();
    work();
    samples.push_back(seconds_since(t0));
  }
  return {.median_seconds = median(samples),
          .min_seconds = *std::min_element(samples.begin(), samples.end()),
          .reps = static_cast<int>(samples.size())};
}

}  // namespace cnn::bench
