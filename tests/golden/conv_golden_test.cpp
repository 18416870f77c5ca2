#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"
#include "support/cases.h"

namespace cnn {
namespace {

// Both sides sum float32 products in different orders (PyTorch's conv and GEMM vs our
// im2col GEMM or direct depthwise loops). The largest sums here have a few hundred terms
// (K = 3*3*40 = 360 for the forward, N*OH*OW for dW), so the rounding difference stays
// within about sqrt(terms) float epsilons of the largest value, ~1e-6; 1e-5 leaves room
// while still catching any indexing mistake, which gives errors of order 1.
constexpr double kTolerance = 1e-5;

Tensor optional(const golden::TensorMap& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

TEST(GoldenConv, MatchesPyTorch) {
  const int n = golden::check_family(
      "conv",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        if (c.op == "linear") return {{"y", linear(in.at("x"), in.at("w"), optional(in, "b"))}};
        if (c.op != "conv2d") {
          ADD_FAILURE() << "unknown op " << c.op;
          return {};
        }
        const auto stride = c.params["stride"].get<std::vector<int64_t>>();
        const auto pad =
            c.params["padding"].get<std::vector<int64_t>>();  // top, bottom, left, right
        const auto dilation = c.params["dilation"].get<std::vector<int64_t>>();
        const Conv2dOptions options{.stride = {stride[0], stride[1]},
                                    .padding = {pad[0], pad[1], pad[2], pad[3]},
                                    .dilation = {dilation[0], dilation[1]},
                                    .groups = c.params["groups"].get<int64_t>()};
        return {{"y", conv2d(in.at("x"), in.at("w"), optional(in, "b"), options)}};
      },
      kTolerance);
  // the golden cases of tests/cases/conv2d.json and (linear) of tests/cases/gemm.json
  EXPECT_EQ(n, static_cast<int>(testing::cases_for("conv2d", "golden").size() +
                                testing::cases_for("gemm", "golden").size()));
}

}  // namespace
}  // namespace cnn
