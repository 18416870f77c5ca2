// cnn::onnx::save: trace (export_trace.cpp), translate (export_graph.cpp, export_ops_*.cpp),
// check with ONNX's checker and strict shape inference, write atomically.
#include "cnn/onnx/export.h"

#include "cnn/error.h"
#include "cnn/generator.h"
#include "io/atomic_file.h"
#include "onnx/checker.h"
#include "onnx/export_graph.h"
#include "onnx/export_model.h"
#include "onnx/export_trace.h"
#include "onnx/shape_inference/implementation.h"

namespace cnn::onnx {
namespace {

// The model with the data of its large float initializers left out (shapes and types kept):
// all shape inference needs, without a second copy of the weights. Small and integer
// initializers (Reshape targets, pads, axes) keep their values.
::onnx::ModelProto without_weight_data(const ::onnx::ModelProto& model) {
  ::onnx::ModelProto copy;
  copy.set_ir_version(model.ir_version());
  *copy.mutable_opset_import() = model.opset_import();
  const ::onnx::GraphProto& g = model.graph();
  ::onnx::GraphProto& c = *copy.mutable_graph();
  c.set_name(g.name());
  *c.mutable_node() = g.node();
  *c.mutable_input() = g.input();
  *c.mutable_output() = g.output();
  for (const ::onnx::TensorProto& t : g.initializer()) {
    ::onnx::TensorProto& ct = *c.add_initializer();
    if (t.data_type() == ::onnx::TensorProto::FLOAT && t.raw_data().size() > 4096) {
      ct.set_name(t.name());
      ct.set_data_type(t.data_type());
      *ct.mutable_dims() = t.dims();
    } else {
      ct = t;
    }
  }
  return copy;
}

}  // namespace

::onnx::ModelProto export_model(nn::Module& module, const Shape& input_shape,
                                const SaveOptions& options) {
  CNN_CHECK(options.opset >= 11 && options.opset <= 17, "onnx export: opset ", options.opset,
            " is not supported; choose 11 to 17");
  CNN_CHECK(!input_shape.empty(), "onnx export: the input shape is empty; give [N, H, W, C]");
  for (int64_t d : input_shape)
    CNN_CHECK(d >= 1, "onnx export: the input shape ", to_string(input_shape),
              " has an extent below 1");
  CNN_CHECK(!options.input_name.empty() && !options.output_name.empty() &&
                options.input_name != options.output_name,
            "onnx export: the input and output names must be distinct and not empty, got '",
            options.input_name, "' and '", options.output_name, "'");

  Generator gen(0);
  const Tensor input = Tensor::normal(input_shape, 0.0f, 1.0f, gen);
  const exporter::Trace trace = exporter::trace_forward(module, input);

  ::onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("cnn");
  model.set_producer_version("0.1.0");
  model.set_doc_string("exported by cnn::onnx::save from " + module.type());
  for (const auto& [key, value] : options.metadata) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  ::onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(module.type());
  exporter::GraphBuilder(trace, options, graph).build();

  try {
    ::onnx::checker::check_model(model);
    ::onnx::ModelProto inferred = without_weight_data(model);
    ::onnx::shape_inference::InferShapes(
        inferred, ::onnx::OpSchemaRegistry::Instance(),
        ::onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
    // the inferred shapes go with the model: readers (the importer's fusions) use them
    *model.mutable_graph()->mutable_value_info() = inferred.graph().value_info();
  } catch (const std::exception& e) {
    fail("onnx export: the exported model of ", module.type(),
         " fails the ONNX checker: ", e.what());
  }
  return model;
}

void save(nn::Module& module, const Shape& input_shape, const std::string& path,
          const SaveOptions& options) {
  const ::onnx::ModelProto model = export_model(module, input_shape, options);
  std::string bytes;
  CNN_CHECK(model.SerializeToString(&bytes), "onnx export: the model of ", module.type(),
            " does not serialize (larger than protobuf's 2 GiB?)");
  io::write_file_atomically(path, bytes);
}

}  // namespace cnn::onnx
