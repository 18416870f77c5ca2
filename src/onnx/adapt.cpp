// Adapting an imported model to new data: another class count (a fresh classifier) or
// single-channel images (the first convolution summed over its input channels).
#include <cmath>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"
#include "cnn/ops/reduce.h"
#include "onnx/graph.h"

namespace cnn::onnx {

int64_t declared_classes(const Model& model) {
  const auto& outputs = model.outputs();
  if (outputs.empty() || outputs[0].shape.empty()) return -1;
  return outputs[0].shape.back();
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
    // Gemm weights are stored [N, K] whatever transB says; a MatMul's as in the file, [K, N]
    const bool rows_are_classes = n.op == "Gemm";
    const Shape old = w.value.data.shape();
    const int64_t k = rows_are_classes ? old[1] : old[0];
    const float bound = 1.0f / std::sqrt(static_cast<float>(k));
    w.value.data = Tensor::uniform(rows_are_classes ? Shape{classes, k} : Shape{k, classes}, -bound,
                                   bound, gen);
    if (n.op == "Gemm" && n.inputs.size() > 2 && n.inputs[2] >= 0) {
      Slot& b = g.slots[static_cast<size_t>(n.inputs[2])];
      if (b.kind == Slot::Kind::parameter && b.value.rank() == 1)
        b.value.data = Tensor::uniform({classes}, -bound, bound, gen);
    }
    for (Slot& s : g.slots)  // shapes downstream of the classifier are no longer known
      if (s.kind == Slot::Kind::computed) s.shape_known = false;
    for (ValueInfo& o : g.output_info)
      if (o.shape.size() == 2) o.shape[1] = classes;
    return std::make_shared<Model>(graph, model.options());
  }
  fail("onnx: ", model.name(),
       " has no Gemm or MatMul classifier with a trainable weight to replace");
}

std::shared_ptr<Model> with_input_channels(const Model& model, int64_t channels) {
  CNN_CHECK(channels == 1, "onnx: only single-channel adaptation is supported, got ", channels,
            " channels");
  auto graph = std::make_shared<Graph>(model.graph());
  Graph& g = *graph;
  CNN_CHECK(g.inputs.size() == 1, "onnx: ", model.name(), " has ", g.inputs.size(), " inputs");
  const int input = g.inputs[0];
  int convs = 0;
  for (const Node& n : g.nodes) {
    const bool reads_input = std::find(n.inputs.begin(), n.inputs.end(), input) != n.inputs.end();
    if (!reads_input) continue;
    CNN_CHECK(n.op == "Conv" && n.inputs[0] == input && n.attrs.i("group", 1) == 1,
              "onnx: ", model.name(), ": the input feeds ", n.where(),
              ", not a plain convolution, so its channels cannot be adapted");
    Slot& w = g.slots[static_cast<size_t>(n.inputs[1])];
    CNN_CHECK(w.kind == Slot::Kind::parameter && w.value.rank() == 4, "onnx: ", n.where(),
              ": the weight is not a parameter of rank 4");
    // stored HWIO (perm {2, 3, 1, 0}) or OIHW: sum over the input-channel dimension, kept
    const int64_t in_axis = w.value.stored_axis(1);
    NoGradGuard no_grad;
    w.value.data = sum(w.value.data, {in_axis}, true).contiguous();
    ++convs;
  }
  CNN_CHECK(convs > 0, "onnx: ", model.name(), ": no convolution reads the input");
  for (Slot& s : g.slots)
    if (s.kind == Slot::Kind::computed || s.kind == Slot::Kind::input) s.shape_known = false;
  if (!g.input_info.empty() && g.input_info[0].shape.size() == 4)
    g.input_info[0].shape[1] = channels;
  return std::make_shared<Model>(graph, model.options());
}

}  // namespace cnn::onnx
