/// \file
/// What `cnn bench` measures: convolution layers, models and a GEMM, each with its FLOP count.
/// The layers are those of the zoo models that tests/cases/conv2d.json names, their shapes found
/// by running the models. One multiply-add counts as 2 FLOP; a layer's
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

/// Every Conv2d that one forward pass of the zoo model `model` (cnn::models) runs on a
/// [batch, height, width, channels] input, in call order, each named by its module's dotted
/// path as in the state_dict ("layer1.0.conv2"): found by running the model once, at batch 1,
/// under a ForwardObserver. Raises cnn::Error for a Conv2d that ConvCase cannot describe
/// (rectangular kernel or stride, unequal padding, dilation) only when `layers` selects it.
std::vector<ConvCase> model_conv_layers(const std::string& model, int64_t height, int64_t width,
                                        int64_t channels, int64_t classes, int64_t batch,
                                        const std::vector<std::string>& layers);

/// The layers `cnn bench` times, as listed under "bench" in the case list of the conv2d family
/// (tests/cases/conv2d.json, at `conv2d_cases_file`): for each model in file order, for each
/// of its batch sizes, the named layers in the order named. Raises cnn::Error when the file
/// cannot be read or names a layer the model does not run.
std::vector<ConvCase> layer_cases(const std::string& conv2d_cases_file);

enum class ModelMode {
  train,      ///< one SGD step: forward, cross-entropy, backward, optimizer step
  inference,  ///< prepared for the input's shape (cnn/prepare.h), then forward passes
};
const char* mode_name(ModelMode mode);

struct ModelCase {
  std::string model;  ///< a registered name (cnn::models) and a model of bench/torch_models.py
  ModelMode mode = ModelMode::inference;
  int64_t batch = 1;
  int64_t height = 224, width = 224, channels = 3;
  int64_t classes = 1000;
};

/// ResNet-20 training at batch 128 on 28x28x1; 224x224x3 inference of ResNet-18, ResNet-50
/// and MobileNet v2, each at batch 1 and batch 16.
std::vector<ModelCase> model_cases();

/// C[m, n] = A[m, k] * B[k, n], row-major, on `threads` threads.
struct GemmCase {
  int64_t m = 1024, n = 1024, k = 1024;
  int threads = 1;
  double flops() const {
    return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  }
};

/// The "bench" cases of the gemm family's case list (tests/cases/gemm.json, at
/// `gemm_cases_file`: 1024^3), each on one thread and on `threads` threads (just one case when
/// threads == 1). Raises cnn::Error when the file cannot be read.
std::vector<GemmCase> gemm_cases(const std::string& gemm_cases_file, int threads);

}  // namespace cnn::bench
