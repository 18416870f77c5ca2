// The repetition rule and the text tables (what is counted and printed, not how fast).
#include <gtest/gtest.h>

#include "bench/text_table.h"
#include "cnn/bench/timing.h"
#include "cnn/error.h"

namespace {

using cnn::bench::TimingPolicy;

TEST(BenchTiming, RunsTheWarmUpThenTheTimedReps) {
  int runs = 0;
  const auto t = cnn::bench::time_work([&] { ++runs; }, TimingPolicy{.warmup_reps = 2,
                                                                     .warmup_seconds = 0,
                                                                     .min_reps = 3,
                                                                     .max_reps = 3,
                                                                     .budget_seconds = 10});
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(t.reps, 3);
  EXPECT_GE(t.median_seconds, t.min_seconds);
  EXPECT_GE(t.min_seconds, 0.0);
}

TEST(BenchTiming, StopsAtMaxRepsWithinTheBudget) {
  int runs = 0;
  const auto t = cnn::bench::time_work([&] { ++runs; }, TimingPolicy{.warmup_reps = 0,
                                                                     .warmup_seconds = 0,
                                                                     .min_reps = 1,
                                                                     .max_reps = 7,
                                                                     .budget_seconds = 60});
  EXPECT_EQ(t.reps, 7);
  EXPECT_EQ(runs, 7);
}

TEST(BenchTiming, RejectsAPolicyWithoutReps) {
  EXPECT_THROW(cnn::bench::time_work([] {}, TimingPolicy{.min_reps = 0}), cnn::Error);
  EXPECT_THROW(cnn::bench::time_work([] {}, TimingPolicy{.min_reps = 3, .max_reps = 2}),
               cnn::Error);
}

TEST(BenchTiming, QuickPolicyIsTwoTimedRunsEverywhere) {
  const auto q = cnn::bench::BenchPolicies::quick();
  for (const TimingPolicy& p : {q.peak, q.gemm, q.layers, q.models}) {
    EXPECT_EQ(p.min_reps, 2);
    EXPECT_EQ(p.max_reps, 2);
  }
}

TEST(BenchTextTable, AlignsTextLeftAndNumbersRight) {
  cnn::bench::TextTable t({{"name", false}, {"a"}, {"b"}});
  t.set_groups({{"", 1}, {"pair of numbers", 2}});
  t.add_heading("first group");
  t.add_row({"x", "1.5", "10"});
  t.add_row({"longer", "100.25", "2"});
  EXPECT_EQ(t.str(),
            "        pair of numbers\n"  // 15 characters over columns of 6 and 2: 9 and 4
            "name            a     b\n"
            "-----------------------\n"
            "first group\n"
            "x             1.5    10\n"
            "longer     100.25     2\n");
}

}  // namespace
