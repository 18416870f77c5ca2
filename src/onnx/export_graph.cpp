#include "onnx/export_graph.h"

#include <algorithm>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "onnx/tensor_proto.h"

namespace cnn::onnx::exporter {
namespace {

std::string perm_key(const Perm& perm, int64_t rank) {
  std::string s = std::to_string(rank) + ":";
  for (int64_t p : perm) s.append(std::to_string(p)).append(",");
  return s;
}

// t's dimension k sits at axis perm[k] of the result.
Tensor to_onnx_order(const Tensor& t, const Perm& perm) {
  return t.detach().permute(inverse_perm(perm)).contiguous();
}

}  // namespace

NodeAttr attr_int(std::string name, int64_t v) {
  NodeAttr a;
  a.name = std::move(name);
  a.kind = NodeAttr::i;
  a.int_value = v;
  return a;
}
NodeAttr attr_float(std::string name, float v) {
  NodeAttr a;
  a.name = std::move(name);
  a.kind = NodeAttr::f;
  a.float_value = v;
  return a;
}
NodeAttr attr_ints(std::string name, std::vector<int64_t> v) {
  NodeAttr a;
  a.name = std::move(name);
  a.kind = NodeAttr::ints;
  a.ints_value = std::move(v);
  return a;
}
NodeAttr attr_string(std::string name, std::string v) {
  NodeAttr a;
  a.name = std::move(name);
  a.kind = NodeAttr::s;
  a.string_value = std::move(v);
  return a;
}

Perm channels_at_1(int64_t rank) {
  Perm p(static_cast<size_t>(rank));
  if (rank == 0) return p;
  p[0] = 0;
  for (int64_t k = 1; k + 1 < rank; ++k) p[static_cast<size_t>(k)] = k + 1;
  if (rank >= 2) p[static_cast<size_t>(rank - 1)] = 1;
  return p;
}

bool same_element_order(const Shape& shape, const Perm& perm) {
  int64_t last = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 1) continue;
    if (perm[k] < last) return false;
    last = perm[k];
  }
  return true;
}

GraphBuilder::GraphBuilder(const Trace& trace, const SaveOptions& options,
                           ::onnx::GraphProto& graph)
    : trace_(trace), options_(options), graph_(graph) {
  names_.insert(options.input_name);
  names_.insert(options.output_name);
}

std::string GraphBuilder::unique(const std::string& base) {
  std::string name = base.empty() ? std::string("value") : base;
  for (int n = 2; names_.count(name); ++n) name = base + "_" + std::to_string(n);
  names_.insert(name);
  return name;
}

std::string GraphBuilder::where() const {
  if (!in_op_) return "onnx export";
  const TracedOp& op = current();
  std::string s = "onnx export: op '" + op.call.op + "'";
  if (!op.module.empty()) s.append(" in module '").append(op.module).append("'");
  return s;
}

const Val& GraphBuilder::val(const Tensor& t) const {
  const auto it = vals_.find(t.impl().get());
  if (it == vals_.end()) fail("a tensor of shape ", to_string(t.shape()), " has no ONNX value");
  return it->second;
}

void GraphBuilder::bind(const Tensor& t, Val v) {
  if (v.perm.empty()) v.perm = identity_perm(t.dim());
  vals_[t.impl().get()] = std::move(v);
}

void GraphBuilder::alias(const Tensor& t, const Tensor& from) {
  CNN_CHECK(!is_const(from), where(), ": cannot alias a constant");
  vals_[t.impl().get()] = val(from);
}

std::string GraphBuilder::const_name(const Tensor& t) {
  const Origin& o = trace_.origin(t);
  if (o.kind == Origin::parameter) return o.key;
  auto it = const_bases_.find(t.impl().get());
  if (it == const_bases_.end())
    it = const_bases_.emplace(t.impl().get(), "const_" + std::to_string(const_count_++)).first;
  return it->second;
}

std::string GraphBuilder::initializer(const Tensor& data, const std::string& base) {
  std::string name = unique(base);
  tensor_to_proto(data.detach(), name, *graph_.add_initializer());
  return name;
}

std::string GraphBuilder::ints(const std::vector<int64_t>& values) {
  return initializer(Tensor::from_data_i64({static_cast<int64_t>(values.size())}, values),
                     "const_" + std::to_string(const_count_++));
}

std::string GraphBuilder::scalar(float value) {
  return initializer(Tensor::scalar(value), "const_" + std::to_string(const_count_++));
}

std::string GraphBuilder::floats(const std::vector<float>& values) {
  return initializer(Tensor::from_data({static_cast<int64_t>(values.size())}, values),
                     "const_" + std::to_string(const_count_++));
}

std::string GraphBuilder::in_layout(const Tensor& t, const Perm& perm) {
  CNN_CHECK(static_cast<int64_t>(perm.size()) == t.dim(), where(), ": layout of rank ", perm.size(),
            " asked for a tensor of shape ", to_string(t.shape()));
  const auto key = std::make_pair(t.impl().get(), perm_key(perm, t.dim()));
  if (is_const(t)) {
    const auto it = layouts_.find(key);
    if (it != layouts_.end()) return it->second;
    std::string name = initializer(to_onnx_order(t, perm), const_name(t));
    layouts_.emplace(key, name);
    return name;
  }
  const Val& v = val(t);
  if (!v.feature_order.empty())
    fail("a flattened map whose features are in ONNX's order can only feed a linear layer");
  if (v.perm == perm) return v.name;
  const auto it = layouts_.find(key);
  if (it != layouts_.end()) return it->second;
  // output axis j holds t's dimension k with perm[k] = j, which is input axis v.perm[k]
  const Perm inverse = inverse_perm(perm);
  std::vector<int64_t> order(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) order[j] = v.perm[static_cast<size_t>(inverse[j])];
  std::string name = transpose(v.name, order);
  layouts_.emplace(key, name);
  return name;
}

std::string GraphBuilder::in_layout_rank(const Tensor& t, const Perm& perm, int64_t rank) {
  const int64_t lead = rank - t.dim();
  if (lead <= 0) return in_layout(t, perm);
  Shape expanded(static_cast<size_t>(lead), 1);
  expanded.insert(expanded.end(), t.shape().begin(), t.shape().end());
  if (is_const(t)) {
    const auto key = std::make_pair(t.impl().get(), perm_key(perm, rank));
    const auto it = layouts_.find(key);
    if (it != layouts_.end()) return it->second;
    Tensor data = to_onnx_order(t.detach().reshape(expanded), perm);
    Shape trimmed = data.shape();
    while (!trimmed.empty() && trimmed.front() == 1) trimmed.erase(trimmed.begin());
    std::string name = initializer(data.reshape(trimmed), const_name(t));
    layouts_.emplace(key, name);
    return name;
  }
  // a traced operand of lower rank: Unsqueeze the leading axes, then transpose
  const Val& v = val(t);
  std::vector<int64_t> axes;
  Perm vperm;
  for (int64_t k = 0; k < lead; ++k) axes.push_back(k), vperm.push_back(k);
  for (int64_t p : v.perm) vperm.push_back(p + lead);
  std::string name = unsqueeze(v.name, axes);
  if (vperm == perm) return name;
  const Perm inverse = inverse_perm(perm);
  std::vector<int64_t> order(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) order[j] = vperm[static_cast<size_t>(inverse[j])];
  return transpose(name, order);
}

std::string GraphBuilder::node_base() {
  const TracedOp& op = current();
  if (base_.empty()) {
    base_ = op.module.empty() ? "op_" + std::to_string(anonymous_ops_++) : op.module;
  }
  return base_;
}

std::vector<std::string> GraphBuilder::node(const std::string& op_type,
                                            const std::vector<std::string>& inputs,
                                            const std::vector<NodeAttr>& attrs, size_t outputs) {
  const std::string base = in_op_ ? node_base() : std::string("graph");
  const bool plain =
      in_op_ && nodes_of_current_ == 0 && (current().leaf || current().module.empty());
  std::string name = unique(plain ? base : base + "/" + op_type);
  ++nodes_of_current_;
  ::onnx::NodeProto& n = *graph_.add_node();
  n.set_name(name);
  n.set_op_type(op_type);
  for (const std::string& in : inputs) n.add_input(in);
  std::vector<std::string> outs;
  for (size_t k = 0; k < outputs; ++k) {
    outs.push_back(k == 0 ? name : unique(name + ":" + std::to_string(k)));
    n.add_output(outs.back());
  }
  for (const NodeAttr& a : attrs) {
    ::onnx::AttributeProto& p = *n.add_attribute();
    p.set_name(a.name);
    switch (a.kind) {
      case NodeAttr::i:
        p.set_type(::onnx::AttributeProto::INT);
        p.set_i(a.int_value);
        break;
      case NodeAttr::f:
        p.set_type(::onnx::AttributeProto::FLOAT);
        p.set_f(a.float_value);
        break;
      case NodeAttr::ints:
        p.set_type(::onnx::AttributeProto::INTS);
        for (int64_t v : a.ints_value) p.add_ints(v);
        break;
      case NodeAttr::s:
        p.set_type(::onnx::AttributeProto::STRING);
        p.set_s(a.string_value);
        break;
    }
  }
  return outs;
}

std::string GraphBuilder::unsqueeze(const std::string& x, const std::vector<int64_t>& axes) {
  if (opset() >= 13) return node1("Unsqueeze", {x, ints(axes)});
  return node1("Unsqueeze", {x}, {attr_ints("axes", axes)});
}

std::string GraphBuilder::transpose(const std::string& x, const std::vector<int64_t>& perm) {
  return node1("Transpose", {x}, {attr_ints("perm", perm)});
}

void GraphBuilder::plan_bn_folds() {
  if (!options_.fold_batch_norm) return;
  for (size_t i = 0; i < trace_.ops.size(); ++i) {
    const trace::OpCall& bn = trace_.ops[i].call;
    if (!trace_.live[i] || bn.op != "batch_norm" || bn.int_attr("training") != 0) continue;
    const Tensor& x = bn.inputs[0];
    const Origin& o = trace_.origin(x);
    if (o.kind != Origin::op || trace_.ops[o.op_index].call.op != "conv2d") continue;
    const trace::OpCall& conv = trace_.ops[o.op_index].call;
    if (trace_.uses_of(x).size() != 1) continue;  // another op (or the output) reads the conv
    bool constant =
        is_const(conv.inputs[1]) && (!conv.inputs[2].defined() || is_const(conv.inputs[2]));
    for (size_t k = 1; k < bn.inputs.size(); ++k)
      constant = constant && (!bn.inputs[k].defined() || is_const(bn.inputs[k]));
    if (!constant) continue;
    bn_folds[o.op_index] = i;
    folded_bns.insert(i);
  }
}

void GraphBuilder::declare_input() {
  const Tensor& x = trace_.input;
  const Perm perm = x.dim() == 4 && options_.nchw_interface ? kNCHW : identity_perm(x.dim());
  ::onnx::ValueInfoProto& in = *graph_.add_input();
  in.set_name(options_.input_name);
  auto* type = in.mutable_type()->mutable_tensor_type();
  type->set_elem_type(::onnx::TensorProto::FLOAT);
  const Perm inverse = inverse_perm(perm);
  for (size_t j = 0; j < perm.size(); ++j) {
    auto* dim = type->mutable_shape()->add_dim();
    const int64_t k = inverse[j];
    if (k == 0 && options_.dynamic_batch)
      dim->set_dim_param("batch");
    else
      dim->set_dim_value(x.size(k));
  }
  bind(x, Val{options_.input_name, perm, x.dim() >= 1 ? 0 : -1, {}});
}

void GraphBuilder::declare_output() {
  const Tensor& y = trace_.output;
  const Perm perm = y.dim() == 4 && options_.nchw_interface ? kNCHW : identity_perm(y.dim());
  std::string name = in_layout(y, perm);
  bool produced = false;
  for (const auto& n : graph_.node())
    for (const auto& o : n.output()) produced = produced || o == name;
  if (produced) {  // rename the value everywhere
    for (auto& n : *graph_.mutable_node()) {
      for (auto& in : *n.mutable_input())
        if (in == name) in = options_.output_name;
      for (auto& o : *n.mutable_output())
        if (o == name) o = options_.output_name;
    }
  } else {  // the input or a constant
    ::onnx::NodeProto& n = *graph_.add_node();
    n.set_name(unique("output_identity"));
    n.set_op_type("Identity");
    n.add_input(name);
    n.add_output(options_.output_name);
  }
  const int64_t batch = is_const(y) ? -1 : val(y).batch;
  ::onnx::ValueInfoProto& out = *graph_.add_output();
  out.set_name(options_.output_name);
  auto* type = out.mutable_type()->mutable_tensor_type();
  type->set_elem_type(y.dtype() == DType::i64 ? ::onnx::TensorProto::INT64
                                              : ::onnx::TensorProto::FLOAT);
  const Perm inverse = inverse_perm(perm);
  for (size_t j = 0; j < perm.size(); ++j) {
    auto* dim = type->mutable_shape()->add_dim();
    const int64_t k = inverse[j];
    if (k == batch && options_.dynamic_batch)
      dim->set_dim_param("batch");
    else
      dim->set_dim_value(y.size(k));
  }
}

void GraphBuilder::build() {
  NoGradGuard no_grad;
  declare_input();
  plan_bn_folds();
  for (size_t i = 0; i < trace_.ops.size(); ++i) {
    if (!trace_.live[i]) continue;
    current_ = i;
    in_op_ = true;
    nodes_of_current_ = 0;
    base_.clear();
    const trace::OpCall& call = trace_.ops[i].call;
    const Translate translate = find_translation(call.op);
    if (translate == nullptr) fail("no ONNX translation for this op");
    try {
      translate(*this, call);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.rfind("onnx export:", 0) == 0) throw;
      fail(message);
    }
    for (const Tensor& out : call.outputs)
      if (out.defined() && !vals_.count(out.impl().get()))
        fail("the translation left an output without a value");
  }
  in_op_ = false;
  declare_output();
}

Translate find_translation(const std::string& op) {
  static const std::map<std::string, Translate> table = [] {
    std::map<std::string, Translate> t;
    add_nn_translations(t);
    add_shape_translations(t);
    return t;
  }();
  const auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace cnn::onnx::exporter
