/// \file
/// AlexNet (Krizhevsky, Sutskever & Hinton, 2012) in two forms:
///   - AlexNet: torchvision 0.14's `alexnet`, the one-GPU variant of "One weird trick"
///     (Krizhevsky 2014): 64/192/384/256/256 filters, AdaptiveAvgPool2d to 6x6 (so any input of
///     at least 63x63 works), and a classifier Dropout, FC 4096, ReLU, Dropout, FC 4096, ReLU,
///     FC classes. Module tree and parameter names are torchvision's (features.0.weight,
///     classifier.1.weight, ...), initialization PyTorch's defaults.
///   - AlexNetLecture: the lecture's listing of the 2012 network on a 227x227x3 input:
///     CONV 11x11/4 pad 0 -> 96, maxpool 3/2, CONV 5x5 pad 2 -> 256, maxpool 3/2, CONV 3x3 pad 1
///     -> 384, 384, 256, maxpool 3/2 -> 6x6x256, FC 4096, FC 4096, FC classes.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Children: features (Sequential), avgpool, classifier (Sequential), as torchvision's.
class AlexNet : public nn::Module {
 public:
  AlexNet(const ModelOptions& options, Generator& gen, float dropout = 0.5f);
  /// x [N, H, W, in_channels] with H, W >= 63 -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
};

struct AlexNetLectureOptions {
  /// The paper's local response normalization after the first two ReLUs (section 3.3); the
  /// lecture's listing has none.
  bool local_response_norm = false;
  /// The paper's dropout (p = 0.5) before the first two fully connected layers (section 4.2);
  /// the lecture's listing has none.
  bool dropout = false;
};

/// Children: features (Sequential), classifier (Sequential). No adaptive pooling: the listing
/// needs the 6x6 grid that a 227x227 input gives (inputs of 224 to 234 pixels give it too).
class AlexNetLecture : public nn::Module {
 public:
  AlexNetLecture(const ModelOptions& options, Generator& gen,
                 const AlexNetLectureOptions& lecture = {});
  /// x [N, 227, 227, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
};

std::shared_ptr<nn::Module> alexnet(const ModelOptions& options, Generator& gen);
std::shared_ptr<nn::Module> alexnet_lecture(const ModelOptions& options, Generator& gen);

}  // namespace cnn::models
