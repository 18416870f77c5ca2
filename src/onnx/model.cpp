#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"
#include "onnx/graph.h"
#include "onnx/model_file.h"
#include "onnx/tensor_proto.h"

namespace cnn::onnx {
namespace {

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
        else at = at->scope(parts[i]);
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
    if (s.kind == Slot::Kind::parameter) at->add_parameter(leaf, s.value.data);
    else at->add_buffer(leaf, s.value.data);
  }
  // move the root's entries onto this module
  for (const auto& [n, t] : root->named_parameters(false)) register_parameter(n, t);
  for (const auto& [n, t] : root->named_buffers(false)) register_buffer(n, t);
  for (const auto& [n, m] : root->named_children()) register_module(n, m);
}

const std::vector<ValueInfo>& Model::inputs() const { return graph_->input_info; }
const std::vector<ValueInfo>& Model::outputs() const { return graph_->output_info; }
int64_t Model::opset() const { return graph_->opset; }

std::string Model::name() const {
  std::string file = graph_->file;
  const size_t slash = file.find_last_of('/');
  if (slash != std::string::npos) file = file.substr(slash + 1);
  return "ONNX(" + file + ": " + std::to_string(graph_->nodes.size()) + " nodes, opset " +
         std::to_string(graph_->opset) + (graph_->producer.empty() ? "" : ", producer " + graph_->producer) + ")";
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
      return to_string(x.shape()) + (nhwc ? " (NHWC; as ONNX's [N, C, H, W]: " + to_string(logical_shape) + ")" : "");
    };
    if (!info.shape.empty()) {
      CNN_CHECK(info.shape.size() == logical_shape.size(), "onnx: input '", info.name, "' must have rank ",
                info.shape.size(), " (declared ", to_string(info.shape), "), got shape ", shown());
      for (size_t d = 0; d < info.shape.size(); ++d)
        CNN_CHECK(info.shape[d] < 0 || info.shape[d] == logical_shape[d], "onnx: input '", info.name,
                  "' has extent ", logical_shape[d], " in dimension ", d, " where the model declares ",
                  info.shape[d], " (declared shape ", to_string(info.shape), ", got ", shown(), ")");
    }
    const bool want_int = info.elem_type == "int64" || info.elem_type == "int32" || info.elem_type == "bool";
    CNN_CHECK((x.dtype() == DType::i64) == want_int, "onnx: input '", info.name, "' must be ", info.elem_type,
              ", got ", dtype_name(x.dtype()));
    values.push_back(nhwc ? value_of(x, {0, 2, 3, 1}) : value_of(x));
  }
  RunContext context{.training = is_training(), .generator = &generator_};
  const bool inference = !is_training() && !autograd::grad_enabled();
  const std::vector<Value> out = g.run(std::move(values), inference, context);
  std::vector<Tensor> result;
  for (const Value& v : out)
    result.push_back(options_.nhwc_interface && v.rank() == 4 ? stored_as(v, {0, 2, 3, 1}) : logical(v));
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

std::vector<std::string> supported_ops() { return op_names(); }

Tensor read_tensor_file(const std::string& path) {
  struct stat st {};
  CNN_CHECK(::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode), "onnx: '", path,
            "' is not a regular file");
  CNN_CHECK(st.st_size <= (int64_t{1} << 31), "onnx: '", path, "' is larger than 2 GiB");
  std::ifstream in(path, std::ios::binary);
  ::onnx::TensorProto proto;
  CNN_CHECK(in && proto.ParseFromIstream(&in), "onnx: '", path, "' is not a serialized TensorProto");
  return tensor_from_proto(proto, "", "onnx: '" + path + "'");
}

std::shared_ptr<Model> with_classes(const Model& model, int64_t classes, Generator& gen) {
  CNN_CHECK(classes >= 1, "onnx: the class count must be positive, got ", classes);
  auto graph = std::make_shared<Graph>(model.graph());
  Graph& g = *graph;
  // the last Gemm or MatMul whose weight is a parameter
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    if ((n.op != "Gemm" && n.op != "MatMul") || n.inputs.size() < 2 || n.inputs[1] < 0) continue;
    Slot& w = g.slots[static_cast<size_t>(n.inputs[1])];
    if (w.kind != Slot::Kind::parameter || w.value.rank() != 2) continue;
    // Gemm weights are stored [N, K] whatever transB says; a MatMul's is [K, N]
    const bool rows_are_classes = n.op == "Gemm" || !w.value.perm.empty();
    const Shape old = w.value.data.shape();
    const int64_t k = rows_are_classes ? old[1] : old[0];
    const float bound = 1.0f / std::sqrt(static_cast<float>(k));
    w.value.data = Tensor::uniform(rows_are_classes ? Shape{classes, k} : Shape{k, classes}, -bound, bound, gen);
    if (n.op == "Gemm" && n.inputs.size() > 2 && n.inputs[2] >= 0) {
      Slot& b = g.slots[static_cast<size_t>(n.inputs[2])];
      if (b.kind == Slot::Kind::parameter && b.value.rank() == 1)
        b.value.data = Tensor::uniform({classes}, -bound, bound, gen);
    }
    for (Slot& s : g.slots)  // shapes downstream of the classifier are no longer known
      if (s.kind == Slot::Kind::computed) s.shape_known = false;
    for (ValueInfo& o : g.output_info)
      if (o.shape.size() == 2) o.shape[1] = classes;
    // the inference plan reads the same slots
    return std::make_shared<Model>(graph, model.options());
  }
  fail("onnx: ", model.name(), " has no Gemm or MatMul classifier with a trainable weight to replace");
}

}  // namespace cnn::onnx
