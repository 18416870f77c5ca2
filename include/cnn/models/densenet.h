/// \file
/// DenseNet-BC (Huang et al. 2017, "Densely connected convolutional networks") as torchvision
/// 0.14 builds it (memory_efficient=False, drop_rate 0). Within a dense block every layer sees
/// the lecture's concatenation of the block input and all earlier layers' outputs,
/// ```text
///   L_l = L_{l-1} ; H_l(L_{l-1}),   H_l = conv3x3(relu(bn(conv1x1(relu(bn(.))))))
/// ```
/// with growth rate k new channels per layer (the 1x1 bottleneck has bn_size * k channels).
/// Transitions halve the channels (1x1 convolution) and the grid (2x2 average pooling).
/// The names are torchvision's: features.conv0, features.norm0, features.denseblock1.
/// denselayer1.norm1.weight, ..., features.transition1.conv.weight, features.norm5, classifier.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// A Sequential whose children carry names (torch.nn.Sequential built from an OrderedDict):
/// runs them in registration order.
class NamedSequential : public nn::Module {
 public:
  explicit NamedSequential(std::string type = "Sequential") : Module(std::move(type)) {}
  template <class M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> module) {
    return register_module(name, std::move(module));
  }
  Tensor forward(const Tensor& x) override;
};

/// norm1 -> relu1 -> conv1 (1x1, bn_size * k) -> norm2 -> relu2 -> conv2 (3x3, k): the new
/// features H_l of one layer, from the concatenation of everything before it.
class DenseLayer : public nn::Module {
 public:
  DenseLayer(int64_t in_channels, int64_t growth_rate, int64_t bn_size, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::BatchNorm2d> norm1_, norm2_;
  std::shared_ptr<nn::ReLU> relu1_, relu2_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
};

/// Children denselayer1..denselayerN; output channels in + N * k.
class DenseBlock : public nn::Module {
 public:
  DenseBlock(int64_t layers, int64_t in_channels, int64_t growth_rate, int64_t bn_size,
             Generator& gen);
  /// x -> x ; H_1(x) ; H_2(x ; H_1(x)) ; ... built by appending each layer's output with concat.
  Tensor forward(const Tensor& x) override;

 private:
  std::vector<std::shared_ptr<DenseLayer>> layers_;
};

struct DenseNetOptions {
  int64_t growth_rate = 32;
  std::vector<int64_t> block_config = {6, 12, 24, 16};
  int64_t num_init_features = 64;
  int64_t bn_size = 4;
  double compression = 0.5;  ///< a transition keeps floor(compression * channels)
  int64_t classes = 1000;
  int64_t in_channels = 3;
  /// The stem. ImageNet (false): conv0 7x7/2, norm0, relu0, pool0 3x3/2 max. Small images
  /// (true, the paper's CIFAR networks): conv0 3x3/1 alone, the first layer's norm1 follows.
  bool small_input = false;
};

/// forward: features (stem, blocks with transitions, final norm named norm<blocks + 1>, so
/// norm5 for four blocks), relu, global average pooling, classifier. Initialization as
/// torchvision's: convolutions kaiming_normal (fan_in, gain sqrt 2), batch norm 1 / 0,
/// the classifier's bias 0 (its weight keeps Linear's default).
class DenseNet : public nn::Module {
 public:
  DenseNet(const DenseNetOptions& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<NamedSequential> features_;
  std::shared_ptr<nn::Linear> classifier_;
};

/// torchvision's configurations: densenet121 (k 32, blocks 6-12-24-16, 64 initial features),
/// densenet161 (48, 6-12-36-24, 96), densenet169 (32, 6-12-32-32, 64), densenet201
/// (32, 6-12-48-32, 64). Raises cnn::Error for another depth.
DenseNetOptions densenet_options(int64_t depth);

}  // namespace cnn::models
