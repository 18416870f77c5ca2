/// \file
/// Define-by-run reverse-mode autograd.
///
/// Each differentiable op that sees an input requiring grad records a Node holding what its
/// backward needs (saved tensors are detached copies of the handles, so a node never keeps
/// its own output's graph alive). backward() runs the nodes in dependency order, sums the
/// gradients reaching each node, accumulates into leaves' .grad(), and releases each node's
/// saved tensors as soon as it has run unless retain_graph is set.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::autograd {

using TensorList = std::vector<Tensor>;

struct Edge {
  std::shared_ptr<Node> node;  ///< null: that input needs no gradient
  int input_nr = 0;            ///< which of node's outputs this edge feeds
};

class Node {
 public:
  virtual ~Node() = default;
  /// Gradients with respect to the inputs, one per next edge (undefined where not needed),
  /// given the gradients with respect to this node's outputs (undefined where none arrived).
  virtual TensorList apply(const TensorList& grad_outputs) = 0;
  virtual std::string name() const = 0;
  /// Frees saved tensors; a released node raises cnn::Error if applied again.
  virtual void release() {}

  std::vector<Edge> next_edges;
  /// Shapes of the outputs, used to make zero gradients for outputs no gradient reached.
  std::vector<Shape> output_shapes;
};

/// A node whose backward is a function: ops write forward and backward side by side.
class FunctionNode final : public Node {
 public:
  using Backward = std::function<TensorList(const TensorList& grad_outputs)>;
  FunctionNode(std::string name, Backward backward)
      : name_(std::move(name)), backward_(std::move(backward)) {}
  TensorList apply(const TensorList& grad_outputs) override;
  std::string name() const override { return name_; }
  void release() override { backward_ = nullptr; }

 private:
  std::string name_;
  Backward backward_;
};

/// Whether ops record the graph. Thread-local; on by default.
bool grad_enabled();
void set_grad_enabled(bool enabled);

class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly detection (thread-local, off by default): every op checks its outputs, and the
/// engine every gradient, for NaN or infinity, and raises cnn::Error naming the op where a
/// non-finite value first appeared. Costs a pass over each tensor; the trainer turns it on
/// only to re-run a step whose loss or gradients were not finite.
bool detect_anomaly();
void set_detect_anomaly(bool enabled);

class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(detect_anomaly()) { set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

/// A function backward calls each time it has added a gradient into a leaf's grad(): once per
/// use of the leaf in the graph, on the thread that runs backward. Data-parallel training
/// starts summing a bucket of gradients over processes as soon as its last one is final
/// (distributed::GradientReducer). Thread-local, off by default; the guard installs one for
/// its lifetime.
using LeafGradientHook = std::function<void(const Tensor& leaf)>;
const LeafGradientHook* leaf_gradient_hook();

class LeafGradientHookGuard {
 public:
  explicit LeafGradientHookGuard(const LeafGradientHook* hook);
  ~LeafGradientHookGuard();
  LeafGradientHookGuard(const LeafGradientHookGuard&) = delete;
  LeafGradientHookGuard& operator=(const LeafGradientHookGuard&) = delete;

 private:
  const LeafGradientHook* previous_;
};

/// True when every element of a float32 tensor is finite (i64 tensors are always finite).
bool all_finite(const Tensor& t);

/// True when grad mode is on and any input requires grad.
bool needs_grad(const TensorList& inputs);

/// Records `backward` as the grad_fn of `outputs`, with one edge per input. Does nothing when
/// no input requires grad or grad mode is off. The backward receives one gradient per output
/// (a zero tensor for outputs no gradient reached) and returns one per input (undefined where
/// that input needs none). Capture tensors in it through detach().
void record(const char* name, const TensorList& inputs, const TensorList& outputs,
            FunctionNode::Backward backward);

/// Runs back-propagation from `roots` seeded with `grads`.
void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph);

}  // namespace cnn::autograd

namespace cnn {
using autograd::NoGradGuard;
}
