/// \file
/// The thread pool every kernel shares. Work is split into one contiguous range per thread,
/// decided by the thread count alone, so results are bit-identical run to run for a fixed
/// thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace cnn {

/// Number of threads kernels use (the calling thread included). Defaults to the number of
/// hardware threads, or CNN_NUM_THREADS when set.
int num_threads();
void set_num_threads(int n);

/// Sets the thread count for a scope and restores the previous one on leaving it.
class ThreadCountGuard {
 public:
  explicit ThreadCountGuard(int threads) : previous_(num_threads()) { set_num_threads(threads); }
  // set_num_threads throws only for a count it would refuse, and previous_ is one it set
  ~ThreadCountGuard() { set_num_threads(previous_); }  // NOLINT(bugprone-exception-escape)
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int previous_;
};

/// Calls fn(begin, end) on disjoint ranges covering [0, n), in parallel. Ranges are aligned to
/// `grain` elements (except the last). Nested calls from inside a worker run serially.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cnn
