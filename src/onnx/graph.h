// The imported graph: value slots (graph inputs, constants, parameters, buffers and node
// outputs) and nodes in execution order, as read from the file and then optimized at load
// (onnx/optimize.h). Two plans share the slots: `nodes` keeps every op that training needs,
// `inference` has Dropout removed and convolutions fused with what follows them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cnn/onnx/onnx.h"
#include "onnx/onnx_pb.h"
#include "onnx/ops.h"

namespace cnn::onnx {

struct Slot {
  enum class Kind { computed, input, constant, parameter, buffer };
  std::string name;
  Kind kind = Kind::computed;
  Value value;        // constants, parameters and buffers
  Shape known_shape;  // from the file's declarations and shape inference; -1: unknown
  bool shape_known = false;
};

// Raises cnn::Error naming the node (its index when it has no name) where the node cannot be
// imported: another domain, an op outside the table or older than its OpDef::min_opset, or
// inputs and outputs that ONNX's schema does not allow. `where` starts the message.
void check_node(const ::onnx::NodeProto& proto, int index, int64_t opset, const std::string& where);

// Runs one node on its arguments; an error names the node (its own messages already name it)
// and running out of memory is reported as such.
std::vector<Value> run_node(const Node& n, const std::vector<Value>& args, RunContext& context);

class Graph {
 public:
  // Builds from a checked model; `dir` resolves external data, `file` names messages.
  static std::shared_ptr<Graph> build(const ::onnx::ModelProto& model, const std::string& dir,
                                      const std::string& file, const LoadOptions& options);

  // Runs the training or the inference plan on values in ONNX's logical layout (or any
  // layout: Values carry theirs) and returns the graph outputs.
  // `observe`, when set, sees each node and its outputs as it runs.
  using NodeObserver = std::function<void(const Node&, const std::vector<Value>&)>;
  std::vector<Value> run(std::vector<Value> inputs, bool inference, RunContext& context,
                         const NodeObserver& observe = nullptr) const;

  std::vector<Slot> slots;
  std::vector<Node> nodes;      // training plan
  std::vector<Node> inference;  // inference plan
  std::vector<int> inputs, outputs;
  std::vector<ValueInfo> input_info, output_info;
  int64_t opset = 0;
  std::string file, producer;
  std::map<std::string, std::string> metadata;  // the model's metadata_props
  // Elements of the initializers, which bound what a run may allocate (RunContext::max_elements).
  int64_t data_elements = 0;

  // Recomputes each plan's last uses after a pass changed them.
  void finish_plans();

  // A run's starting values: every constant, parameter and buffer in its slot, the rest empty.
  std::vector<Value> environment() const;

 private:
  std::vector<Value> execute(const std::vector<Node>& plan, const std::vector<int>& last_use,
                             std::vector<Value> inputs, RunContext& context,
                             const NodeObserver& observe) const;
  std::vector<int> last_use_training_, last_use_inference_;
};

}  // namespace cnn::onnx
