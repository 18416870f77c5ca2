// The fast pointwise kernels (activations forward and backward, same-shape binary ops) against
// the reference loops, bit for bit: lengths that leave vector tails (1, 3, 15, 16, 17, 33, 64)
// and one long enough to be split over the threads, arrays that start off a vector boundary,
// special values (signed zeros, the relu6 kinks, infinities, NaN, subnormals), 1 and 2
// threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/parallel.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/binary.h"
#include "kernels/ref/activation_ref.h"
#include "kernels/ref/binary_ref.h"
#include "support/kernel_testing.h"

namespace cnn {
namespace {

using kernels::Activation;
using kernels::BinaryOp;
using testing::same_bits;
using testing::unwritten;

const std::vector<int64_t> kLengths = {1, 3, 15, 16, 17, 33, 64, 100'003};

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
  const std::vector<std::pair<Activation, float>> kinds = {
      {Activation::relu, 0.0f},        {Activation::relu6, 0.0f},   {Activation::leaky_relu, 0.01f},
      {Activation::leaky_relu, -0.3f}, {Activation::sigmoid, 0.0f}, {Activation::tanh, 0.0f}};
  for (const int64_t n : kLengths)
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
  for (const int64_t n : kLengths) {
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
