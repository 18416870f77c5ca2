/// \file
/// Prepared inference: a model made ready once for fast forward passes at given input shapes.
///
/// ```
///   auto model = cnn::models::create("resnet50", {}, gen);        // or cnn::onnx::load(...)
///   auto prepared = cnn::prepare(model, {1, 224, 224, 3});
///   Tensor logits = (*prepared)(images);                           // NHWC, as the model takes
/// ```
///
/// Preparing does once what an ordinary forward pass does on every call:
///  - the model's graph is taken from its forward pass (traced as cnn::onnx::save does, or the
///    imported graph of an onnx::Model) with its inference fusions (convolution, batch norm,
///    residual add, ReLU/ReLU6);
///  - every batch norm that follows a convolution is folded into the convolution's weight and
///    bias (in double precision);
///  - each convolution's weight is packed into the layout of the algorithm that will run it
///    (Winograd's transformed weight, the direct kernel's blocks, the GEMM's panels), that
///    algorithm being chosen per input shape by timing the candidates on the real shapes (kept
///    per shape for the whole process, so the choice is made once and stays; see
///    PrepareOptions::measure);
///  - the convolutions' outputs are planned into one arena, reused from call to call.
///
/// A call then runs only the kernels. Outputs equal the module's own within float rounding (the
/// folded batch norm and the algorithms sum in other orders; tests hold every zoo model within
/// 1e-4 relative).
///
/// Staleness: the prepared model records the version (Storage::version) of every parameter and
/// buffer it was built from. When any has changed since (an optimizer step, load_state_dict,
/// io::load_weights, nn::init, batch norm's running statistics in training), the next call
/// rebuilds the prepared form first, so a prepared model never runs stale weights. Writes
/// through a raw data() pointer are not seen unless followed by Tensor::mark_modified().
///
/// A prepared model runs one call at a time (its arena is shared between calls); prepare one
/// per thread to run several at once. It keeps the module alive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

struct PrepareOptions {
  /// Time each convolution's candidate algorithms on its real shape when the shape is first
  /// prepared (a few runs of each; seconds for a large model). false takes the default rule
  /// instead (the choices of the unprepared kernels, kernels/cpu/conv2d_packed_algorithms.h),
  /// unless a choice for that shape was already made in this process.
  bool measure = true;
};

/// One step of a prepared model's plan, for reports.
struct PreparedStep {
  std::string op;    ///< ONNX op type; fused ones as "Conv+BatchNormalization+Relu"
  std::string name;  ///< the node's name
  /// the convolution algorithm ("winograd", "direct", ...), "linear" or "pool" for the other
  /// prepared steps, "" for a node run by its op
  std::string algorithm;
  Shape output_shape;  ///< in cnn's layout (NHWC for images)
  double flops = 0;    ///< convolutions and classifiers: 2 per multiply-add
  double seconds = 0;  ///< profile() only: the step's median time
};

class PreparedModel {
 public:
  struct Impl;
  explicit PreparedModel(std::unique_ptr<Impl> impl);
  ~PreparedModel();
  PreparedModel(const PreparedModel&) = delete;
  PreparedModel& operator=(const PreparedModel&) = delete;

  /// The forward pass on x (NHWC for images), in evaluation mode without gradients. An input
  /// shape not prepared before is prepared first (measuring, if the options say so).
  Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  /// Whether a parameter or buffer the prepared form was built from changed since; forward()
  /// rebuilds in that case, and so does refresh().
  bool stale() const;
  void refresh();

  /// The plan for `input_shape` (prepared first if it was not), step by step.
  std::vector<PreparedStep> steps(const Shape& input_shape);
  /// The plan for x's shape with each step's median time over `runs` forward passes of x.
  std::vector<PreparedStep> profile(const Tensor& x, int runs = 10);
  /// Bytes of the activation arena (the largest plan's) and of the packed weights.
  int64_t arena_bytes() const;
  int64_t packed_bytes() const;
  /// How many times the prepared form was built (1 after prepare(), +1 per rebuild).
  int64_t builds() const;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Prepares `module` for inference on inputs of `input_shape` (cnn's layout, batch included).
/// Other shapes are prepared when first run. Raises cnn::Error when the module's forward pass
/// cannot be traced into a graph (an op with no ONNX form; the message names it).
std::shared_ptr<PreparedModel> prepare(std::shared_ptr<nn::Module> module, const Shape& input_shape,
                                       const PrepareOptions& options = {});

}  // namespace cnn
