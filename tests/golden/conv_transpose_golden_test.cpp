#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// As for conv2d (conv_golden_test.cpp): both sides sum float32 products in different orders,
// over at most a few hundred terms here (K = 3*3*32 for dx of wide_stride2, N*H*W for dW), so
// the rounding difference stays near 1e-6 of the largest value; an indexing mistake gives
// errors of order 1.
constexpr double kTolerance = 1e-5;

Tensor optional(const golden::TensorMap& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

TEST(GoldenConvTranspose, MatchesPyTorch) {
  const int n = golden::check_family(
      "conv_transpose",
      [](const golden::Case& c, const golden::TensorMap& in) -> golden::TensorMap {
        if (c.op != "conv_transpose2d") {
          ADD_FAILURE() << "unknown op " << c.op;
          return {};
        }
        const auto pair = [&](const char* key) {
          const auto v = c.params[key].get<std::vector<int64_t>>();
          return Size2(v[0], v[1]);
        };
        const auto pad =
            c.params["padding"].get<std::vector<int64_t>>();  // top, bottom, left, right
        const ConvTranspose2dOptions options{.stride = pair("stride"),
                                             .padding = {pad[0], pad[1], pad[2], pad[3]},
                                             .output_padding = pair("output_padding"),
                                             .dilation = pair("dilation"),
                                             .groups = c.params["groups"].get<int64_t>()};
        return {{"y", conv_transpose2d(in.at("x"), in.at("w"), optional(in, "b"), options)}};
      },
      kTolerance);
  EXPECT_EQ(n, 19);
}

}  // namespace
}  // namespace cnn
