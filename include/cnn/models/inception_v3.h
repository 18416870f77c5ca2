/// \file
/// Inception v3 (Szegedy et al. 2015, "Rethinking the Inception architecture") as torchvision
/// 0.14 builds it with aux_logits=False (transform_input is an option): a stem of BasicConv2d
/// layers (convolution without bias, batch norm eps 0.001, ReLU) and max pools, then the
/// modules Mixed_5b..5d (InceptionA), Mixed_6a (InceptionB, grid reduction), Mixed_6b..6e
/// (InceptionC, factorized 1x7 / 7x1 convolutions), Mixed_7a (InceptionD, grid reduction),
/// Mixed_7b..7c (InceptionE, split 1x3 / 3x1 branches); each concatenates its branches over
/// channels. Then global average pooling, dropout 0.5 and fc. The smallest input is 75x75.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/models/googlenet.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

class InceptionA : public nn::Module {
 public:
  InceptionA(int64_t in_channels, int64_t pool_features, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch1x1_, branch5x5_1_, branch5x5_2_, branch3x3dbl_1_,
      branch3x3dbl_2_, branch3x3dbl_3_, branch_pool_;
};

class InceptionB : public nn::Module {
 public:
  InceptionB(int64_t in_channels, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch3x3_, branch3x3dbl_1_, branch3x3dbl_2_, branch3x3dbl_3_;
};

class InceptionC : public nn::Module {
 public:
  InceptionC(int64_t in_channels, int64_t channels_7x7, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch1x1_, branch7x7_1_, branch7x7_2_, branch7x7_3_,
      branch7x7dbl_1_, branch7x7dbl_2_, branch7x7dbl_3_, branch7x7dbl_4_, branch7x7dbl_5_,
      branch_pool_;
};

class InceptionD : public nn::Module {
 public:
  InceptionD(int64_t in_channels, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch3x3_1_, branch3x3_2_, branch7x7x3_1_, branch7x7x3_2_,
      branch7x7x3_3_, branch7x7x3_4_;
};

class InceptionE : public nn::Module {
 public:
  InceptionE(int64_t in_channels, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> branch1x1_, branch3x3_1_, branch3x3_2a_, branch3x3_2b_,
      branch3x3dbl_1_, branch3x3dbl_2_, branch3x3dbl_3a_, branch3x3dbl_3b_, branch_pool_;
};

struct InceptionV3Options {
  int64_t classes = 1000;
  int64_t in_channels = 3;
  float dropout = 0.5f;
  /// Applies inception_transform_input (googlenet.h) first, as torchvision's
  /// inception_v3(weights=...) does: its pretrained weights expect it (needs in_channels 3).
  bool transform_input = false;
};

/// Initialization as torchvision's init_weights=True without the auxiliary classifier: every
/// convolution and linear weight from the normal (0, 0.1) truncated to [-2, 2].
class InceptionV3 : public nn::Module {
 public:
  InceptionV3(const InceptionV3Options& options, Generator& gen);
  /// x [N, H, W, in_channels] with H, W >= 75 -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BasicConv2d> conv1a_, conv2a_, conv2b_, conv3b_, conv4a_;
  std::shared_ptr<nn::MaxPool2d> maxpool1_, maxpool2_;
  std::shared_ptr<InceptionA> mixed5b_, mixed5c_, mixed5d_;
  std::shared_ptr<InceptionB> mixed6a_;
  std::shared_ptr<InceptionC> mixed6b_, mixed6c_, mixed6d_, mixed6e_;
  std::shared_ptr<InceptionD> mixed7a_;
  std::shared_ptr<InceptionE> mixed7b_, mixed7c_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Dropout> dropout_;
  std::shared_ptr<nn::Linear> fc_;
  bool transform_input_;
};

}  // namespace cnn::models
