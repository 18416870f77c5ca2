// Sets the kernels' thread count for a scope and restores the previous one.
#pragma once

#include "cnn/parallel.h"

namespace cnn::bench {

class ThreadCountGuard {
 public:
  explicit ThreadCountGuard(int threads) : previous_(num_threads()) { set_num_threads(threads); }
  ~ThreadCountGuard() { set_num_threads(previous_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int previous_;
};

}  // namespace cnn::bench
