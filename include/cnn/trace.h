/// \file
/// Op tracing: while a Tracer is installed on a thread, every differentiable op that can appear
/// in a model's forward pass reports each call to it - the op's name, its input and output
/// tensors and its attributes - after computing its result. The ONNX exporter
/// (cnn/onnx/export.h) builds its graph from these reports; anything else that wants to see
/// the ops a forward pass runs (counting, logging) can install its own Tracer.
///
/// ```
///   struct Count : trace::Tracer {
///     int ops = 0;
///     void record(trace::OpCall) override { ++ops; }
///   } count;
///   { trace::TraceOps guard(count); model(x); }
/// ```
///
/// An op reports itself once, in terms of its public arguments: an op built from other ops
/// reports only the ops it is built from (neg is affine(x, -1, 0), flatten a reshape, transpose
/// a permute, linear of a rank-3 input two reshapes around a rank-2 linear). Ops that return
/// their argument itself (dropout in evaluation, contiguous() of a dense tensor) report
/// nothing. The fused inference ops (conv2d_bn_act, conv2d_act) are not traced: models take
/// their unfused paths while grad mode is on and parameters require grad.
///
/// Off, a report costs one thread-local pointer test at the call site (CNN_TRACE).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::trace {

/// One attribute of an op call: an integer (also for flags), a real number, a list of integers
/// (a Size2 becomes {h, w}, a Pad2d {top, bottom, left, right}) or a string.
struct Attr {
  using Value = std::variant<int64_t, double, std::vector<int64_t>, std::string>;

  Attr(std::string n, int64_t v) : name(std::move(n)), value(v) {}
  Attr(std::string n, int v) : name(std::move(n)), value(int64_t{v}) {}
  Attr(std::string n, bool v) : name(std::move(n)), value(int64_t{v ? 1 : 0}) {}
  Attr(std::string n, double v) : name(std::move(n)), value(v) {}
  Attr(std::string n, float v) : name(std::move(n)), value(static_cast<double>(v)) {}
  Attr(std::string n, std::vector<int64_t> v) : name(std::move(n)), value(std::move(v)) {}
  Attr(std::string n, Size2 v) : name(std::move(n)), value(std::vector<int64_t>{v.h, v.w}) {}
  Attr(std::string n, Pad2d p)
      : name(std::move(n)), value(std::vector<int64_t>{p.top, p.bottom, p.left, p.right}) {}
  Attr(std::string n, std::string v) : name(std::move(n)), value(std::move(v)) {}
  Attr(std::string n, const char* v) : name(std::move(n)), value(std::string(v)) {}

  std::string name;
  Value value;
};

using Attrs = std::vector<Attr>;

/// One call of an op. Inputs are the tensors as the caller passed them, with optional ones
/// that were not given (a convolution without bias) left undefined.
struct OpCall {
  std::string op;  ///< "conv2d", "add", "reshape", ...
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  Attrs attrs;

  /// The attribute `name`; raises cnn::Error naming the op when absent or of another kind.
  int64_t int_attr(const std::string& name) const;
  double float_attr(const std::string& name) const;
  const std::vector<int64_t>& ints_attr(const std::string& name) const;
  const std::string& string_attr(const std::string& name) const;
  bool has_attr(const std::string& name) const;
};

class Tracer {
 public:
  virtual ~Tracer() = default;
  virtual void record(OpCall call) = 0;
};

/// Installs `tracer` for the ops run on this thread while the guard lives, and restores the
/// previously installed one (or none) when it dies; guards nest as NoGradGuard does.
class TraceOps {
 public:
  explicit TraceOps(Tracer& tracer);
  ~TraceOps();
  TraceOps(const TraceOps&) = delete;
  TraceOps& operator=(const TraceOps&) = delete;

 private:
  Tracer* previous_;
};

namespace detail {
extern thread_local constinit Tracer* current_tracer;
}

/// Whether a Tracer is installed on this thread.
inline bool tracing() {
  return detail::current_tracer != nullptr;
}

/// Reports one op call to the installed tracer (none installed: nothing happens). While the
/// tracer's record() runs, tracing is suspended, so the ops it runs are not reported.
void report(const char* op, std::vector<Tensor> inputs, std::vector<Tensor> outputs,
            Attrs attrs = {});

}  // namespace cnn::trace

/// The one line an op adds after computing its outputs; its arguments are built only while
/// tracing: CNN_TRACE("conv2d", {x, weight, bias}, {y}, {{"stride", options.stride}});
#define CNN_TRACE(...)                                              \
  do {                                                              \
    if (::cnn::trace::tracing()) ::cnn::trace::report(__VA_ARGS__); \
  } while (0)
