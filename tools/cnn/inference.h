// What `cnn eval` and `cnn predict` run: the model prepared for inference (cnn/prepare.h), or
// the module as it is.
#pragma once

#include <functional>
#include <memory>

#include "cnn/nn/module.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::tool {

// The model prepared for batches of `input_shape` ([N, H, W, C]; other batch sizes are
// prepared when they come), measuring its convolutions' algorithms when `measure`; the module
// itself in evaluation mode when `unprepared`, or when it cannot be prepared (a note on stderr
// says why). The function runs without recording the graph.
std::function<Tensor(const Tensor&)> inference_forward(const std::shared_ptr<nn::Module>& model,
                                                       const Shape& input_shape, bool measure,
                                                       bool unprepared);

}  // namespace cnn::tool
