// The window of a Conv or pool node: what its attributes say over an input of a given size.
#pragma once

#include <cstdint>

#include "cnn/shape.h"
#include "onnx/ops.h"

namespace cnn::onnx {

struct Window {
  Size2 kernel, stride{1}, dilation{1};
  Pad2d pad;
};

// kernel_shape, strides, dilations, pads and auto_pad of a Conv or pool node over an input of
// `h` x `w` (rank 3 inputs: h = 1 and the attributes have one entry); kernel_shape defaults to
// kernel_from_weight. Raises cnn::Error naming the node for attributes out of range.
Window window(const Node& n, int64_t rank, int64_t h, int64_t w, Size2 kernel_from_weight);

}  // namespace cnn::onnx
