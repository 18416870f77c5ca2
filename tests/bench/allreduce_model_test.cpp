// The ring model of `cnn bench --allreduce`: the fit recovers a known latency and bandwidth, and
// the efficiency predictions behave as the model says.
#include <gtest/gtest.h>

#include "cnn/bench/allreduce.h"

namespace cnn::bench {
namespace {

TEST(RingModel, FitRecoversLatencyAndBandwidthUpToTheLimit) {
  const RingModel truth{.latency_seconds = 20e-6, .bandwidth = 5e9};
  std::vector<AllReduceRow> rows;
  for (int64_t bytes = 4096; bytes <= (int64_t{16} << 20); bytes *= 4)
    rows.push_back({bytes, 10, truth.seconds(bytes, 2)});
  rows.push_back({int64_t{256} << 20, 5, 1.0});  // a regime the fit must leave out
  const RingModel fit = fit_ring_model(rows, 2, int64_t{16} << 20);
  EXPECT_NEAR(fit.latency_seconds, 20e-6, 1e-9);
  EXPECT_NEAR(fit.bandwidth, 5e9, 5e3);
  EXPECT_LT(fit.worst_relative_error, 1e-9);
  EXPECT_GT(fit_ring_model(rows, 2).worst_relative_error, 0.5);  // with it, the fit is off
}

TEST(RingModel, EfficiencyFallsWithNodesAndRisesWithOverlapAndBandwidth) {
  const ScalingCase c{"net", 0.01, 256, 100'000'000, 10};
  const RingModel slow{.latency_seconds = 50e-6, .bandwidth = 1.25e9};
  const RingModel fast{.latency_seconds = 50e-6, .bandwidth = 12.5e9};
  EXPECT_EQ(predicted_efficiency(c, slow, 1, false), 1.0);
  double previous = 1.0;
  for (int n : {2, 4, 8, 16, 32, 64}) {
    const double e = predicted_efficiency(c, slow, n, false);
    EXPECT_LT(e, previous) << n;
    EXPECT_GE(predicted_efficiency(c, slow, n, true), e) << n;
    EXPECT_GT(predicted_efficiency(c, fast, n, false), e) << n;
    previous = e;
  }
  // 2 nodes, no overlap: compute 0.01 * 128 = 1.28 s; 10 buckets of 10 MB, each 50 us + 10 MB /
  // 1.25 GB/s = 8.05 ms: 80.5 ms in all
  EXPECT_NEAR(predicted_efficiency(c, slow, 2, false), 1.28 / (1.28 + 0.0805), 1e-9);
}

TEST(RingModel, TheReportNamesTheFitAndThePredictions) {
  std::vector<AllReduceRow> rows = {{4096, 200, 20e-6}, {1 << 20, 200, 120e-6}};
  const std::string text =
      format_all_reduce(rows, 2, "test transport", {{"ResNet-20", 0.001, 128, 1'000'000, 2}},
                        {{"25 Gbit/s", 25e9 / 8}});
  EXPECT_NE(text.find("test transport"), std::string::npos) << text;
  EXPECT_NE(text.find("ring model"), std::string::npos) << text;
  EXPECT_NE(text.find("25 Gbit/s"), std::string::npos) << text;
}

}  // namespace
}  // namespace cnn::bench
