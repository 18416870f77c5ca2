// The exporter's model in memory: what cnn::onnx::save writes, for code that builds on it
// without a file (prepared inference, cnn/prepare.h).
#pragma once

#include "cnn/nn/module.h"
#include "cnn/onnx/export.h"
#include "onnx/onnx_pb.h"

namespace cnn::onnx {

// The checked ModelProto of `module` for inputs of `input_shape` (see cnn::onnx::save).
::onnx::ModelProto export_model(nn::Module& module, const Shape& input_shape,
                                const SaveOptions& options = {});

}  // namespace cnn::onnx
