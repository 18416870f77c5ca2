#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"
#include "support/cases.h"

namespace cnn {
namespace {

// The relu family is exact; sigmoid, tanh and exp differ from PyTorch's vectorized versions
// by an ulp or two, and softmax sums in double here, in float there. Measured worst: 1.9e-7
// (a softmax gradient).
constexpr double kTolerance = 1e-6;

// A clamp bound, null for a missing (infinite) one.
float bound(const nlohmann::json& j, float missing) {
  return j.is_null() ? missing : j.get<float>();
}

TEST(GoldenActivation, MatchesPyTorch) {
  const int n = golden::check_family(
      "activation",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        const Tensor& x = in.at("x");
        if (c.op == "relu") return {{"y", relu(x)}};
        if (c.op == "relu6") return {{"y", relu6(x)}};
        if (c.op == "leaky_relu") return {{"y", leaky_relu(x, c.params["negative_slope"])}};
        if (c.op == "sigmoid") return {{"y", sigmoid(x)}};
        if (c.op == "tanh") return {{"y", tanh(x)}};
        if (c.op == "clamp")
          return {
              {"y", clamp(x, bound(c.params["lo"], -INFINITY), bound(c.params["hi"], INFINITY))}};
        if (c.op == "hardsigmoid")
          return {{"y", hardsigmoid(x, c.params["alpha"], c.params["beta"])}};
        if (c.op == "hardswish") return {{"y", hardswish(x)}};
        if (c.op == "prelu") return {{"y", prelu(x, in.at("slope"))}};
        if (c.op == "softmax") return {{"y", softmax(x, c.params["dim"])}};
        if (c.op == "log_softmax") return {{"y", log_softmax(x, c.params["dim"])}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, static_cast<int>(testing::cases_for("activation", "golden").size()));
}

}  // namespace
}  // namespace cnn
