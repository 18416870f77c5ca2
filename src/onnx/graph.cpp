// Building the graph from a checked ModelProto: every name resolved to a slot, every node to
// an op of the table, every initializer classified (parameter, buffer or constant) and given
// the layout its consumers read; then the load-time passes (onnx/optimize.h).
#include "onnx/graph.h"

#include <algorithm>
#include <limits>
#include <new>
#include <set>
#include <unordered_map>

#include "cnn/error.h"
#include "onnx/defs/schema.h"
#include "onnx/optimize.h"
#include "onnx/tensor_proto.h"

namespace cnn::onnx {
namespace {

using Kind = Slot::Kind;

std::string node_label(const ::onnx::NodeProto& n, int index) {
  std::string label = n.op_type();
  label.append(" node '");
  if (n.name().empty())
    label.append("#").append(std::to_string(index));
  else
    label.append(n.name());
  label.append("'");
  return label;
}

ValueInfo value_info(const ::onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  const auto& t = v.type().tensor_type();
  info.elem_type = elem_type_name(t.elem_type());
  if (t.has_shape()) {
    for (const auto& d : t.shape().dim()) {
      info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
      info.dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
    }
  }
  return info;
}

bool has_full_shape(const ::onnx::ValueInfoProto& v) {
  return v.type().has_tensor_type() && v.type().tensor_type().has_shape();
}

// The layout input `i` of node `n` wants an initializer of `rank` in: convolution weights HWIO
// (OIHW permuted), the weight of a Gemm with transB = 0 transposed to Linear's [out, in]; else
// ONNX's order. An initializer is stored in the layout all its consumers want, if they agree.
Perm wanted_perm(const Node& n, size_t i, int64_t rank) {
  if ((n.op == "Conv" || n.op == "ConvTranspose") && i == 1 && rank == 4) return {2, 3, 1, 0};
  if (n.op == "Gemm" && i == 1 && rank == 2 && n.attrs.i("transB", 0) == 0) return {1, 0};
  return {};
}

}  // namespace

void check_node(const ::onnx::NodeProto& proto, int index, int64_t opset,
                const std::string& where) {
  const std::string& op = proto.op_type();
  const std::string label = node_label(proto, index);
  CNN_CHECK(proto.domain().empty() || proto.domain() == "ai.onnx", where, ": ", label,
            " is in domain '", proto.domain(), "'; only the default ONNX domain is supported");
  const OpDef* def = find_op(op);
  if (def == nullptr) {
    std::string list;
    for (const auto& name : op_names()) list.append(list.empty() ? "" : ", ").append(name);
    fail(where, ": unsupported op ", op, " (opset ", opset, ") in ", label,
         ". Supported ops: ", list);
  }
  CNN_CHECK(opset >= def->min_opset, where, ": ", label, " is ", op, " of opset ", opset,
            "; the importer runs ", op, " from opset ", def->min_opset,
            " on (its meaning changed there)");
  // The inputs and outputs ONNX's schema allows, so that no op reads an input the node does
  // not have (the checker checks this too, but may be switched off).
  const ::onnx::OpSchema* schema =
      ::onnx::OpSchemaRegistry::Schema(op, static_cast<int>(opset), "");
  CNN_CHECK(schema != nullptr, where, ": ", label, ": ONNX defines no ", op, " at opset ", opset);
  const auto count_check = [&](const char* what, int have, int min, int max) {
    std::string allowed = std::to_string(min);
    if (max == std::numeric_limits<int>::max())
      allowed.append(" or more");
    else if (max != min)
      allowed.append(" to ").append(std::to_string(max));
    CNN_CHECK(have >= min && have <= max, where, ": ", label, " has ", have, " ", what, "; ", op,
              " takes ", allowed);
  };
  count_check("inputs", proto.input_size(), schema->min_input(), schema->max_input());
  count_check("outputs", proto.output_size(), schema->min_output(), schema->max_output());
  for (int i = 0; i < proto.input_size(); ++i) {
    const auto& formal =
        schema->inputs()[std::min<size_t>(static_cast<size_t>(i), schema->inputs().size() - 1)];
    CNN_CHECK(!proto.input(i).empty() || formal.GetOption() == ::onnx::OpSchema::Optional, where,
              ": ", label, " omits input ", i, " ('", formal.GetName(), "'), which ", op,
              " requires");
  }
}

std::shared_ptr<Graph> Graph::build(const ::onnx::ModelProto& model, const std::string& dir,
                                    const std::string& file, const LoadOptions& options) {
  auto g = std::make_shared<Graph>();
  g->file = file;
  g->producer = model.producer_name() +
                (model.producer_version().empty() ? "" : " " + model.producer_version());
  g->opset = 0;
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g->opset = op.version();
  const auto& graph = model.graph();
  const std::string where = "onnx: '" + file + "'";
  for (const auto& entry : model.metadata_props()) g->metadata[entry.key()] = entry.value();

  std::unordered_map<std::string, int> ids;
  const auto add_slot = [&](const std::string& name, Kind kind, const std::string& what) {
    CNN_CHECK(!name.empty(), where, ": ", what, " has an empty name");
    CNN_CHECK(ids.emplace(name, static_cast<int>(g->slots.size())).second, where, ": ", what, " '",
              name, "' is defined twice");
    Slot s;
    s.name = name;
    s.kind = kind;
    g->slots.push_back(std::move(s));
    return static_cast<int>(g->slots.size()) - 1;
  };

  for (const auto& init : graph.initializer()) {
    const int id = add_slot(init.name(), Kind::constant, "initializer");
    g->slots[id].value =
        value_of(tensor_from_proto(init, dir, where + " initializer '" + init.name() + "'"));
    g->data_elements += g->slots[id].value.data.numel();
  }
  CNN_CHECK(graph.sparse_initializer_size() == 0, where, ": sparse initializers are not supported");
  for (const auto& in : graph.input()) {
    if (ids.count(in.name())) continue;  // IR < 4 lists initializers among the inputs
    const int id = add_slot(in.name(), Kind::input, "graph input");
    g->inputs.push_back(id);
    g->input_info.push_back(value_info(in));
    CNN_CHECK(in.type().has_tensor_type(), where, ": graph input '", in.name(),
              "' is not a tensor");
  }

  int index = 0;
  for (const auto& proto : graph.node()) {
    Node n;
    n.op = proto.op_type();
    n.name = proto.name();
    n.opset = g->opset;
    const std::string label = node_label(proto, index);
    check_node(proto, index++, g->opset, where);
    n.def = find_op(n.op);
    n.attrs = Attrs(proto, "onnx " + label);
    for (const auto& name : proto.input()) {
      if (name.empty()) {
        n.inputs.push_back(-1);
        continue;
      }
      const auto it = ids.find(name);
      CNN_CHECK(it != ids.end(), where, ": ", label, " reads '", name,
                "', which no earlier node, input or initializer defines (the graph is not in "
                "topological order, has a cycle, or names a missing value)");
      n.inputs.push_back(it->second);
    }
    for (const auto& name : proto.output())
      n.outputs.push_back(name.empty() ? -1 : add_slot(name, Kind::computed, label + " output"));
    g->nodes.push_back(std::move(n));
  }
  for (const auto& out : graph.output()) {
    const auto it = ids.find(out.name());
    CNN_CHECK(it != ids.end(), where, ": graph output '", out.name(), "' is never computed");
    g->outputs.push_back(it->second);
    g->output_info.push_back(value_info(out));
  }
  CNN_CHECK(!g->outputs.empty(), where, ": the graph has no outputs");

  // Shapes known at load, from declarations and shape inference.
  const auto note_shape = [&](const ::onnx::ValueInfoProto& v) {
    const auto it = ids.find(v.name());
    if (it == ids.end() || !has_full_shape(v)) return;
    Slot& s = g->slots[static_cast<size_t>(it->second)];
    s.known_shape.clear();
    for (const auto& d : v.type().tensor_type().shape().dim())
      s.known_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    s.shape_known = true;
  };
  for (const auto& v : graph.input()) note_shape(v);
  for (const auto& v : graph.value_info()) note_shape(v);
  for (const auto& v : graph.output()) note_shape(v);

  // Initializers: parameters where any consumer reads them as data, buffers where they are
  // running statistics, constants where they only configure ops. One pass over the nodes, so
  // that a file of many initializers and nodes does not take their product's time.
  std::vector<char> data(g->slots.size(), 0), buffer(g->slots.size(), 0);
  std::vector<std::set<Perm>> wanted(g->slots.size());
  for (const Node& n : g->nodes)
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] < 0) continue;
      const auto id = static_cast<size_t>(n.inputs[i]);
      const Slot& s = g->slots[id];
      if (s.kind != Kind::constant || s.value.data.dtype() != DType::f32) continue;
      const uint32_t bit = i < 32 ? (1u << i) : 0u;
      if (n.def->buffer_slots & bit)
        buffer[id] = 1;
      else if (!(n.def->config_slots & bit))
        data[id] = 1;
      wanted[id].insert(wanted_perm(n, i, s.value.rank()));
    }
  for (size_t id = 0; id < g->slots.size(); ++id) {
    Slot& s = g->slots[id];
    if (s.kind != Kind::constant || s.value.data.dtype() != DType::f32) continue;
    if (data[id])
      s.kind = Kind::parameter;
    else if (buffer[id])
      s.kind = Kind::buffer;
    if (s.kind == Kind::parameter && wanted[id].size() == 1 && !wanted[id].begin()->empty()) {
      const Perm perm = *wanted[id].begin();
      s.value = value_of(stored_as(s.value, perm), perm);
    }
  }

  optimize(*g, options);
  g->finish_plans();
  return g;
}

void Graph::finish_plans() {
  const auto last_uses = [&](const std::vector<Node>& plan) {
    std::vector<int> last(slots.size(), -1);
    for (size_t i = 0; i < plan.size(); ++i)
      for (int id : plan[i].inputs)
        if (id >= 0) last[static_cast<size_t>(id)] = static_cast<int>(i);
    for (int id : outputs) last[static_cast<size_t>(id)] = static_cast<int>(plan.size());
    return last;
  };
  last_use_training_ = last_uses(nodes);
  last_use_inference_ = last_uses(inference);
}

std::vector<Value> Graph::run(std::vector<Value> in, bool use_inference, RunContext& context,
                              const NodeObserver& observe) const {
  CNN_CHECK(in.size() == inputs.size(), "onnx: the model takes ", inputs.size(), " input(s), got ",
            in.size());
  // what a node may create from sizes it reads is in proportion to the inputs and the model
  int64_t elements = data_elements;
  for (const Value& v : in) elements += v.defined() ? v.data.numel() : 0;
  context.max_elements =
      std::max(int64_t{1} << 24, elements > (int64_t{1} << 52) ? std::numeric_limits<int64_t>::max()
                                                               : elements * 1024);
  return use_inference ? execute(inference, last_use_inference_, std::move(in), context, observe)
                       : execute(nodes, last_use_training_, std::move(in), context, observe);
}

std::vector<Value> Graph::environment() const {
  std::vector<Value> env(slots.size());
  for (size_t id = 0; id < slots.size(); ++id)
    if (slots[id].kind != Slot::Kind::computed && slots[id].kind != Slot::Kind::input)
      env[id] = slots[id].value;
  return env;
}

std::vector<Value> run_node(const Node& n, const std::vector<Value>& args, RunContext& context) {
  try {
    return n.def->run(n, args, context);
  } catch (const Error& e) {
    const std::string what = e.what();
    // messages from our ops name the op; say which node of the graph it was
    if (what.rfind("onnx", 0) == 0) throw;
    fail(n.where(), ": ", what);
  } catch (const std::bad_alloc&) {
    fail(n.where(), ": out of memory");
  }
}

std::vector<Value> Graph::execute(const std::vector<Node>& plan, const std::vector<int>& last_use,
                                  std::vector<Value> in, RunContext& context,
                                  const NodeObserver& observe) const {
  std::vector<Value> env = environment();
  for (size_t i = 0; i < inputs.size(); ++i) env[static_cast<size_t>(inputs[i])] = std::move(in[i]);

  std::vector<Value> args;
  for (size_t step = 0; step < plan.size(); ++step) {
    const Node& n = plan[step];
    args.clear();
    for (int id : n.inputs) {
      // an optional output its producer did not compute (BatchNormalization's statistics)
      CNN_CHECK(id < 0 || env[static_cast<size_t>(id)].defined(), n.where(), ": input '",
                slots[static_cast<size_t>(id)].name, "' has no value");
      args.push_back(id >= 0 ? env[static_cast<size_t>(id)] : Value{});
    }
    std::vector<Value> results = run_node(n, args, context);
    if (observe) observe(n, results);
    for (size_t k = 0; k < n.outputs.size() && k < results.size(); ++k)
      if (n.outputs[k] >= 0) env[static_cast<size_t>(n.outputs[k])] = std::move(results[k]);
    for (int id : n.inputs)
      if (id >= 0 && last_use[static_cast<size_t>(id)] == static_cast<int>(step) &&
          slots[static_cast<size_t>(id)].kind == Slot::Kind::computed)
        env[static_cast<size_t>(id)] = Value{};
  }
  std::vector<Value> out;
  for (int id : outputs) {
    CNN_CHECK(env[static_cast<size_t>(id)].defined(), "onnx: graph output '",
              slots[static_cast<size_t>(id)].name, "' was not computed");
    out.push_back(env[static_cast<size_t>(id)]);
  }
  return out;
}

}  // namespace cnn::onnx
