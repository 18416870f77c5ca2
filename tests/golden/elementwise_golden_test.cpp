#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// Broadcast arithmetic is exact up to one rounding; reductions sum in double; amax and views
// are exact (amax's split gradient dy / count rounds as PyTorch's).
constexpr double kTolerance = 1e-6;

TEST(GoldenElementwise, MatchesPyTorch) {
  const int n = golden::check_family(
      "elementwise",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        if (c.op == "add") return {{"y", add(in.at("a"), in.at("b"))}};
        if (c.op == "sub") return {{"y", sub(in.at("a"), in.at("b"))}};
        if (c.op == "mul") return {{"y", mul(in.at("a"), in.at("b"))}};
        if (c.op == "div") return {{"y", div(in.at("a"), in.at("b"))}};
        const Tensor& x = in.count("x") ? in.at("x") : Tensor();
        if (c.op == "flatten") return {{"y", x.flatten(c.params["start"])}};
        if (c.op == "reshape") return {{"y", x.reshape(c.params["shape"].get<Shape>())}};
        if (c.op == "permute") return {{"y", x.permute(c.params["dims"].get<Shape>())}};
        if (c.op == "slice")
          return {{"y",
                   x.slice(c.params["dim"], c.params["start"], c.params["end"], c.params["step"])}};
        const Shape dims = c.params["dims"].get<Shape>();
        const bool keep = c.params["keepdim"];
        if (c.op == "sum") return {{"y", sum(in.at("x"), dims, keep)}};
        if (c.op == "mean") return {{"y", mean(in.at("x"), dims, keep)}};
        if (c.op == "amax") return {{"y", amax(in.at("x"), dims, keep)}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, 18);
}

}  // namespace
}  // namespace cnn
