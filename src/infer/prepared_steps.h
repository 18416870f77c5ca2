// The steps of a prepared model (cnn/prepare.h): how each node of the inference graph runs, and
// the prepared kernels a node that can be prepared owns (its weight folded and packed).
#pragma once

#include <limits>
#include <memory>

#include "cnn/shape.h"
#include "kernels/conv2d_prepared.h"
#include "kernels/gemm.h"
#include "kernels/pool_types.h"
#include "onnx/graph.h"

namespace cnn::infer {

// A convolution whose weight (and batch norm) are data of the graph, run prepared.
struct ConvStep {
  std::unique_ptr<kernels::PreparedConv2d> conv;
  kernels::Conv2dGeometry weight_geometry;  // the weight's part; the input's is per plan
  bool relu = false;
  float relu_max = std::numeric_limits<float>::infinity();
};

// How a node runs: by its ONNX op, or by a prepared kernel writing into planned memory.
enum class StepKind { op, conv, linear, max_pool, global_avg_pool };

struct Step {
  StepKind kind = StepKind::op;
  ConvStep conv;                                    // kind conv
  std::unique_ptr<kernels::PreparedLinear> linear;  // kind linear
};

// The step of node n: a convolution whose weight, bias and batch norm are data of the graph (the
// batch norm folded in, in double), a Gemm classifier (A' = A, alpha 1, a vector bias), a max
// pool without Indices or a global average pool; any other node runs by its op.
Step make_step(const onnx::Graph& g, const onnx::Node& n);

// The geometry of a pool step's node over the input and output shapes a run by the op recorded.
kernels::PoolGeometry pool_geometry(const onnx::Node& n, StepKind kind, const Shape& in,
                                    const Shape& out);

}  // namespace cnn::infer
