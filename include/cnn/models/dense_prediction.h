/// \file
/// The lecture's dense-prediction ideas as library functions.
///
/// Hypercolumns: the feature vector of pixel (x, y) is the concatenation of every chosen
/// layer's features at the corresponding place of that layer's grid,
/// ```text
///   L[b, x, y, J_0 + J_1 + ...] = L_0[b, x, y, J_0] ; L_l[b, floor(x X_l / X_0), floor(y Y_l /
///   Y_0), J_l] ; ...
/// ```
/// with a layer that has no grid (a vector [N, J]) repeated at every pixel.
///
/// Fully-convolutional evaluation: a classifier trained on small images, slid over a larger
/// one, gives a map of class scores; see ResNetCifar::class_score_map for the convolutional
/// form and sliding_window_scores for any model.
#pragma once

#include <string>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::models {

/// layers: [N, X_l, Y_l, J_l] maps and/or [N, J_l] vectors with the same N -> [N, X, Y, sum J_l]
/// on the grid `grid` = (X, Y) (usually the input's). Differentiable.
Tensor hypercolumn(const std::vector<Tensor>& layers, Size2 grid);

/// Runs model(x) and returns the outputs of the sub-modules at the given dotted paths (as
/// state_dict names them, e.g. "layer1", "layer2.0.conv1"), in the order asked. Raises
/// cnn::Error naming a path that is not a sub-module or was not called.
std::vector<Tensor> collect_activations(nn::Module& model, const Tensor& x,
                                        const std::vector<std::string>& paths);

/// Class scores of every window of `window` pixels, `stride` apart, of images [N, H, W, C]:
/// [N, rows, cols, classes] with rows = (H - window.h) / stride.h + 1 (likewise cols). Windows
/// are evaluated `batch` at a time, in evaluation mode without recording the graph.
Tensor sliding_window_scores(nn::Module& model, const Tensor& images, Size2 window, Size2 stride,
                             int64_t batch = 64);

}  // namespace cnn::models
