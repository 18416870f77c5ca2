#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "golden/golden.h"
#include "support/cases.h"

namespace cnn {
namespace {

// Max pooling copies input values and routes each upstream gradient to the same cell as
// PyTorch (same tie rule), so it should match exactly, its indices too (int64 indices are
// compared as floats, exact for these sizes: a wrong index is off by at least 1). The averages
// differ from PyTorch by float32 rounding only: we sum each window in double and round once,
// PyTorch sums in float (at most a few dozen terms here), and the gradient shares dy / divisor
// alike in both. That is a few ulps, about 1e-7 of the largest value; 1e-6 leaves a margin without
// hiding a wrong divisor or window (those give errors of 1e-2 and more).
constexpr double kTolerance = 1e-6;

Size2 size2(const nlohmann::json& j) {
  return {j.at(0).get<int64_t>(), j.at(1).get<int64_t>()};
}

// [top, bottom, left, right]
Pad2d pad2d(const nlohmann::json& j) {
  return {j.at(0).get<int64_t>(), j.at(1).get<int64_t>(), j.at(2).get<int64_t>(),
          j.at(3).get<int64_t>()};
}

TEST(GoldenPool, MatchesPyTorch) {
  const int n = golden::check_family(
      "pool",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        const Tensor& x = in.at("x");
        const nlohmann::json& p = c.params;
        const MaxPool2dOptions max_options =
            c.op.starts_with("max_pool2d")
                ? MaxPool2dOptions{.kernel = size2(p["kernel"]),
                                   .stride = size2(p["stride"]),
                                   .padding = pad2d(p["padding"]),
                                   .dilation = size2(p["dilation"]),
                                   .ceil_mode = p["ceil_mode"].get<bool>()}
                : MaxPool2dOptions{};
        if (c.op == "max_pool2d") return {{"y", max_pool2d(x, max_options)}};
        if (c.op == "max_pool2d_with_indices") {
          const auto [y, indices] = max_pool2d_with_indices(x, max_options);
          EXPECT_EQ(indices.dtype(), DType::i64);
          return {{"y", y}, {"indices", indices}};
        }
        if (c.op == "avg_pool2d")
          return {{"y", avg_pool2d(x, {.kernel = size2(p["kernel"]),
                                       .stride = size2(p["stride"]),
                                       .padding = pad2d(p["padding"]),
                                       .ceil_mode = p["ceil_mode"].get<bool>(),
                                       .count_include_pad = p["count_include_pad"].get<bool>()})}};
        if (c.op == "adaptive_avg_pool2d")
          return {{"y", adaptive_avg_pool2d(x, size2(p["output_size"]))}};
        if (c.op == "global_avg_pool2d") return {{"y", global_avg_pool2d(x)}};
        if (c.op == "global_max_pool2d") return {{"y", global_max_pool2d(x)}};
        ADD_FAILURE() << "unknown op " << c.op;
        return {};
      },
      kTolerance);
  EXPECT_EQ(n, static_cast<int>(testing::cases_for("pool", "golden").size()));
}

}  // namespace
}  // namespace cnn
