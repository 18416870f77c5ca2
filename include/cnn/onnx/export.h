/// \file
/// ONNX out: a module's forward pass, traced op by op (cnn/trace.h), becomes an ONNX model that
/// ONNX Runtime, PyTorch's tools or cnn::onnx::load run.
///
/// ```
///   auto model = cnn::models::create("resnet18", {.classes = 10}, gen);
///   cnn::onnx::save(*model, {1, 224, 224, 3}, "resnet18.onnx");   // NHWC input shape
/// ```
///
/// The module runs once, in evaluation mode with grad mode on (so that models take their
/// unfused paths), on a random input of `input_shape`, while every op reports itself; the ops
/// that lead to the output become ONNX nodes. Parameters and buffers become initializers named
/// by their state_dict keys ("layer1.0.conv1.weight"), in ONNX's layouts (convolution weights
/// OIHW); other constant tensors an op reads become initializers `"const_<n>"`.
///
/// Layout: by default the graph takes and returns NCHW ([N, C, H, W]) as every ONNX image model
/// does, and every rank-4 activation inside is NCHW. cnn's NHWC tensors are tracked as
/// permutations of the ONNX values, so a permute costs no node, per-channel operands become
/// [C, 1, 1] initializers, and an NHWC flatten feeding a Linear moves its order into the
/// Linear's weight columns instead of a Transpose. With nchw_interface = false the graph's
/// rank-4 input and outputs are NHWC, cnn's own layout (a Transpose after the input and before
/// the output).
///
/// The model is checked with onnx::checker and strict shape inference before it is written
/// (atomically). Anything that cannot be exported raises cnn::Error naming the op and the
/// module it ran in: an op with no ONNX form (an even-sized local response norm, batch norm in
/// training mode), or a tensor computed by code that does not report itself to the tracer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/shape.h"

namespace cnn::onnx {

struct SaveOptions {
  /// The default domain's opset: 11 to 17. Ops whose inputs changed (Split, Unsqueeze and
  /// ReduceSum axes, Softmax's axis) are written in the form of the opset chosen.
  int64_t opset = 17;
  /// Rank-4 graph input and outputs in NCHW (true) or cnn's NHWC (false).
  bool nchw_interface = true;
  /// The batch dimension of the input and outputs is symbolic ("batch"), so the model runs at
  /// any batch size; false fixes it to input_shape[0].
  bool dynamic_batch = true;
  /// A BatchNormalization after a Conv that nothing else reads is folded into the Conv's weight
  /// and bias (W * s, (b - mean) * s + beta with s = gamma / sqrt(var + eps), in double).
  bool fold_batch_norm = false;
  std::string input_name = "input";
  std::string output_name = "output";
  /// Key-value pairs for the model's metadata_props (class names, the input normalization).
  std::vector<std::pair<std::string, std::string>> metadata = {};
};

/// Exports `module` for inputs of `input_shape` (cnn's layout, batch included: [N, H, W, C] for
/// images) to `path`. The module's training mode and the thread's grad mode are restored
/// afterwards. Raises cnn::Error (see above), also for an opset outside 11..17 or an input
/// shape with a non-positive extent.
void save(nn::Module& module, const Shape& input_shape, const std::string& path,
          const SaveOptions& options = {});

}  // namespace cnn::onnx
