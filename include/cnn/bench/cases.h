/// \file
/// What `cnn bench` measures: the convolution layers, the models and the GEMM of issue 5's
/// benchmark, each with its FLOP count. One multiply-add counts as 2 FLOP; a layer's
/// forward+backward (gradients of input and weight) counts as 3x its forward FLOP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn::bench {

/// One bias-free convolution, NHWC input [batch, height, width, in_channels], square kernel,
/// equal stride and padding on both axes (every layer of the models measured is so).
struct ConvCase {
  std::string model;  ///< whose layer: "resnet20", "resnet50", "mobilenet_v2"
  std::string layer;  ///< the layer's name in that model, e.g. "layer1.0.conv2"
  int64_t batch = 1;
  int64_t height = 1, width = 1;
  int64_t in_channels = 1, out_channels = 1;
  int64_t kernel = 1, stride = 1, padding = 0;
  int64_t groups = 1;

  int64_t out_height() const;
  int64_t out_width() const;
  /// 2 * N * OH * OW * O * KH * KW * C / groups
  double forward_flops() const;
  double forward_backward_flops() const { return 3 * forward_flops(); }
  /// "3x3/2 16->32 28x28" (kernel/stride, channels, input grid; "dw" marks depthwise)
  std::string shape_text() const;
};

/// The distinct convolutions of resnet20 with one input channel at 28x28, batch 128.
std::vector<ConvCase> resnet20_layers();
/// A representative set of ResNet-50's convolutions at 224x224.
std::vector<ConvCase> resnet50_layers(int64_t batch);
/// MobileNet v2's distinct 3x3 depthwise convolutions at 224x224.
std::vector<ConvCase> mobilenet_v2_depthwise_layers(int64_t batch);
/// All of the above in table order: resnet20; resnet50 at batch 1 and 16; mobilenet_v2 at
/// batch 1 and 16.
std::vector<ConvCase> layer_cases();

enum class ModelMode {
  train,      ///< one SGD step: forward, cross-entropy, backward, optimizer step
  inference,  ///< eval mode, no gradient recording
};
const char* mode_name(ModelMode mode);

struct ModelCase {
  std::string model;  ///< a registered name (cnn::models) and a model of bench/torch_models.py
  ModelMode mode = ModelMode::inference;
  int64_t batch = 1;
  int64_t height = 224, width = 224, channels = 3;
  int64_t classes = 1000;
};

/// ResNet-20 training at batch 128 on 28x28x1; batch-1 224x224x3 inference of ResNet-18,
/// ResNet-50 and MobileNet v2.
std::vector<ModelCase> model_cases();

/// C[m, n] = A[m, k] * B[k, n], row-major, on `threads` threads.
struct GemmCase {
  int64_t m = 1024, n = 1024, k = 1024;
  int threads = 1;
  double flops() const {
    return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  }
};

/// 1024^3 on one thread and on `threads` threads (just one case when threads == 1).
std::vector<GemmCase> gemm_cases(int threads);

}  // namespace cnn::bench
