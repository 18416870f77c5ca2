// The load-time passes over an imported graph, each switchable in LoadOptions:
//   remove_identities     Identity nodes become aliases of their input (both plans);
//                         Dropout too, in the inference plan
//   fold_constants        nodes whose inputs are all constants run once, at load; Shape of a
//                         value whose shape is known at load becomes a constant
//   eliminate_dead_nodes  nodes that no graph output depends on are dropped
//   fuse                  in the inference plan, Conv [-> BatchNormalization] [-> Add]
//                         [-> Relu | Clip(0, 6)] becomes one Conv node whose kernel epilogue
//                         does the rest (the same fast path as cnn's own models)
#pragma once

#include "cnn/onnx/onnx.h"

namespace cnn::onnx {

class Graph;

void optimize(Graph& graph, const LoadOptions& options);

}  // namespace cnn::onnx
