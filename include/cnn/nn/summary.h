/// \file
/// A model's summary: each layer's output shape, parameters and multiply-adds for one image,
/// with totals, as `cnn summary` prints it (torchinfo's and Keras' model.summary() in spirit).
///
/// Multiply-adds (MACs) follow the convention of the papers and of torchvision's model tables:
/// only convolutions and fully connected layers count, one per weight use,
/// ```text
///   Conv2d: OH * OW * O * KH * KW * (C / groups)   (padded positions included, bias not)
///   Linear: in_features * out_features per input row
/// ```
/// Batch normalization, activations, pooling and additions are not counted. ResNet-20 on a
/// 32x32x3 image comes to 40,551,040, the paper's "41M".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/shape.h"

namespace cnn::nn {

/// One call of a leaf module (one without children) during the summary's forward.
struct LayerSummary {
  std::string name;         ///< dotted path in the module tree, "layer1.0.conv1"
  std::string type;         ///< Module::type(), "Conv2d"
  std::string description;  ///< Module::name(), "Conv2d(16, 16, kernel=(3, 3), ...)"
  Shape output_shape;       ///< for one image: the batch dimension left out
  int64_t parameters = 0;   ///< the module's own; 0 on a second call of the same module
  int64_t macs = 0;         ///< multiply-adds of this call, see the convention above
};

struct ModelSummary {
  std::string model;       ///< the model's name, e.g. "resnet20"; summarize() puts Module::type()
  Shape input;             ///< one image, without the batch dimension: [H, W, C]
  int64_t parameters = 0;  ///< Module::parameter_count(): every parameter, counted once
  int64_t macs = 0;        ///< the sum over `layers`
  std::vector<LayerSummary> layers;  ///< in execution order
};

/// Runs the model once, in evaluation mode and without gradients, on a zero input of shape
/// [1, input...] and records every call of a leaf module, as reported by a ForwardObserver
/// (so composites must call their children through Module::operator(), see module.h).
/// A leaf called but not registered in the module tree is listed as "(unregistered)" with 0
/// parameters: they are not the model's (parameters() and state_dict() leave them out).
/// Restores each module's training mode afterwards; raises cnn::Error when the forward does.
ModelSummary summarize(Module& model, const Shape& input);

/// Multiply-adds of one call of `module` (a Conv2d, a Linear, or an nn::Formula given its
/// `input`; 0 for every other kind) that produced `output`, per item of the batch dimension.
int64_t multiply_adds(const Module& module, const Tensor& output, const Tensor& input = Tensor());

/// A table: layer, type, output shape, parameters, multiply-adds, then the totals.
std::string format_table(const ModelSummary& summary);

/// {"model": ..., "input": [...], "parameters": N, "macs": N, "layers": [{"name", "type",
///  "description", "output_shape", "parameters", "macs"}, ...]}, indented by two spaces.
std::string format_json(const ModelSummary& summary);

}  // namespace cnn::nn
