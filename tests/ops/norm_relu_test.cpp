// batch_norm_relu: the same outputs, gradients and running statistics as batch_norm, add and
// relu one after the other, bit for bit; a gradient check away from the ReLU's kink; errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::bit_identical;
using testing::error_of;
using testing::randn;

// Byte for byte, NaNs and the sign of zeros included.
bool same_bytes(const Tensor& a, const Tensor& b) {
  const std::vector<float> u = a.to_vector(), v = b.to_vector();
  return a.shape() == b.shape() && std::memcmp(u.data(), v.data(), u.size() * sizeof(float)) == 0;
}

struct Result {
  Tensor y, dx, dgamma, dbeta, dresidual, running_mean, running_var;
};

// relu(batch_norm(x) + residual) and its gradients for the upstream gradient dy, fused or by
// the three ops; residual undefined: none.
Result run(bool fused, const Tensor& x, const Tensor& residual, const Tensor& dy, bool training) {
  const int64_t C = x.size(-1);
  Tensor xl = x.clone().requires_grad_();
  Tensor rl = residual.defined() ? residual.clone().requires_grad_() : Tensor();
  Tensor gamma = affine(randn({C}, 21), 0.5f, 1.0f).requires_grad_();
  Tensor beta = randn({C}, 22).requires_grad_();
  Tensor running_mean = randn({C}, 23), running_var = affine(randn({C}, 24), 0.2f, 1.0f);
  const BatchNormOptions options{.training = training, .momentum = 0.2f};
  Tensor y;
  if (fused) {
    y = batch_norm_relu(xl, running_mean, running_var, gamma, beta, options, rl);
  } else {
    const Tensor b = batch_norm(xl, running_mean, running_var, gamma, beta, options);
    y = relu(rl.defined() ? add(rl, b) : b);
  }
  y.backward(dy);
  return {y,
          xl.grad(),
          gamma.grad(),
          beta.grad(),
          rl.defined() ? rl.grad() : Tensor(),
          running_mean,
          running_var};
}

TEST(BatchNormRelu, SameBitsAsBatchNormAddRelu) {
  // channel counts below, at and off a vector and a line; rows off the sum block; a mean far
  // from zero
  for (const Shape& shape :
       {Shape{2, 5, 7, 16}, Shape{3, 4, 4, 17}, Shape{8, 28, 28, 16}, Shape{5, 7, 7, 64},
        Shape{3, 5, 5, 32}, Shape{130, 3}, Shape{2, 3, 3, 300}}) {
    const Tensor x = affine(randn(shape, 1), 2.0f, 0.7f);
    const Tensor dy = randn(shape, 2), residual = randn(shape, 3);
    for (bool training : {true, false})
      for (bool with_residual : {false, true}) {
        SCOPED_TRACE(to_string(shape) + (training ? " training" : " evaluation") +
                     (with_residual ? " residual" : ""));
        const Tensor r = with_residual ? residual : Tensor();
        const Result a = run(true, x, r, dy, training), b = run(false, x, r, dy, training);
        EXPECT_TRUE(same_bytes(a.y, b.y));
        EXPECT_TRUE(same_bytes(a.dx, b.dx));
        EXPECT_TRUE(same_bytes(a.dgamma, b.dgamma));
        EXPECT_TRUE(same_bytes(a.dbeta, b.dbeta));
        EXPECT_TRUE(same_bytes(a.running_mean, b.running_mean));
        EXPECT_TRUE(same_bytes(a.running_var, b.running_var));
        if (with_residual) {
          EXPECT_TRUE(same_bytes(a.dresidual, b.dresidual));
        }
      }
  }
}

TEST(BatchNormRelu, ZeroNaNAndUndefinedAffineAsTheThreeOps) {
  // x constant in channel 0 (every pre-activation is beta = 0: exactly at the kink), a NaN in
  // channel 1, no gamma and beta, no running statistics
  std::vector<float> v = randn({6, 3}, 4).to_vector();
  for (int64_t r = 0; r < 6; ++r) v[r * 3] = 1.5f;
  v[4] = std::nanf("");
  const Tensor x = Tensor::from_data({6, 3}, v), dy = randn({6, 3}, 5);
  Tensor x1 = x.clone().requires_grad_(), x2 = x.clone().requires_grad_();
  const Tensor y1 = batch_norm_relu(x1, {}, {}, {}, {});
  const Tensor y2 = relu(batch_norm(x2, {}, {}, {}, {}));
  y1.backward(dy);
  y2.backward(dy);
  EXPECT_TRUE(same_bytes(y1, y2));
  EXPECT_TRUE(same_bytes(x1.grad(), x2.grad()));
}

TEST(BatchNormRelu, Gradcheck) {
  const Tensor running_mean = Tensor::from_data({3}, {0.2f, -0.1f, 0.4f});
  const Tensor running_var = Tensor::from_data({3}, {0.8f, 1.3f, 0.6f});
  const Tensor gamma = affine(randn({3}, 6), 0.3f, 1.0f).requires_grad_();
  const Tensor beta = randn({3}, 7).requires_grad_();
  for (const Shape& shape : {Shape{2, 3, 5, 3}, Shape{7, 3}}) {
    const Tensor x = affine(randn(shape, 8), 1.5f, 0.3f).requires_grad_();
    for (bool training : {true, false}) {
      SCOPED_TRACE(to_string(shape) + (training ? " training" : " evaluation"));
      const BatchNormOptions options{.training = training, .eps = 1e-3f};
      // A residual that puts every sum at least 0.3 away from the ReLU's kink at the point
      // checked: residual = target - batch_norm(x), target away from 0.
      Tensor pre;
      {
        NoGradGuard no_grad;
        pre = batch_norm(x, running_mean.clone(), running_var.clone(), gamma, beta, options);
      }
      std::vector<float> target = randn(shape, 9).to_vector(), p = pre.to_vector();
      for (size_t i = 0; i < p.size(); ++i) {
        if (std::abs(target[i]) < 0.3f) target[i] = target[i] < 0 ? -0.3f : 0.3f;
        target[i] -= p[i];
      }
      const Tensor residual = Tensor::from_data(shape, target).requires_grad_();
      auto f = [&](const std::vector<Tensor>& in) {
        return batch_norm_relu(in[0], running_mean.clone(), running_var.clone(), in[1], in[2],
                               options, in[3]);
      };
      const GradcheckResult r = gradcheck(f, {x, gamma, beta, residual});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

TEST(BatchNormRelu, SameBitsForAnyThreadCount) {
  const Tensor x = randn({8, 32, 32, 16}, 9), g = randn({8, 32, 32, 16}, 10);
  const Tensor residual = randn({8, 32, 32, 16}, 11);
  auto run_with = [&](int threads) {
    set_num_threads(threads);
    Tensor leaf = x.clone().requires_grad_();
    Tensor y = batch_norm_relu(leaf, {}, {}, {}, {}, {}, residual);
    y.backward(g);
    return std::pair{y, leaf.grad()};
  };
  const int saved = num_threads();
  const auto [y1, dx1] = run_with(1);
  const auto [y2, dx2] = run_with(3);
  set_num_threads(saved);
  EXPECT_TRUE(bit_identical(y1, y2));
  EXPECT_TRUE(bit_identical(dx1, dx2));
}

TEST(BatchNormRelu, ErrorsNameTheOpAndTheResidual) {
  const Tensor x = randn({2, 3, 3, 4}, 12);
  EXPECT_EQ(error_of([&] {
              batch_norm_relu(x, {}, {}, {}, {}, {}, randn({2, 3, 3, 5}, 13));
            }),
            "batch_norm_relu: argument 'residual' must have the shape of x, [2, 3, 3, 4], got "
            "shape [2, 3, 3, 5]");
  EXPECT_NE(error_of([&] {
              batch_norm_relu(randn({1, 4}, 14), {}, {}, {}, {});
            }).find("batch_norm_relu: expected more than 1 value per channel"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn
