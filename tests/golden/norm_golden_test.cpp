#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"
#include "support/cases.h"

namespace cnn {
namespace {

// Both sides round in float32 (a relative error of a few 1e-7 of the largest value): we sum
// the per-channel statistics and gradient terms in double where PyTorch sums in float, over
// at most 210 values per channel, and pow() / sqrt() may differ by an ulp. Measured worst:
// 2.1e-7 (a batch_norm input gradient).
constexpr double kTolerance = 1e-6;

Tensor optional(const golden::TensorMap& in, const char* name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

TEST(GoldenNorm, MatchesPyTorch) {
  const int n = golden::check_family(
      "norm",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        const auto& p = c.params;
        if (c.op == "batch_norm") {
          const Tensor running_mean = optional(in, "running_mean"),
                       running_var = optional(in, "running_var");
          const Tensor y = batch_norm(
              in.at("x"), running_mean, running_var, optional(in, "gamma"), optional(in, "beta"),
              {.training = p["training"], .momentum = p["momentum"], .eps = p["eps"]});
          // The running statistics were updated in place (in training); compare their new
          // values with PyTorch's.
          if (!running_mean.defined()) return {{"y", y}};
          return {{"y", y}, {"running_mean", running_mean}, {"running_var", running_var}};
        }
        if (c.op == "batch_norm_relu") {
          const Tensor running_mean = optional(in, "running_mean"),
                       running_var = optional(in, "running_var");
          const Tensor y = batch_norm_relu(
              in.at("x"), running_mean, running_var, optional(in, "gamma"), optional(in, "beta"),
              {.training = p["training"], .momentum = p["momentum"], .eps = p["eps"]},
              optional(in, "residual"));
          if (!running_mean.defined()) return {{"y", y}};
          return {{"y", y}, {"running_mean", running_mean}, {"running_var", running_var}};
        }
        if (c.op == "local_response_norm")
          return {
              {"y", local_response_norm(
                        in.at("x"),
                        {.size = p["size"], .alpha = p["alpha"], .beta = p["beta"], .k = p["k"]})}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, static_cast<int>(testing::cases_for("norm", "golden").size()));
}

}  // namespace
}  // namespace cnn
