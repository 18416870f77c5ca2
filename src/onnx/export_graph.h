// The ONNX exporter's second step: the traced ops, translated one by one into ONNX nodes
// (export_ops_*.cpp), with the bookkeeping they share.
//
// Layouts. Each traced tensor t of rank r is held by an ONNX value v in some layout `perm`:
// t's dimension k is v's axis perm[k] (value.h's convention, the importer's). Rank-4
// activations are NCHW in ONNX (perm {0, 2, 3, 1}: t's rows, dim 1, are v's axis 2); a
// permute only changes the perm; an op that needs another layout asks for one (`in_layout`)
// and gets a Transpose, or, for a constant, an initializer in that layout.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cnn/onnx/export.h"
#include "onnx/export_trace.h"
#include "onnx/onnx_pb.h"
#include "onnx/value.h"

namespace cnn::onnx::exporter {

// An ONNX value standing for a traced tensor.
struct Val {
  std::string name;
  Perm perm;           // t's dimension k is the value's axis perm[k]
  int64_t batch = -1;  // t's dimension that carries the graph's batch, -1 when none
  // Set on the [N, F] output of a flatten whose features are in ONNX's order rather than
  // cnn's: feature j of the value is feature feature_order[j] of t. Only Linear reads such a
  // value, with its weight columns permuted to match.
  std::vector<int64_t> feature_order;
};

// One ONNX node attribute.
struct NodeAttr {
  std::string name;
  enum Kind { i, f, ints, s } kind = i;
  int64_t int_value = 0;
  float float_value = 0.0f;
  std::vector<int64_t> ints_value;
  std::string string_value;
};
NodeAttr attr_int(std::string name, int64_t v);
NodeAttr attr_float(std::string name, float v);
NodeAttr attr_ints(std::string name, std::vector<int64_t> v);
NodeAttr attr_string(std::string name, std::string v);

inline const Perm kNCHW = {0, 2, 3, 1};

class GraphBuilder {
 public:
  GraphBuilder(const Trace& trace, const SaveOptions& options, ::onnx::GraphProto& graph);

  // Emits every live op, declares the graph input and output.
  void build();

  // ---- for the op translations ----
  const SaveOptions& options() const { return options_; }
  int64_t opset() const { return options_.opset; }
  const Trace& trace() const { return trace_; }
  const TracedOp& current() const { return trace_.ops[current_]; }
  size_t current_index() const { return current_; }

  bool is_const(const Tensor& t) const { return trace_.is_const(t); }
  // The value of a traced (non-constant) tensor.
  const Val& val(const Tensor& t) const;
  void bind(const Tensor& t, Val v);
  // t is the same ONNX value as `from` (an op that moves no data).
  void alias(const Tensor& t, const Tensor& from);

  // t in layout `perm` (of t's rank): its value, a Transpose of it, or for a constant an
  // initializer holding it so. Padded with leading axes of extent 1 up to `rank` when given
  // (broadcasting operands; a constant's leading 1s are then dropped again).
  std::string in_layout(const Tensor& t, const Perm& perm);
  std::string in_layout_rank(const Tensor& t, const Perm& perm, int64_t rank);
  // An initializer holding `data` as it is (ONNX's layout), named `base` (made unique).
  std::string initializer(const Tensor& data, const std::string& base);
  // The base name for a constant derived from tensor t: its state_dict key, else const_<n>.
  std::string const_name(const Tensor& t);
  std::string ints(const std::vector<int64_t>& values);  // 1-D int64 initializer
  std::string scalar(float value);                       // 0-D float initializer
  std::string floats(const std::vector<float>& values);  // 1-D float initializer

  // Appends a node of the current op; returns its outputs' names.
  std::vector<std::string> node(const std::string& op_type, const std::vector<std::string>& inputs,
                                const std::vector<NodeAttr>& attrs = {}, size_t outputs = 1);
  std::string node1(const std::string& op_type, const std::vector<std::string>& inputs,
                    const std::vector<NodeAttr>& attrs = {}) {
    return node(op_type, inputs, attrs, 1)[0];
  }
  // Opset-dependent forms.
  std::string unsqueeze(const std::string& x, const std::vector<int64_t>& axes);
  std::string transpose(const std::string& x, const std::vector<int64_t>& perm);

  // Raises cnn::Error naming the current op and module.
  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    ::cnn::fail(where(), ": ", std::forward<Parts>(parts)...);
  }
  std::string where() const;

  // Batch norm folding, decided before emission: conv op index -> batch_norm op index.
  std::map<size_t, size_t> bn_folds;
  std::set<size_t> folded_bns;

 private:
  std::string unique(const std::string& base);
  std::string node_base();
  void plan_bn_folds();
  void declare_input();
  void declare_output();

  const Trace& trace_;
  const SaveOptions& options_;
  ::onnx::GraphProto& graph_;
  size_t current_ = 0;
  bool in_op_ = false;
  size_t nodes_of_current_ = 0;
  std::set<std::string> names_;
  std::unordered_map<const TensorImpl*, Val> vals_;
  // (tensor, layout) -> value name, for transposes and constant materializations
  std::map<std::pair<const TensorImpl*, std::string>, std::string> layouts_;
  std::unordered_map<const TensorImpl*, std::string> const_bases_;
  int64_t const_count_ = 0;
  int64_t anonymous_ops_ = 0;
  std::string base_;  // node name base of the current op
};

// The translation of one traced op into nodes; raises through GraphBuilder::fail.
using Translate = void (*)(GraphBuilder& b, const trace::OpCall& call);
// nullptr for an op with no translation.
Translate find_translation(const std::string& op);
void add_nn_translations(std::map<std::string, Translate>& table);     // export_ops_nn.cpp
void add_shape_translations(std::map<std::string, Translate>& table);  // export_ops_shape.cpp

// The layout with t's last dimension (channels) at ONNX axis 1: {0, 2, ..., r-1, 1}.
Perm channels_at_1(int64_t rank);
// Whether the value in layout perm holds t's elements in t's own order (the dimensions of
// extent > 1 keep their relative order), so a Reshape or Flatten of it equals t's.
bool same_element_order(const Shape& shape, const Perm& perm);

}  // namespace cnn::onnx::exporter
