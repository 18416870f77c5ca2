// The ONNX exporter's first step: run the module once under the op tracer and a forward
// observer, keeping each op call with the path of the module that ran it, then classify every
// tensor the ops touched (graph input, parameter, constant, op output) and find the ops the
// output depends on.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/trace.h"

namespace cnn::onnx::exporter {

struct TracedOp {
  trace::OpCall call;
  std::string module;  // the innermost module running ("layer1.0.conv1"), "" at the top
  bool leaf = false;   // that module has no children
};

// Where a tensor comes from.
struct Origin {
  enum Kind { input, parameter, constant, op } kind = constant;
  size_t op_index = 0;  // kind op: the producing op and which of its outputs
  size_t output_index = 0;
  std::string key;       // kind parameter: the state_dict key
  bool is_const = true;  // a parameter, a constant, or computed from constants only
};

// A use of a tensor by a live op (input_index of op op_index), or by the graph output
// (op_index == kGraphOutput).
struct Use {
  size_t op_index;
  size_t input_index;
};
inline constexpr size_t kGraphOutput = static_cast<size_t>(-1);

struct Trace {
  Tensor input, output;
  std::vector<TracedOp> ops;
  std::unordered_map<const TensorImpl*, Origin> origins;
  std::vector<bool> live;  // per op: computes something the output depends on
  std::unordered_map<const TensorImpl*, std::vector<Use>> uses;  // by live ops and the output

  const Origin& origin(const Tensor& t) const;
  bool is_const(const Tensor& t) const { return origin(t).is_const; }
  const std::vector<Use>& uses_of(const Tensor& t) const;
};

// Runs module(input) in evaluation mode with grad mode on (input requires grad, so that every
// tensor computed from it by an op that does not report itself carries a grad_fn and is caught)
// and analyses the calls. Restores the module's training flags and the grad mode. Raises
// cnn::Error naming the op when a tensor comes from a computation the tracer did not see.
Trace trace_forward(nn::Module& module, const Tensor& input);

}  // namespace cnn::onnx::exporter
