// The fast pointwise kernels (activations forward and backward, same-shape binary ops) against
// the reference loops, bit for bit: lengths that leave vector tails (1, 3, 15, 16, 17, 33, 64)
// and one long enough to be split over the threads, arrays that start off a vector boundary,
// special values (signed zeros, the relu6 kinks, infinities, NaN, subnormals), 1 and 2
// threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cnn/generator.h"
#include "cnn/parallel.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/binary.h"
#include "kernels/ref/activation_ref.h"
#include "kernels/ref/binary_ref.h"
#include "support/cases.h"
#include "support/kernel_testing.h"

namespace cnn {
namespace {

using kernels::Activation;
using kernels::BinaryOp;
using testing::same_bits;
using testing::unwritten;

// The "kernel.length" cases of tests/cases/activation.json: lengths that leave vector tails, and
// one long enough to be split over the threads.
const std::vector<int64_t>& lengths() {
  static const std::vector<int64_t> result = [] {
    std::vector<int64_t> n;
    for (const nlohmann::json& c : testing::cases_for("activation", "kernel.length"))
      n.push_back(testing::shape_field(c, "x").at(0));
    return n;
  }();
  return result;
}

// The "kernel.activation" cases: each activation with its slope (leaky_relu's negative_slope).
std::vector<std::pair<Activation, float>> activation_kinds() {
  const std::map<std::string, Activation> by_name = {{"relu", Activation::relu},
                                                     {"relu6", Activation::relu6},
                                                     {"leaky_relu", Activation::leaky_relu},
                                                     {"sigmoid", Activation::sigmoid},
                                                     {"tanh", Activation::tanh}};
  std::vector<std::pair<Activation, float>> kinds;
  for (const nlohmann::json& c : testing::cases_for("activation", "kernel.activation")) {
    const nlohmann::json params = c.value("params", nlohmann::json::object());
    kinds.emplace_back(by_name.at(c.at("op").get<std::string>()),
                       params.value("negative_slope", 0.0f));
  }
  return kinds;
}

// Normal values scaled by 4 (so that relu6 clips), every 7th replaced by a special value.
std::vector<float> values(int64_t n, uint64_t seed) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {
      0.0f,   -0.0f,  6.0f, -6.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
      1e-40f, -1e-40f};
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = i % 7 == 3 ? special[(i / 7) % special.size()] : 4.0f * gen.normal();
  return v;
}

class PointwiseKernelsAtThreads : public testing::AtThreads {};

TEST_P(PointwiseKernelsAtThreads, ActivationsMatchTheReferenceBitForBit) {
  const std::vector<std::pair<Activation, float>> kinds = activation_kinds();
  for (const int64_t n : lengths())
    for (const int64_t offset : {0, 1}) {  // 1: the arrays start one float past the allocation
      const std::vector<float> xs = values(n + offset, 1), dys = values(n + offset, 2);
      const float* x = xs.data() + offset;
      const float* dy = dys.data() + offset;
      for (const auto& [kind, slope] : kinds) {
        SCOPED_TRACE("kind " + std::to_string(static_cast<int>(kind)) + " slope " +
                     std::to_string(slope) + " n " + std::to_string(n) + " offset " +
                     std::to_string(offset));
        std::vector<float> y_ref(static_cast<size_t>(n)), y = unwritten(n + offset);
        kernels::ref::activation_forward(kind, slope, x, y_ref.data(), n);
        kernels::cpu::activation_forward(kind, slope, x, y.data() + offset, n);
        EXPECT_TRUE(same_bits(std::vector<float>(y.begin() + offset, y.end()), y_ref));
        std::vector<float> dx_ref(static_cast<size_t>(n)), dx = unwritten(n + offset);
        kernels::ref::activation_backward(kind, slope, x, y_ref.data(), dy, dx_ref.data(), n);
        kernels::cpu::activation_backward(kind, slope, x, y_ref.data(), dy, dx.data() + offset, n);
        EXPECT_TRUE(same_bits(std::vector<float>(dx.begin() + offset, dx.end()), dx_ref));
      }
    }
}

TEST_P(PointwiseKernelsAtThreads, SameShapeBinaryOpsMatchTheReferenceBitForBit) {
  for (const int64_t n : lengths()) {
    const std::vector<float> a = values(n, 3), b = values(n, 4);
    const Shape shape = {n};
    for (const BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div}) {
      SCOPED_TRACE("op " + std::to_string(static_cast<int>(op)) + " n " + std::to_string(n));
      std::vector<float> expected(static_cast<size_t>(n)), out = unwritten(n);
      kernels::ref::binary_broadcast(op, a.data(), shape, b.data(), shape, expected.data(), shape);
      kernels::cpu::binary_same_shape(op, a.data(), b.data(), out.data(), n);
      EXPECT_TRUE(same_bits(out, expected));
      // In place, as the header allows: out is a.
      std::vector<float> in_place = a;
      kernels::cpu::binary_same_shape(op, in_place.data(), b.data(), in_place.data(), n);
      EXPECT_TRUE(same_bits(in_place, expected));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, PointwiseKernelsAtThreads, ::testing::Values(1, 2),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param) + "_threads";
                         });

}  // namespace
}  // namespace cnn
