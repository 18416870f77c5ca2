#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::error_of;

TEST(Anomaly, NamesTheOpWhereNaNFirstAppears) {
  const Tensor x = Tensor::from_data({3}, {1.0f, -2.0f, 3.0f}).requires_grad_();
  // Without detection, log of a negative number quietly yields NaN.
  EXPECT_FALSE(autograd::all_finite(log(x * 2.0f)));
  autograd::DetectAnomalyGuard guard;
  EXPECT_EQ(error_of([&] { log(x * 2.0f); }),
            "anomaly: NaN or infinity first appeared in output 0 of log (shape [3]); its inputs "
            "were finite");
}

TEST(Anomaly, BlamesTheDataWhenAnInputIsAlreadyNonFinite) {
  const Tensor x = Tensor::from_data({2}, {1.0f, std::nanf("")});
  const Tensor w = Tensor::ones({2}).requires_grad_();
  autograd::DetectAnomalyGuard guard;
  const std::string msg = error_of([&] { mul(x, w); });
  EXPECT_NE(msg.find("input 0 of mul (shape [2]) already holds NaN or infinity"), std::string::npos)
      << msg;
}

TEST(Anomaly, NamesTheBackwardThatProducedANonFiniteGradient) {
  const Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor y = x * 1.0f;
  Tensor z = y.detach().clone();
  autograd::record("broken_op", {y}, {z}, [](const autograd::TensorList& g) {
    return autograd::TensorList{g[0] * INFINITY};
  });
  autograd::DetectAnomalyGuard guard;
  const std::string msg = error_of([&] { sum(z).backward(); });
  EXPECT_NE(msg.find("first appeared in the gradient that broken_op's backward computed"),
            std::string::npos)
      << msg;
}

TEST(Anomaly, GuardRestoresThePreviousSetting) {
  EXPECT_FALSE(autograd::detect_anomaly());
  {
    autograd::DetectAnomalyGuard guard;
    EXPECT_TRUE(autograd::detect_anomaly());
  }
  EXPECT_FALSE(autograd::detect_anomaly());
}

}  // namespace
}  // namespace cnn
