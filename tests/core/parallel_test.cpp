// The thread pool behind every kernel: each index of a parallel_for runs exactly once, in
// ranges aligned to the grain, whatever the thread count (more threads than cores and than
// parts included, where idle workers must skip jobs without touching them); jobs follow each
// other back to back (the workers poll for the next one before sleeping); an exception in any
// part reaches the caller and leaves the pool usable; nested calls run serially.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cnn/parallel.h"

namespace cnn {
namespace {

TEST(ParallelFor, EveryIndexOnceInGrainAlignedRanges) {
  for (int threads : {1, 2, 3, 5}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const ThreadCountGuard scope(threads);
    for (int job = 0; job < 3000; ++job) {
      const int64_t n = 1 + job % 37, grain = 1 + job % 4;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> misaligned{0};
      parallel_for(n, grain, [&](int64_t b, int64_t e) {
        if (b % grain != 0 || (e % grain != 0 && e != n)) ++misaligned;
        for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
      });
      ASSERT_EQ(misaligned.load(), 0) << "n " << n << " grain " << grain;
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n " << n << " index " << i;
    }
  }
}

// Two parts on four threads, then four parts, alternating: the workers without a part in one
// job must run their part of the next one exactly once.
TEST(ParallelFor, JobsWithFewerPartsThanThreadsBackToBack) {
  const ThreadCountGuard scope(4);
  std::atomic<int64_t> sum{0};
  int64_t expected = 0;
  for (int job = 0; job < 20000; ++job) {
    const int64_t n = job % 2 == 0 ? 2 : 4;
    parallel_for(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum += i + 1;
    });
    expected += n * (n + 1) / 2;
  }
  EXPECT_EQ(sum.load(), expected);
}

TEST(ParallelFor, ExceptionReachesCallerAndPoolStaysUsable) {
  const ThreadCountGuard scope(2);
  for (int64_t throwing_part_start : {0, 50}) {
    EXPECT_THROW(parallel_for(100, 50,
                              [&](int64_t b, int64_t) {
                                if (b == throwing_part_start) throw std::runtime_error("part");
                              }),
                 std::runtime_error);
    std::atomic<int64_t> count{0};
    parallel_for(100, 1, [&](int64_t b, int64_t e) { count += e - b; });
    EXPECT_EQ(count.load(), 100);
  }
}

TEST(ParallelFor, NestedCallsRunSeriallyInsideTheCallingPart) {
  const ThreadCountGuard scope(2);
  std::atomic<int> inner_calls{0};
  parallel_for(2, 1, [&](int64_t, int64_t) {
    const auto id = std::this_thread::get_id();
    parallel_for(10, 1, [&](int64_t b, int64_t e) {
      EXPECT_EQ(b, 0);
      EXPECT_EQ(e, 10);
      EXPECT_EQ(std::this_thread::get_id(), id);
      ++inner_calls;
    });
  });
  EXPECT_EQ(inner_calls.load(), 2);
}

}  // namespace
}  // namespace cnn
