/// \file
/// ONNX in: a model file becomes a module that runs its graph with cnn's ops and kernels.
///
/// ```
///   auto model = cnn::onnx::load("resnet18.onnx");
///   model->eval();
///   cnn::NoGradGuard no_grad;
///   Tensor logits = (*model)(images);      // images NHWC [N, H, W, C], as every cnn model takes
/// ```
///
/// The imported module is an ordinary nn::Module: its float initializers are its parameters
/// (named as in the file, so `layer1.0.conv1.weight` is a state_dict key), batch norm's running
/// statistics its buffers, train()/eval() switch BatchNormalization and Dropout, and gradients
/// flow through every op, so it can be fine-tuned. Inside, activations are NHWC and convolution
/// weights HWIO (converted once at load); docs/ONNX.md lists the ops and how layouts are kept.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/nn/module.h"
#include "cnn/onnx/export.h"  // cnn::onnx::save, the way out
#include "cnn/tensor.h"

namespace cnn::onnx {

struct LoadOptions {
  /// Rank-4 graph inputs and outputs are NHWC, cnn's layout (a model's declared [N, C, H, W]
  /// input is fed as [N, H, W, C]); false keeps ONNX's own layout at the interface.
  bool nhwc_interface = true;
  /// The graph optimizations made at load; each can be switched off for testing.
  bool fold_constants = true;     ///< nodes whose inputs are all constants run once, at load
  bool remove_identities = true;  ///< Identity, Dropout and no-op Cast become aliases
  bool fuse = true;               ///< Conv+BatchNormalization(+Add)(+Relu/Clip) in one kernel
  bool eliminate_dead_nodes = true;
  /// onnx::checker (full check) and ONNX shape inference on the model before anything else.
  bool check = true;
  /// Largest model file accepted, in bytes, at most protobuf's 2 GiB (larger models keep their
  /// tensors in external data files, which are bounded by their own size).
  int64_t max_file_bytes = (int64_t{1} << 31) - 1;
};

/// One declared graph input or output: its name, element type and ONNX shape, where a
/// dimension is a number, or -1 for a symbolic dimension (its name in `dim_names`).
struct ValueInfo {
  std::string name;
  std::string elem_type;  ///< "float", "int64", ...
  Shape shape;
  std::vector<std::string> dim_names;
};

class Graph;  // the imported graph (src/onnx/graph.h)
struct Node;
struct Value;

class Model : public nn::Module {
 public:
  Model(std::shared_ptr<Graph> graph, const LoadOptions& options);
  ~Model() override;

  /// The single-input, single-output call: x in the interface layout (NHWC for rank 4).
  Tensor forward(const Tensor& x) override;
  /// Every graph input in declaration order (initializers are not inputs), every output.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  /// One node as it ran: for summaries.
  struct NodeRun {
    std::string op, name;              ///< "Conv+BatchNormalization+Relu" for fused nodes
    std::vector<Shape> output_shapes;  ///< in ONNX's layout
    int64_t parameters = 0;            ///< elements of the parameters it reads (each counted once)
    int64_t macs = 0;                  ///< multiply-adds of Conv, ConvTranspose, Gemm and MatMul
  };
  /// Runs the training plan (every node, none fused) without gradients, in evaluation mode,
  /// and reports each node.
  std::vector<NodeRun> run_nodes(const std::vector<Tensor>& inputs);

  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  /// "ONNX(resnet18.onnx: 49 nodes, opset 17, producer pytorch 1.13.0)"
  std::string name() const override;
  /// Nodes in execution order after the load-time optimizations, as "OpType name" lines, with
  /// fused nodes shown as "Conv+BatchNormalization+Relu name".
  std::vector<std::string> plan(bool inference) const;
  int64_t opset() const;

  /// The file's metadata_props (cnn export writes the classes, input shape and normalization
  /// of a trained run under "cnn.*" keys).
  const std::map<std::string, std::string>& metadata() const;
  const Graph& graph() const { return *graph_; }
  const LoadOptions& options() const { return options_; }
  /// Dropout's masks in training come from here.
  Generator& generator() { return generator_; }

 private:
  void register_state();

  std::shared_ptr<Graph> graph_;
  LoadOptions options_;
  Generator generator_{0};
  std::function<void(const Node&, const std::vector<Value>&)> observer_;  ///< run_nodes()
};

/// The model with its last Gemm/MatMul classifier replaced by a freshly initialized one with
/// `classes` outputs (PyTorch's Linear initialization: U(-1/sqrt(K), 1/sqrt(K))), for
/// fine-tuning to another class count; every other parameter is shared with `model`. Raises
/// cnn::Error when no classifier with a trainable weight is found.
std::shared_ptr<Model> with_classes(const Model& model, int64_t classes, Generator& gen);

/// The model for `channels`-channel images where it was made for more: the first convolution's
/// weight summed over its input channels, which is exactly the model applied to the image with
/// its one channel replicated (grayscale data into an RGB network). Only channels = 1 is
/// supported; raises cnn::Error when the graph input does not feed a Conv directly.
std::shared_ptr<Model> with_input_channels(const Model& model, int64_t channels);

/// The classes a model outputs: the last extent of its first output's declared shape, or -1
/// when that is not known.
int64_t declared_classes(const Model& model);

/// Reads, checks and imports an ONNX model. Raises cnn::Error naming the file and the problem
/// for anything it cannot read or run: a corrupt or truncated file, an unsupported op (with its
/// name, opset, node name and the list of supported ops), a graph with a cycle or an undefined
/// input, tensors whose data do not match their shape, external data outside the model's folder.
std::shared_ptr<Model> load(const std::string& path, const LoadOptions& options = {});

/// The ops the importer runs, sorted.
std::vector<std::string> supported_ops();

/// A serialized ONNX TensorProto file (ONNX's test data sets: input_0.pb, output_0.pb), in
/// ONNX's layout: float as f32; int64, int32 and bool as i64. Raises cnn::Error naming the file
/// for a corrupt file or an element type other than these.
Tensor read_tensor_file(const std::string& path);

}  // namespace cnn::onnx
