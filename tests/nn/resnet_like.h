// torchvision's ResNet-18, rebuilt from cnn::nn layers with the same registration order and
// names, so that its state_dict keys can be compared with torchvision's. For tests only (the
// model zoo builds the real one).
#pragma once

#include <memory>

#include "cnn/nn/layers.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"

namespace cnn::testing {

// torchvision.models.resnet.BasicBlock: conv3x3-bn-relu-conv3x3-bn, plus a 1x1 projection
// `downsample` (Sequential(conv, bn)) when the shape changes.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride, Generator& gen) : Module("BasicBlock") {
    conv1 = register_module(
        "conv1",
        std::make_shared<nn::Conv2d>(
            in, out, nn::Conv2dOptions{.kernel = 3, .stride = stride, .padding = 1, .bias = false},
            gen));
    bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out));
    relu = register_module("relu", std::make_shared<nn::ReLU>());
    conv2 = register_module(
        "conv2", std::make_shared<nn::Conv2d>(
                     out, out, nn::Conv2dOptions{.kernel = 3, .padding = 1, .bias = false}, gen));
    bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out));
    if (stride != 1 || in != out) {
      downsample = register_module(
          "downsample",
          std::make_shared<nn::Sequential>(
              std::make_shared<nn::Conv2d>(
                  in, out, nn::Conv2dOptions{.kernel = 1, .stride = stride, .bias = false}, gen),
              std::make_shared<nn::BatchNorm2d>(out)));
    }
  }

  // The lecture's residual: relu(shortcut(x) + bn2(conv2(relu(bn1(conv1(x)))))).
  Tensor forward(const Tensor& x) override {
    Tensor shortcut = downsample ? downsample->forward(x) : x;
    return cnn::relu(shortcut + (*bn2)((*conv2)((*relu)((*bn1)((*conv1)(x))))));
  }

  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2d> bn1, bn2;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Sequential> downsample;
};

// torchvision.models.resnet18 (blocks {2, 2, 2, 2}), with `width` channels in the stem and
// layer1 (64 in torchvision) so tests can build a small one.
class ResNet18Like : public nn::Module {
 public:
  ResNet18Like(int64_t width, int64_t classes, Generator& gen) : Module("ResNet") {
    conv1 = register_module(
        "conv1",
        std::make_shared<nn::Conv2d>(
            3, width, nn::Conv2dOptions{.kernel = 7, .stride = 2, .padding = 3, .bias = false},
            gen));
    bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(width));
    relu = register_module("relu", std::make_shared<nn::ReLU>());
    maxpool = register_module("maxpool", std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{
                                             .kernel = 3, .stride = 2, .padding = 1}));
    int64_t in = width;
    for (int64_t i = 0; i < 4; ++i) {
      const int64_t out = width << i;
      auto layer = std::make_shared<nn::Sequential>(
          std::make_shared<BasicBlock>(in, out, i == 0 ? 1 : 2, gen),
          std::make_shared<BasicBlock>(out, out, 1, gen));
      layers[i] = register_module("layer" + std::to_string(i + 1), layer);
      in = out;
    }
    avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
    fc = register_module("fc", std::make_shared<nn::Linear>(in, classes, gen));
  }

  // x [N, H, W, 3] -> logits [N, classes]
  Tensor forward(const Tensor& x) override {
    Tensor y = (*maxpool)((*relu)((*bn1)((*conv1)(x))));
    for (auto& layer : layers) y = layer->forward(y);
    return (*fc)((*avgpool)(y).flatten(1));
  }

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::MaxPool2d> maxpool;
  std::shared_ptr<nn::Sequential> layers[4];
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Linear> fc;
};

}  // namespace cnn::testing
