#include <gtest/gtest.h>

#include <string>

#include "cnn/cnn.h"
#include "golden/golden.h"

namespace cnn {
namespace {

// These ops only move elements (or write the fill value, or zeros): no arithmetic is done
// in either direction, so outputs and gradients must equal PyTorch's bit for bit. The one sum,
// the gradient of an element that reflect or edge padding copies several times, adds in the
// output's row-major order starting from zero, as PyTorch's CPU kernels do, so it too is exact.
constexpr double kExact = 0.0;

// "x0", "y1", ...: the names scripts/golden/shape.py gives the tensors of a list. (Appending
// sidesteps GCC 12's false -Wrestrict on "x" + std::to_string(i).)
std::string indexed(const char* prefix, size_t i) {
  std::string name = prefix;
  name += std::to_string(i);
  return name;
}

golden::TensorMap run_shape_op(const golden::Case& c, const golden::TensorMap& in) {
  const auto& p = c.params;
  if (c.op == "concat") {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < p["count"].get<size_t>(); ++i) xs.push_back(in.at(indexed("x", i)));
    return {{"y", concat(xs, p["dim"].get<int64_t>())}};
  }
  if (c.op == "split") {
    const auto pieces =
        split(in.at("x"), p["sizes"].get<std::vector<int64_t>>(), p["dim"].get<int64_t>());
    golden::TensorMap out;
    for (size_t i = 0; i < pieces.size(); ++i) out[indexed("y", i)] = pieces[i];
    return out;
  }
  if (c.op == "channel_shuffle") return {{"y", channel_shuffle(in.at("x"), p["groups"])}};
  if (c.op == "pad2d") {
    const Pad2d pad{p["top"].get<int64_t>(), p["bottom"].get<int64_t>(), p["left"].get<int64_t>(),
                    p["right"].get<int64_t>()};
    return {{"y", pad2d(in.at("x"), pad, p["value"].get<float>())}};
  }
  if (c.op == "pad2d_mode") {
    const Pad2d pad{p["top"].get<int64_t>(), p["bottom"].get<int64_t>(), p["left"].get<int64_t>(),
                    p["right"].get<int64_t>()};
    const std::string mode = p["mode"].get<std::string>();
    EXPECT_TRUE(mode == "reflect" || mode == "edge") << mode;
    return {{"y", pad2d(in.at("x"), pad,
                        {.mode = mode == "reflect" ? PadMode::reflect : PadMode::edge})}};
  }
  if (c.op == "shortcut_identity")
    return {{"y", shortcut_identity(in.at("x"), p["stride"], p["out_channels"])}};
  ADD_FAILURE() << "unknown op " << c.op;
  return {};
}

TEST(GoldenShape, MatchesPyTorchExactly) {
  const int n = golden::check_family("shape", run_shape_op, kExact);
  // 5 concat, 5 split, 4 channel_shuffle, 5 pad2d, 3 + 3 pad2d reflect + edge,
  // 4 shortcut_identity
  EXPECT_EQ(n, 29);
}

}  // namespace
}  // namespace cnn
