/// \file
/// GoogLeNet (Szegedy et al. 2014, "Going deeper with convolutions") as torchvision 0.14 builds
/// it with aux_logits=False (transform_input is an option, below): a stem of 7x7/2 convolution, max
/// pooling, 1x1 and 3x3 convolutions, then nine Inception modules, each the lecture's concatenation
/// of four branches over channels (1x1; 1x1 -> 3x3; 1x1 -> 3x3; 3x3 max pool -> 1x1), global
/// average pooling, dropout 0.2 and a fully connected layer. As in torchvision, the "5x5" branch
/// uses a 3x3 kernel (torchvision's known deviation, kept so that its weights load), and every
/// convolution is BasicConv2d: convolution without bias, batch norm (eps 0.001), ReLU.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Fills t with draws from the normal (mean, stddev) truncated to [lo, hi] by rejection (a draw
/// outside is redrawn), torch.nn.init.trunc_normal_'s distribution. Used by the Inception family.
Tensor truncated_normal(Tensor t, float mean, float stddev, float lo, float hi, Generator& gen);
/// torchvision's init_weights of GoogLeNet and Inception v3: every Conv2d and Linear weight in
/// the tree from the normal (0, stddev) truncated to [-2, 2]; biases and batch norms untouched
/// (batch norm is already weight 1, bias 0).
void init_inception_weights(nn::Module& model, float stddev, Generator& gen);

/// torchvision's transform_input of GoogLeNet and Inception v3: an image normalized with
/// ImageNet's mean and standard deviation, x = (p - mean) / std per channel, becomes
/// (p - 0.5) / 0.5, the normalization those networks' pretrained weights were trained with:
/// channel c maps to x * std[c] / 0.5 + (mean[c] - 0.5) / 0.5. x is [N, H, W, 3].
Tensor inception_transform_input(const Tensor& x);

/// conv (no bias) -> bn (eps 0.001) -> relu; children `conv`, `bn` as torchvision's BasicConv2d.
/// options.bias is ignored (always false).
class BasicConv2d : public nn::Module {
 public:
  BasicConv2d(int64_t in_channels, int64_t out_channels, const nn::Conv2dOptions& options,
              Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

/// torchvision's googlenet.Inception: branch1 (1x1), branch2 (1x1, 3x3), branch3 (1x1, 3x3),
/// branch4 (3x3/1 max pool, 1x1), concatenated in that order over channels.
class GoogLeNetInception : public nn::Module {
 public:
  GoogLeNetInception(int64_t in_channels, int64_t ch1x1, int64_t ch3x3red, int64_t ch3x3,
                     int64_t ch5x5red, int64_t ch5x5, int64_t pool_proj, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch1_;
  std::shared_ptr<nn::Sequential> branch2_, branch3_, branch4_;
};

struct GoogLeNetOptions {
  int64_t classes = 1000;
  int64_t in_channels = 3;
  float dropout = 0.2f;
  /// Applies inception_transform_input first, as torchvision's googlenet(weights=...) does:
  /// its pretrained weights expect it (needs in_channels 3).
  bool transform_input = false;
};

/// Initialization as torchvision's init_weights=True: every convolution and linear weight from
/// the normal (0, 0.01) truncated to [-2, 2]; batch norm weight 1, bias 0; the fc bias keeps
/// Linear's default. Accepts inputs from 15x15 up (torchvision's min_size).
class GoogLeNet : public nn::Module {
 public:
  GoogLeNet(const GoogLeNetOptions& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::MaxPool2d> maxpool1_, maxpool2_, maxpool3_, maxpool4_;
  std::shared_ptr<GoogLeNetInception> inception3a_, inception3b_, inception4a_, inception4b_,
      inception4c_, inception4d_, inception4e_, inception5a_, inception5b_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Dropout> dropout_;
  std::shared_ptr<nn::Linear> fc_;
  bool transform_input_;
};

}  // namespace cnn::models
