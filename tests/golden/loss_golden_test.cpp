#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// One log-sum-exp per row (double here, float in PyTorch) and a mean over at most 120
// values: a few float32 roundings. Measured worst: 1.4e-7 (a cross_entropy mean).
constexpr double kTolerance = 1e-6;

Reduction reduction_of(const golden::Case& c) {
  const std::string r = c.params["reduction"];
  if (r == "sum") return Reduction::sum;
  if (r == "none") return Reduction::none;
  EXPECT_EQ(r, "mean");
  return Reduction::mean;
}

TEST(GoldenLoss, MatchesPyTorch) {
  const int n = golden::check_family(
      "loss",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        const Reduction r = reduction_of(c);
        if (c.op == "cross_entropy")
          return {{"y", cross_entropy(
                            in.at("logits"), in.at("target"),
                            {.label_smoothing = c.params["label_smoothing"], .reduction = r})}};
        if (c.op == "nll_loss") return {{"y", nll_loss(in.at("log_probs"), in.at("target"), r)}};
        if (c.op == "mse_loss") return {{"y", mse_loss(in.at("input"), in.at("target"), r)}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, 16);
}

}  // namespace
}  // namespace cnn
