// The lab's deep plain network: its structure, its initialization schemes and its trace.
#include "cnn/lab/deep_net.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cnn/cnn.h"

namespace cnn::lab {
namespace {

double variance(const Tensor& t) {
  const std::vector<float> v = t.contiguous().to_vector();
  double s = 0, sq = 0;
  for (float x : v) s += x, sq += static_cast<double>(x) * x;
  const double mean = s / static_cast<double>(v.size());
  return sq / static_cast<double>(v.size()) - mean * mean;
}

TEST(DeepNet, ShapesAndStateDictNames) {
  Generator gen(1);
  DeepNet net({.depth = 3,
               .width = 8,
               .in_channels = 1,
               .classes = 10,
               .batch_norm = true,
               .residual = true},
              gen);
  const DeepNet::Trace t = net.forward_trace(Tensor::normal({2, 12, 12, 1}, 0, 1, gen));
  EXPECT_EQ(t.logits.shape(), (Shape{2, 10}));
  EXPECT_EQ(t.stem_output.shape(), (Shape{2, 12, 12, 8}));
  ASSERT_EQ(t.pre_activations.size(), 3u);
  ASSERT_EQ(t.outputs.size(), 3u);
  EXPECT_EQ(t.outputs[2].shape(), (Shape{2, 12, 12, 8}));
  const auto keys = net.state_dict().keys();
  for (const char* key : {"stem.conv.weight", "stem.bn.weight", "layers.0.conv.weight",
                          "layers.2.bn.running_var", "fc.weight", "fc.bias"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  EXPECT_EQ(net.conv_weight(1).shape(), (Shape{3, 3, 8, 8}));
  EXPECT_THROW(net.conv_weight(0), Error);
  EXPECT_THROW(net.conv_weight(4), Error);
  EXPECT_THROW(DeepNet({.depth = 0}, gen), Error);
}

TEST(DeepNet, ResidualLayersAddTheirInput) {
  Generator gen(2);
  DeepNet net({.depth = 2, .width = 4, .activation = Activation::relu, .residual = true}, gen);
  NoGradGuard no_grad;
  const DeepNet::Trace t = net.forward_trace(Tensor::normal({1, 6, 6, 1}, 0, 1, gen));
  // L_1 = L_0 + relu(z_1), so L_1 - L_0 = relu(z_1) >= 0 and equals it exactly.
  const std::vector<float> diff = (t.outputs[0] - t.stem_output).to_vector();
  const std::vector<float> branch = relu(t.pre_activations[0]).to_vector();
  for (size_t i = 0; i < diff.size(); ++i) EXPECT_NEAR(diff[i], branch[i], 1e-5);
}

TEST(DeepNet, InitializationVariances) {
  Generator gen(3);
  // fan-in 3 * 3 * 64 = 576 over 36,864 weights: the sample variance is within a few percent.
  const double n = 576.0;
  auto drawn = [&](Init init) {
    Tensor w = Tensor::empty({3, 3, 64, 64});
    initialize_weight(w, init, gen);
    return variance(w);
  };
  EXPECT_NEAR(drawn(Init::small), 1e-4, 0.05e-4);
  EXPECT_NEAR(drawn(Init::large), 1.0, 0.05);
  EXPECT_NEAR(drawn(Init::xavier) * n, 1.0, 0.05);  // U(-sqrt(3/N), sqrt(3/N)): 1/N
  EXPECT_NEAR(drawn(Init::kaiming) * n, 2.0, 0.1);
}

TEST(DeepNet, DescribeSetting) {
  EXPECT_EQ(describe_setting({.activation = Activation::sigmoid, .init = Init::xavier}),
            "sigmoid, Xavier");
  EXPECT_EQ(describe_setting({.activation = Activation::relu,
                              .init = Init::kaiming,
                              .batch_norm = true,
                              .residual = true}),
            "ReLU, Kaiming, BN, residual");
}

}  // namespace
}  // namespace cnn::lab
