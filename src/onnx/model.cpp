#include <cmath>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"
#include "core/input_file.h"
#include "onnx/graph.h"
#include "onnx/model_file.h"
#include "onnx/tensor_proto.h"

namespace cnn::onnx {
namespace {

// A TensorProto file is one protobuf message, which protobuf limits to 2 GiB.
constexpr uint64_t kMaxTensorFileBytes = uint64_t{1} << 31;

// A level of the module tree the initializers' dotted names spell out (`layer1.0.conv1`), so
// that state_dict keys are the file's names.
// Names are looked up in sets rather than in the module's lists, so that registering a file's
// initializers takes time in proportion to their number, not its square.
class Scope : public nn::Module {
 public:
  Scope() : nn::Module("Scope") {}
  Tensor add_parameter(const std::string& name, Tensor t) {
    tensors_.insert(name);
    return register_parameter(name, std::move(t));
  }
  Tensor add_buffer(const std::string& name, Tensor t) {
    tensors_.insert(name);
    return register_buffer(name, std::move(t));
  }
  std::shared_ptr<Scope> scope(const std::string& name) {
    auto& child = scopes_[name];
    if (!child) child = register_module(name, std::make_shared<Scope>());
    return child;
  }
  bool is_tensor(const std::string& name) const { return tensors_.count(name) != 0; }
  bool has_entry(const std::string& name) const {
    return is_tensor(name) || scopes_.count(name) != 0;
  }

 private:
  std::unordered_set<std::string> tensors_;
  std::unordered_map<std::string, std::shared_ptr<Scope>> scopes_;
};

std::vector<std::string> split_name(const std::string& name) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(name);
  while (std::getline(in, part, '.')) parts.push_back(part);
  if (!name.empty() && name.back() == '.') parts.push_back("");
  return parts;
}

}  // namespace

Model::Model(std::shared_ptr<Graph> graph, const LoadOptions& options)
    : nn::Module("ONNX"), graph_(std::move(graph)), options_(options) {
  register_state();
}

Model::~Model() = default;

// Parameters and buffers under their file names: `a.b.c` as `c` of child `b` of child `a`
// where every part is a usable name and nothing else is registered there; otherwise at the
// top with the dots replaced by '_'.
void Model::register_state() {
  // the top level is this Model itself; a Scope child stands for it so that one code path serves
  auto root = std::make_shared<Scope>();
  std::vector<std::pair<std::string, std::shared_ptr<Scope>>> tops;
  for (Slot& s : graph_->slots) {
    if (s.kind != Slot::Kind::parameter && s.kind != Slot::Kind::buffer) continue;
    std::vector<std::string> parts = split_name(s.name);
    bool usable = !parts.empty();
    for (const auto& p : parts) usable = usable && !p.empty();
    std::shared_ptr<Scope> at = root;
    if (usable) {
      for (size_t i = 0; i + 1 < parts.size() && usable; ++i) {
        // a name already used by a tensor at this level cannot also be a child
        if (at->is_tensor(parts[i]))
          usable = false;
        else
          at = at->scope(parts[i]);
      }
      usable = usable && !at->has_entry(parts.back());
    }
    std::string leaf = usable ? parts.back() : s.name;
    if (!usable) {
      at = root;
      for (char& c : leaf)
        if (c == '.') c = '_';
      while (leaf.empty() || root->has_entry(leaf)) leaf += "_";
    }
    if (s.kind == Slot::Kind::parameter)
      at->add_parameter(leaf, s.value.data);
    else
      at->add_buffer(leaf, s.value.data);
  }
  // move the root's entries onto this module
  for (const auto& [n, t] : root->named_parameters(false)) register_parameter(n, t);
  for (const auto& [n, t] : root->named_buffers(false)) register_buffer(n, t);
  for (const auto& [n, m] : root->named_children()) register_module(n, m);
}

const std::vector<ValueInfo>& Model::inputs() const {
  return graph_->input_info;
}
const std::vector<ValueInfo>& Model::outputs() const {
  return graph_->output_info;
}
int64_t Model::opset() const {
  return graph_->opset;
}
const std::map<std::string, std::string>& Model::metadata() const {
  return graph_->metadata;
}

std::string Model::name() const {
  std::string file = graph_->file;
  const size_t slash = file.find_last_of('/');
  if (slash != std::string::npos) file = file.substr(slash + 1);
  return "ONNX(" + file + ": " + std::to_string(graph_->nodes.size()) + " nodes, opset " +
         std::to_string(graph_->opset) +
         (graph_->producer.empty() ? "" : ", producer " + graph_->producer) + ")";
}

std::vector<std::string> Model::plan(bool inference) const {
  std::vector<std::string> lines;
  for (const Node& n : inference ? graph_->inference : graph_->nodes) {
    std::string op = n.op;
    for (const auto& a : n.fusion.absorbed) op += "+" + a;
    lines.push_back(op + " " + n.name);
  }
  return lines;
}

std::vector<Model::NodeRun> Model::run_nodes(const std::vector<Tensor>& inputs) {
  const bool was_training = is_training();
  eval();
  NoGradGuard no_grad;
  std::vector<NodeRun> runs;
  std::vector<bool> counted(graph_->slots.size(), false);
  observer_ = [&](const Node& n, const std::vector<Value>& out) {
    NodeRun r;
    r.op = n.op;
    for (const auto& a : n.fusion.absorbed) r.op.append("+").append(a);
    r.name = n.name;
    for (const Value& v : out) r.output_shapes.push_back(v.defined() ? v.logical_shape() : Shape{});
    for (int id : n.inputs) {
      if (id < 0 || graph_->slots[static_cast<size_t>(id)].kind != Slot::Kind::parameter) continue;
      if (!counted[static_cast<size_t>(id)])
        r.parameters += graph_->slots[static_cast<size_t>(id)].value.data.numel();
      counted[static_cast<size_t>(id)] = true;
    }
    // per item of the batch: weight uses
    const Slot* w = n.inputs.size() > 1 && n.inputs[1] >= 0
                        ? &graph_->slots[static_cast<size_t>(n.inputs[1])]
                        : nullptr;
    if (!out.empty() && out[0].defined() && out[0].rank() >= 1 && w != nullptr &&
        w->value.defined()) {
      const Shape ys = out[0].logical_shape();
      const int64_t batch = std::max<int64_t>(ys[0], 1);
      if (n.op == "Conv" || n.op == "ConvTranspose") {
        int64_t spatial = 1;
        for (size_t d = 2; d < ys.size(); ++d) spatial *= ys[d];
        r.macs = n.op == "Conv" ? spatial * w->value.data.numel()
                                : w->value.data.numel() * (checked_numel(ys) / batch) /
                                      std::max<int64_t>(ys[1], 1);
      } else if (n.op == "Gemm" || n.op == "MatMul") {
        r.macs =
            w->value.data.numel() * (checked_numel(ys) / batch) / std::max<int64_t>(ys.back(), 1);
      }
    }
    runs.push_back(std::move(r));
  };
  try {
    run(inputs);
  } catch (...) {
    observer_ = nullptr;
    train(was_training);
    throw;
  }
  observer_ = nullptr;
  train(was_training);
  return runs;
}

std::vector<Tensor> Model::run(const std::vector<Tensor>& inputs) {
  const Graph& g = *graph_;
  CNN_CHECK(inputs.size() == g.inputs.size(), "onnx: ", name(), " takes ", g.inputs.size(),
            " input(s), got ", inputs.size());
  std::vector<Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& info = g.input_info[i];
    const Tensor& x = inputs[i];
    CNN_CHECK(x.defined(), "onnx: input '", info.name, "' is undefined");
    const bool nhwc = options_.nhwc_interface && x.dim() == 4;
    Shape logical_shape = x.shape();
    if (nhwc) logical_shape = {x.size(0), x.size(3), x.size(1), x.size(2)};
    const auto shown = [&] {
      return to_string(x.shape()) +
             (nhwc ? " (NHWC; as ONNX's [N, C, H, W]: " + to_string(logical_shape) + ")" : "");
    };
    if (!info.shape.empty()) {
      CNN_CHECK(info.shape.size() == logical_shape.size(), "onnx: input '", info.name,
                "' must have rank ", info.shape.size(), " (declared ", to_string(info.shape),
                "), got shape ", shown());
      for (size_t d = 0; d < info.shape.size(); ++d)
        CNN_CHECK(info.shape[d] < 0 || info.shape[d] == logical_shape[d], "onnx: input '",
                  info.name, "' has extent ", logical_shape[d], " in dimension ", d,
                  " where the model declares ", info.shape[d], " (declared shape ",
                  to_string(info.shape), ", got ", shown(), ")");
    }
    const bool want_int =
        info.elem_type == "int64" || info.elem_type == "int32" || info.elem_type == "bool";
    CNN_CHECK((x.dtype() == DType::i64) == want_int, "onnx: input '", info.name, "' must be ",
              info.elem_type, ", got ", dtype_name(x.dtype()));
    values.push_back(nhwc ? value_of(x, {0, 2, 3, 1}) : value_of(x));
  }
  RunContext context{.training = is_training(), .generator = &generator_};
  // fused only where nothing records a graph, and not while a summary watches every node
  const bool inference = !is_training() && !autograd::grad_enabled() && !observer_;
  const std::vector<Value> out = g.run(std::move(values), inference, context, observer_);
  std::vector<Tensor> result;
  result.reserve(out.size());
  for (const Value& v : out)
    result.push_back(options_.nhwc_interface && v.rank() == 4 ? stored_as(v, {0, 2, 3, 1})
                                                              : logical(v));
  return result;
}

Tensor Model::forward(const Tensor& x) {
  CNN_CHECK(graph_->inputs.size() == 1, "onnx: ", name(), " takes ", graph_->inputs.size(),
            " inputs; call run() with all of them");
  std::vector<Tensor> out = run({x});
  return out[0];
}

std::shared_ptr<Model> load(const std::string& path, const LoadOptions& options) {
  const ::onnx::ModelProto proto =
      read_model(path, {.check = options.check, .max_file_bytes = options.max_file_bytes});
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  return std::make_shared<Model>(Graph::build(proto, dir, path, options), options);
}

std::vector<std::string> supported_ops() {
  return op_names();
}

Tensor read_tensor_file(const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = detail::read_whole_file(path, "a TensorProto file", kMaxTensorFileBytes,
                                    "protobuf's 2 GiB, kMaxTensorFileBytes");
  } catch (const Error& e) {
    fail("onnx: ", e.what());
  }
  ::onnx::TensorProto proto;
  CNN_CHECK(bytes.size() <= INT32_MAX &&
                proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())),
            "onnx: '", path, "' is not a serialized TensorProto");
  bytes = {};
  return tensor_from_proto(proto, "", "onnx: '" + path + "'");
}

}  // namespace cnn::onnx
