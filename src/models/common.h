// Building pieces several model files share.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/nn/conv.h"

namespace cnn::models {

// A convolution without bias and with "same" padding (kernel / 2) for odd kernels, the unit
// of the ResNet, ShuffleNet and MNASNet families; PyTorch's default initialization (callers
// re-initialize where torchvision does).
inline std::shared_ptr<nn::Conv2d> conv_no_bias(int64_t in, int64_t out, int64_t kernel,
                                                int64_t stride, int64_t groups, Generator& gen) {
  return std::make_shared<nn::Conv2d>(in, out,
                                      nn::Conv2dOptions{.kernel = kernel,
                                                        .stride = stride,
                                                        .padding = kernel / 2,
                                                        .groups = groups,
                                                        .bias = false},
                                      gen);
}

}  // namespace cnn::models
