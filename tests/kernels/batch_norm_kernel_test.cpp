// The fast batch norm kernels against the reference ones: statistics, forward, backward in
// training and evaluation, on rows that are not multiples of the sum block, channel counts
// that are not multiples of a vector, and data whose mean is large against its spread; the
// fused batch norm + (residual) + ReLU kernels likewise.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/ref/norm_ref.h"
#include "support/cases.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

double max_relative(const std::vector<double>& a, const std::vector<double>& b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return err / scale;
}

TEST(BatchNormKernels, MatchTheReference) {
  for (const nlohmann::json& bn : testing::cases_for("norm", "kernel.batch_norm")) {
    const Shape shape = testing::shape_field(bn, "x");  // [rows, channels]
    const int64_t rows = shape.at(0), channels = shape.at(1);
    const float offset = testing::field<float>(bn, "offset", 0.0f);
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(channels));
    Tensor x = testing::randn({rows, channels}, 1);
    float* px = x.data();
    for (int64_t i = 0; i < x.numel(); ++i) px[i] += offset;
    const Tensor dy = testing::randn({rows, channels}, 2), gamma = testing::randn({channels}, 3),
                 beta = testing::randn({channels}, 4);
    std::vector<double> m1(channels), v1(channels), m2(channels), v2(channels);
    kernels::ref::batch_norm_stats(x.data(), rows, channels, m1.data(), v1.data());
    kernels::cpu::batch_norm_stats(x.data(), rows, channels, m2.data(), v2.data());
    EXPECT_LT(max_relative(m2, m1), 1e-12);
    if (rows > 1) {
      EXPECT_LT(max_relative(v2, v1), 1e-9);
    }
    std::vector<float> mean(channels), inv_std(channels);
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = static_cast<float>(m1[c]);
      inv_std[c] = static_cast<float>(1.0 / std::sqrt(v1[c] + 1e-5));
    }
    Tensor y1 = Tensor::empty({rows, channels}), y2 = Tensor::empty({rows, channels});
    kernels::ref::batch_norm_forward(x.data(), rows, channels, mean.data(), inv_std.data(),
                                     gamma.data(), beta.data(), y1.data());
    kernels::cpu::batch_norm_forward(x.data(), rows, channels, mean.data(), inv_std.data(),
                                     gamma.data(), beta.data(), y2.data());
    EXPECT_LT(testing::relative_error(y2, y1), 1e-6);
    for (bool training : {true, false}) {
      Tensor dx1 = Tensor::empty({rows, channels}), dx2 = Tensor::empty({rows, channels});
      Tensor dg1 = Tensor::empty({channels}), dg2 = Tensor::empty({channels});
      Tensor db1 = Tensor::empty({channels}), db2 = Tensor::empty({channels});
      kernels::ref::batch_norm_backward(dy.data(), x.data(), rows, channels, mean.data(),
                                        inv_std.data(), gamma.data(), training, dx1.data(),
                                        dg1.data(), db1.data());
      kernels::cpu::batch_norm_backward(dy.data(), x.data(), rows, channels, mean.data(),
                                        inv_std.data(), gamma.data(), training, dx2.data(),
                                        dg2.data(), db2.data());
      EXPECT_LT(testing::relative_error(dx2, dx1), 1e-6) << "training " << training;
      EXPECT_LT(testing::relative_error(dg2, dg1), 1e-6) << "training " << training;
      EXPECT_LT(testing::relative_error(db2, db1), 1e-6) << "training " << training;
    }
  }
}

TEST(BatchNormKernels, ReluFusedMatchTheReference) {
  for (const nlohmann::json& bn : testing::cases_for("norm", "kernel.batch_norm")) {
    const Shape shape = testing::shape_field(bn, "x");  // [rows, channels]
    const int64_t rows = shape.at(0), channels = shape.at(1);
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(channels));
    const Tensor x = testing::randn(shape, 1), residual = testing::randn(shape, 7);
    const Tensor dy = testing::randn(shape, 2), gamma = testing::randn({channels}, 3),
                 beta = testing::randn({channels}, 4);
    std::vector<float> mean(channels), inv_std(channels);
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = 0.1f * static_cast<float>(c % 5);
      inv_std[c] = 0.5f + 0.25f * static_cast<float>(c % 3);
    }
    for (const float* r : {static_cast<const float*>(nullptr), residual.data()}) {
      SCOPED_TRACE(r != nullptr ? "residual" : "no residual");
      Tensor y1 = Tensor::empty(shape), y2 = Tensor::empty(shape);
      kernels::ref::batch_norm_relu_forward(x.data(), r, rows, channels, mean.data(),
                                            inv_std.data(), gamma.data(), beta.data(), y1.data());
      kernels::cpu::batch_norm_relu_forward(x.data(), r, rows, channels, mean.data(),
                                            inv_std.data(), gamma.data(), beta.data(), y2.data());
      EXPECT_LT(testing::relative_error(y2, y1), 1e-6);
      for (bool training : {true, false}) {
        // both from the reference's y, so that the gates agree where y is near 0
        Tensor dx1 = Tensor::empty(shape), dx2 = Tensor::empty(shape);
        Tensor dr1 = Tensor::empty(shape), dr2 = Tensor::empty(shape);
        Tensor dg1 = Tensor::empty({channels}), dg2 = Tensor::empty({channels});
        Tensor db1 = Tensor::empty({channels}), db2 = Tensor::empty({channels});
        kernels::ref::batch_norm_relu_backward(dy.data(), x.data(), y1.data(), rows, channels,
                                               mean.data(), inv_std.data(), gamma.data(), training,
                                               dx1.data(), dg1.data(), db1.data(), dr1.data());
        kernels::cpu::batch_norm_relu_backward(dy.data(), x.data(), y1.data(), rows, channels,
                                               mean.data(), inv_std.data(), gamma.data(), training,
                                               dx2.data(), dg2.data(), db2.data(), dr2.data());
        EXPECT_TRUE(testing::bit_identical(dr2, dr1)) << "training " << training;
        EXPECT_LT(testing::relative_error(dx2, dx1), 1e-6) << "training " << training;
        EXPECT_LT(testing::relative_error(dg2, dg1), 1e-6) << "training " << training;
        EXPECT_LT(testing::relative_error(db2, db1), 1e-6) << "training " << training;
      }
    }
  }
}

TEST(BatchNormKernels, SameBitsForAnyThreadCount) {
  const Shape shape =
      testing::shape_field(testing::cases_for("norm", "kernel.batch_norm_threads").at(0), "x");
  const int64_t rows = shape.at(0), channels = shape.at(1);
  const Tensor x = testing::randn(shape, 5), dy = testing::randn(shape, 6);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<double> mean(channels), var(channels);
    kernels::cpu::batch_norm_stats(x.data(), rows, channels, mean.data(), var.data());
    std::vector<float> m(mean.begin(), mean.end()), s(channels, 0.5f);
    Tensor dx = Tensor::empty(shape), dx_relu = Tensor::empty(shape), d = Tensor::empty(shape);
    kernels::cpu::batch_norm_backward(dy.data(), x.data(), rows, channels, m.data(), s.data(),
                                      nullptr, true, dx.data(), nullptr, nullptr);
    // the ReLU's gate from x itself, as if it were the output
    kernels::cpu::batch_norm_relu_backward(dy.data(), x.data(), x.data(), rows, channels, m.data(),
                                           s.data(), nullptr, true, dx_relu.data(), nullptr,
                                           nullptr, d.data());
    return std::tuple{var, dx, dx_relu};
  };
  const int saved = num_threads();
  const auto [v1, dx1, dr1] = run(1);
  const auto [v3, dx3, dr3] = run(3);
  set_num_threads(saved);
  EXPECT_EQ(v1, v3);
  EXPECT_TRUE(testing::bit_identical(dx1, dx3));
  EXPECT_TRUE(testing::bit_identical(dr1, dr3));
}

}  // namespace
}  // namespace cnn
