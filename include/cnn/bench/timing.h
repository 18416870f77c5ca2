/// \file
/// The repetition policy every benchmark figure uses, ours and PyTorch's alike
/// (bench/torch_bench.py implements the same rule): run the work until both `warmup_reps`
/// runs and `warmup_seconds` have passed, then time single runs until at least `min_reps`
/// are done and `budget_seconds` have passed (or `max_reps` are done), and report the median.
#pragma once

#include <functional>

namespace cnn::bench {

struct TimingPolicy {
  int warmup_reps = 1;
  double warmup_seconds = 0.0;
  int min_reps = 3;
  int max_reps = 100;
  double budget_seconds = 0.5;
};

/// One policy per section: layers are many and short, models few and long.
struct BenchPolicies {
  TimingPolicy peak, gemm, layers, models;
  static BenchPolicies standard();  ///< the full run: a few minutes on 2 cores
  static BenchPolicies quick();     ///< smoke tests: one warm-up run and two timed ones
};

struct Timing {
  double median_seconds = 0;
  double min_seconds = 0;
  int reps = 0;
};

/// Times `work` under `policy`; raises cnn::Error for a policy with min_reps < 1 or
/// max_reps < min_reps.
Timing time_work(const std::function<void()>& work, const TimingPolicy& policy);

}  // namespace cnn::bench
