// summarize(): one observed forward on a zero image, recording every leaf module's call.
#include "cnn/nn/summary.h"

#include "core/format.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/nn/conv.h"
#include "cnn/nn/formula.h"
#include "cnn/nn/linear.h"

namespace cnn::nn {
namespace {

using PathMap = std::unordered_map<const Module*, std::string>;

// Dotted path of every module of the tree; a module registered twice keeps its first path,
// as named_parameters() keeps a shared tensor's first name.
void collect_paths(const Module& module, const std::string& path, PathMap& paths) {
  if (!paths.emplace(&module, path).second) return;
  for (const auto& [name, child] : module.named_children())
    collect_paths(*child, path.empty() ? name : path + "." + name, paths);
}

// Puts the tree in evaluation mode and gives every module its own mode back when it dies.
// The modes are kept in pre-order: applying train(mode) in that order restores a tree whose
// modules had different modes, since each call overrides its own subtree only.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& model) {
    collect(model);
    model.eval();
  }
  ~EvalModeGuard() {
    for (const auto& [module, training] : modes_) module->train(training);
  }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  void collect(Module& module) {
    modes_.emplace_back(&module, module.is_training());
    for (const auto& [name, child] : module.named_children()) collect(*child);
  }
  std::vector<std::pair<Module*, bool>> modes_;
};

class LeafRecorder final : public ForwardObserver {
 public:
  explicit LeafRecorder(const PathMap& paths) : paths_(paths) {}

  void after_forward(const Module& module, const Tensor& input, const Tensor& output) override {
    if (!module.named_children().empty()) return;  // a composite: its leaves tell its work
    LayerSummary layer;
    const auto path = paths_.find(&module);
    const bool registered = path != paths_.end();
    layer.name = !registered            ? "(unregistered)"
                 : path->second.empty() ? module.type()  // the model itself is a leaf
                                        : path->second;
    layer.type = module.type();
    layer.description = module.name();
    const Shape& shape = output.shape();
    layer.output_shape = shape.empty() ? shape : Shape(shape.begin() + 1, shape.end());
    // A module called twice holds its parameters once; its work is done twice. An unregistered
    // module's parameters are not the model's (not in parameters() nor in state_dict()).
    if (registered && counted_.insert(&module).second) layer.parameters = module.parameter_count();
    layer.macs = multiply_adds(module, output, input);
    layers.push_back(std::move(layer));
  }

  std::vector<LayerSummary> layers;

 private:
  const PathMap& paths_;
  std::unordered_set<const Module*> counted_;
};

std::string join_x(const Shape& shape) {
  std::string out;
  for (int64_t extent : shape) out.append(out.empty() ? "" : "x").append(std::to_string(extent));
  return out;
}

}  // namespace

int64_t multiply_adds(const Module& module, const Tensor& output, const Tensor& input) {
  // Output elements per item of the batch: OH * OW * O for a convolution, `out` for a Linear.
  const int64_t batch = output.dim() > 0 ? output.size(0) : 1;
  const int64_t per_item = batch > 0 ? output.numel() / batch : 0;
  if (const auto* conv = dynamic_cast<const Conv2d*>(&module)) {
    const Shape& w = conv->weight().shape();  // [KH, KW, C / groups, O]
    return per_item * w[0] * w[1] * w[2];
  }
  if (const auto* linear = dynamic_cast<const Linear*>(&module))
    return per_item * linear->in_features();
  if (const auto* formula = dynamic_cast<const Formula*>(&module))
    return batch > 0 && input.defined()
               ? static_cast<int64_t>(formula->multiply_adds(input.shape())) / batch
               : 0;
  return 0;
}

ModelSummary summarize(Module& model, const Shape& input) {
  CNN_CHECK(
      !input.empty() && std::all_of(input.begin(), input.end(), [](int64_t e) { return e > 0; }),
      "summarize: the input shape of one image must have positive extents, got ", to_string(input));
  Shape batch_of_one{1};
  batch_of_one.insert(batch_of_one.end(), input.begin(), input.end());

  PathMap paths;
  collect_paths(model, "", paths);
  LeafRecorder recorder(paths);
  {
    // Evaluation mode: batch norm must not fold this zero image into its running statistics.
    EvalModeGuard eval_mode(model);
    NoGradGuard no_grad;
    ObserveForwards observe(recorder);
    model(Tensor::zeros(batch_of_one));
  }

  ModelSummary summary;
  summary.model = model.type();
  summary.input = input;
  summary.parameters = model.parameter_count();
  summary.layers = std::move(recorder.layers);
  for (const LayerSummary& layer : summary.layers) summary.macs += layer.macs;
  return summary;
}

std::string format_table(const ModelSummary& summary) {
  struct Row {
    std::string cells[5];
  };
  std::vector<Row> rows;
  rows.push_back({{"Layer", "Type", "Output shape", "Parameters", "MACs"}});
  int64_t layer_parameters = 0;
  for (const LayerSummary& layer : summary.layers) {
    rows.push_back(
        {{layer.name, layer.type, to_string(layer.output_shape),
          detail::with_thousands(layer.parameters), detail::with_thousands(layer.macs)}});
    layer_parameters += layer.parameters;
  }
  const Row total{{"Total", "", "", detail::with_thousands(summary.parameters),
                   detail::with_thousands(summary.macs)}};
  size_t width[5] = {};
  auto widen = [&](const Row& row) {
    for (size_t c = 0; c < 5; ++c) width[c] = std::max(width[c], row.cells[c].size());
  };
  for (const Row& row : rows) widen(row);
  widen(total);

  std::ostringstream out;
  auto print = [&](const Row& row) {
    std::string line;
    for (size_t c = 0; c < 5; ++c) {
      const std::string& cell = row.cells[c];
      const std::string pad(width[c] - cell.size(), ' ');
      line += (c == 0 ? "" : "  ") + (c < 3 ? cell + pad : pad + cell);  // numbers align right
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  size_t rule_width = 8;
  for (size_t w : width) rule_width += w;
  const std::string rule(rule_width, '-');

  out << "Model " << summary.model << ", input " << join_x(summary.input)
      << " (one image; shapes leave out the batch dimension)\n";
  print(rows.front());
  out << rule << '\n';
  for (size_t i = 1; i < rows.size(); ++i) print(rows[i]);
  out << rule << '\n';
  print(total);
  if (layer_parameters != summary.parameters)
    out << "The listed layers hold " << detail::with_thousands(layer_parameters)
        << " parameters; the total counts each of the model's parameters once, with those of\n"
           "composite modules and of layers the forward did not call.\n";
  out << "MACs: multiply-adds per image of convolutions and fully connected layers;\n"
         "batch norm, activations, pooling and additions are not counted.\n";
  return out.str();
}

std::string format_json(const ModelSummary& summary) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerSummary& layer : summary.layers) {
    layers.push_back({{"name", layer.name},
                      {"type", layer.type},
                      {"description", layer.description},
                      {"output_shape", layer.output_shape},
                      {"parameters", layer.parameters},
                      {"macs", layer.macs}});
  }
  const nlohmann::ordered_json out = {{"model", summary.model},
                                      {"input", summary.input},
                                      {"parameters", summary.parameters},
                                      {"macs", summary.macs},
                                      {"layers", std::move(layers)}};
  return out.dump(2) + "\n";
}

}  // namespace cnn::nn
