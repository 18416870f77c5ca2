// Argument checks shared by the optimizers and schedules: a hyper-parameter outside its range
// (or not finite) raises cnn::Error naming the owner, the option and the value.
#pragma once

#include <cmath>
#include <functional>

#include "cnn/error.h"
#include "cnn/parallel.h"

namespace cnn::optim {

// Requires lo <= value <= hi (value < hi when `hi_open`) and a finite value.
inline void check_option(const char* owner, const char* option, double value, double lo, double hi,
                         bool hi_open = false) {
  const bool ok = std::isfinite(value) && value >= lo && (hi_open ? value < hi : value <= hi);
  if (ok) return;
  if (std::isinf(hi))
    fail(owner, ": ", option, " must be finite and at least ", lo, ", got ", value);
  fail(owner, ": ", option, " must lie in [", lo, ", ", hi, hi_open ? ")" : "]", ", got ", value);
}

// Runs fn(begin, end) over [0, n) on the shared pool, in chunks large enough that a small
// parameter's element-wise update stays on the calling thread. Every element's arithmetic is
// independent of the split, so results do not depend on the thread count.
inline void for_each_chunk(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  constexpr int64_t kGrain = 1 << 14;
  if (n <= kGrain) {
    fn(0, n);
    return;
  }
  parallel_for(n, kGrain, fn);
}

}  // namespace cnn::optim
