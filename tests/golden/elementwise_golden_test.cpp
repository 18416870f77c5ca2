#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// Broadcast arithmetic is exact up to one rounding; reductions sum in double.
constexpr double kTolerance = 1e-6;

TEST(GoldenElementwise, MatchesPyTorch) {
  const int n = golden::check_family(
      "elementwise",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        if (c.op == "add") return {{"y", add(in.at("a"), in.at("b"))}};
        if (c.op == "sub") return {{"y", sub(in.at("a"), in.at("b"))}};
        if (c.op == "mul") return {{"y", mul(in.at("a"), in.at("b"))}};
        if (c.op == "div") return {{"y", div(in.at("a"), in.at("b"))}};
        const Shape dims = c.params["dims"].get<Shape>();
        const bool keep = c.params["keepdim"];
        if (c.op == "sum") return {{"y", sum(in.at("x"), dims, keep)}};
        if (c.op == "mean") return {{"y", mean(in.at("x"), dims, keep)}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, 9);
}

}  // namespace
}  // namespace cnn
