// The inference fusion helpers of nn/fused.h for a convolution followed by a ReLU or ReLU6 with
// no batch norm (conv_act, and such pairs in sequential_conv_bn_act): the fused result equals
// the modules run one by one; the graph is built as before when the parameters require grad;
// an installed ForwardObserver sees every module. (Batch norm runs: tests/models.)
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/nn/fused.h"
#include "cnn/nn/layers.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "support/tensor_testing.h"

namespace cnn::nn {
namespace {

using cnn::testing::bit_identical;
using cnn::testing::randn;

// Records the type of every module a ForwardObserver is told of, in order.
class TypeRecorder final : public ForwardObserver {
 public:
  void after_forward(const Module& m, const Tensor&, const Tensor&) override {
    types.push_back(m.type());
  }
  std::vector<std::string> types;
};

TEST(ConvAct, EqualsTheModulesAndBuildsTheGraphWhenTraining) {
  Generator gen(1);
  // grouped, strided, padded and dilated: every option reaches the fused op
  Conv2d conv(6, 8, {.kernel = 3, .stride = 2, .padding = 2, .dilation = 2, .groups = 2}, gen);
  const Tensor x = randn({2, 9, 8, 6}, 2);
  for (const ConvActivation act : {ConvActivation::relu, ConvActivation::relu6}) {
    const Tensor unfused = conv_act(conv, x, act);  // grad mode on, the weight requires grad
    EXPECT_TRUE(unfused.requires_grad());
    autograd::NoGradGuard no_grad;
    const Tensor fused = conv_act(conv, x, act);
    EXPECT_FALSE(fused.requires_grad());
    // the clamp meets the same rounded sum, so nothing differs (cnn::conv2d_act)
    EXPECT_TRUE(bit_identical(fused, unfused));
    EXPECT_TRUE(bit_identical(fused, act == ConvActivation::relu ? relu(conv(x)) : relu6(conv(x))));
  }
  autograd::NoGradGuard no_grad;
  EXPECT_TRUE(bit_identical(conv_act(conv, x, ConvActivation::none), conv(x)));
}

// AlexNet's and VGG's features: conv, relu pairs between poolings, and a conv with no
// activation, which runs through its module.
std::shared_ptr<Sequential> features(Generator& gen) {
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(3, 16, Conv2dOptions{.kernel = 3, .padding = 1}, gen),
      std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(MaxPool2dOptions{.kernel = 2, .stride = 2}),
      std::make_shared<Sequential>(
          std::make_shared<Conv2d>(16, 32, Conv2dOptions{.kernel = 3, .padding = 1}, gen),
          std::make_shared<ReLU6>()),
      std::make_shared<Conv2d>(32, 8, Conv2dOptions{.kernel = 1}, gen));
}

TEST(SequentialConvBnAct, FusesConvReluPairsWithoutChangingTheOutput) {
  Generator gen(3);
  auto seq = features(gen);
  const Tensor x = randn({2, 12, 10, 3}, 4);
  const Tensor unfused = (*seq)(x);
  const Tensor residual = randn(unfused.shape(), 5);
  autograd::NoGradGuard no_grad;
  EXPECT_TRUE(bit_identical(sequential_conv_bn_act(*seq, x), unfused));
  EXPECT_TRUE(bit_identical(sequential_conv_bn_act(*seq, x, residual), add(unfused, residual)));
}

TEST(SequentialConvBnAct, ObserversSeeEveryModule) {
  Generator gen(6);
  auto seq = features(gen);
  autograd::NoGradGuard no_grad;
  TypeRecorder seen;
  {
    ObserveForwards observe(seen);
    sequential_conv_bn_act(*seq, randn({1, 8, 8, 3}, 7));
    Conv2d& conv = *seq->at<Conv2d>(0);
    conv_act(conv, randn({1, 8, 8, 3}, 8), ConvActivation::relu);
  }
  // children before their parents (after_forward), the helpers' calls in order
  EXPECT_EQ(seen.types, (std::vector<std::string>{"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU6",
                                                  "Sequential", "Conv2d", "Sequential", "Conv2d"}));
}

}  // namespace
}  // namespace cnn::nn
