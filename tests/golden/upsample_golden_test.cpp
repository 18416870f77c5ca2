#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// Nearest copies input values through the same float32 index map as PyTorch, so it should
// match exactly. Bilinear uses PyTorch's float32 positions and weights; only the rounding of
// the blend (and of the gradient scatter-adds) may differ, by a few ulps: about 1e-7 of the
// largest value. 1e-6 leaves a margin without hiding a wrong tap or weight (1e-2 and more).
constexpr double kTolerance = 1e-6;

Size2 size2(const nlohmann::json& j) {
  return {j.at(0).get<int64_t>(), j.at(1).get<int64_t>()};
}

TEST(GoldenUpsample, MatchesPyTorch) {
  const int n = golden::check_family(
      "upsample",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        const Tensor& x = in.at("x");
        const Size2 size = size2(c.params["output_size"]);
        if (c.op == "upsample_nearest2d") return {{"y", upsample_nearest2d(x, size)}};
        if (c.op == "upsample_bilinear2d")
          return {{"y", upsample_bilinear2d(x, size, c.params["align_corners"].get<bool>())}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, 22);
}

}  // namespace
}  // namespace cnn
