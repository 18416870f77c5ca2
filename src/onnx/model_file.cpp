#include "onnx/model_file.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>

#include "cnn/error.h"
#include "core/input_file.h"
#include "onnx/checker.h"
#include "onnx/defs/shape_inference.h"
#include "onnx/graph.h"
#include "onnx/shape_inference/implementation.h"

// What onnx::checker::check_model(path) runs once it has read the file: libonnx 1.12 exports
// it but its header does not declare it. Checking the model already parsed, rather than
// handing the checker the path, keeps the checker from reading the file a second time without
// this reader's limits (a file grown past max_file_bytes or swapped for a FIFO in between).
namespace onnx::checker {
void check_model(const ModelProto& model, CheckerContext& ctx);
}  // namespace onnx::checker

namespace cnn::onnx {
namespace {

template <class... Parts>
[[noreturn]] void refuse(const Parts&... parts) {  // what fail_shape_inference throws
  throw ::onnx::InferenceError(::onnx::MakeString("[ShapeInferenceError] ", parts...));
}

// libonnx 1.12's shape inference trusts what its checker does not check: Conv, ConvTranspose
// and the pools divide by their strides (a stride of 0 is SIGFPE), and Conv and ConvTranspose
// read the weight's dimensions by the input's rank (a weight of another rank reads past its
// shape, a segfault). These schemas run their inference functions behind those checks.
class GuardedSchemas : public ::onnx::ISchemaRegistry {
 public:
  const ::onnx::OpSchema* GetSchema(const std::string& key, const int max_inclusive_version,
                                    const std::string& domain) const override {
    const ::onnx::OpSchema* schema =
        ::onnx::OpSchemaRegistry::Schema(key, max_inclusive_version, domain);
    // (other ops with these inference functions never get here: check_node refuses them)
    const bool window =
        key == "Conv" || key == "ConvTranspose" || key == "MaxPool" || key == "AveragePool";
    if (schema == nullptr || !window || !schema->has_type_and_shape_inference_function())
      return schema;
    auto& guarded = guarded_[schema];
    if (!guarded) {
      guarded = std::make_unique<::onnx::OpSchema>(*schema);
      guarded->TypeAndShapeInferenceFunction(
          [infer = schema->GetTypeAndShapeInferenceFunction()](::onnx::InferenceContext& ctx) {
            if (const auto* strides = ctx.getAttribute("strides"))
              for (int64_t s : strides->ints())
                if (s < 1) refuse("strides must be positive, got ", s);
            if (::onnx::hasInputShape(ctx, 0) && ::onnx::hasInputShape(ctx, 1)) {
              const int x = ::onnx::getInputShape(ctx, 0).dim_size(),
                        w = ::onnx::getInputShape(ctx, 1).dim_size();
              if (x != w) refuse("the weight has rank ", w, " for an input of rank ", x);
            }
            infer(ctx);
          });
    }
    return guarded.get();
  }

 private:
  mutable std::map<const ::onnx::OpSchema*, std::unique_ptr<::onnx::OpSchema>> guarded_;
};

}  // namespace

int64_t default_opset(const ::onnx::ModelProto& model) {
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  return -1;
}

::onnx::ModelProto read_model(const std::string& path, const ReadOptions& options) {
  // A regular file, opened without blocking: a FIFO, socket, device or folder is refused here.
  std::unique_ptr<detail::InputFile> file;
  try {
    file = std::make_unique<detail::InputFile>(path, "an ONNX model");
  } catch (const Error& e) {
    fail("onnx: ", e.what());
  }
  const auto size = static_cast<int64_t>(std::min<uint64_t>(file->size(), INT64_MAX));
  CNN_CHECK(size > 0, "onnx: '", path, "' is empty");
  const int64_t limit =
      std::min<int64_t>(options.max_file_bytes, INT32_MAX);  // protobuf's own limit
  CNN_CHECK(
      size <= limit, "onnx: '", path, "' has ", size, " bytes, more than the limit of ", limit,
      limit == INT32_MAX ? " (protobuf's 2 GiB: larger models store their tensors as external data)"
                         : " (LoadOptions::max_file_bytes)");
  ::onnx::ModelProto model;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream stream(file->release());
    stream.SetCloseOnDelete(true);
    google::protobuf::io::CodedInputStream coded(&stream);
    // the whole file, and no more (a length prefix past the end fails the parse before anything
    // of that length is allocated); nested messages at most kMaxMessageDepth deep
    coded.SetTotalBytesLimit(static_cast<int>(size));
    coded.SetRecursionLimit(kMaxMessageDepth);
    parsed = model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  }
  CNN_CHECK(parsed, "onnx: '", path,
            "' is not a valid ONNX model (the protobuf ModelProto does not parse: truncated or "
            "corrupt)");
  CNN_CHECK(model.has_graph(), "onnx: '", path, "' holds no graph");
  CNN_CHECK(model.ir_version() >= 3 && model.ir_version() <= 8, "onnx: '", path,
            "' has IR version ", model.ir_version(), "; this importer reads IR versions 3 to 8");
  const int64_t opset = default_opset(model);
  // Ops whose meaning changed before opset 7 say so themselves (OpDef::min_opset).
  CNN_CHECK(opset >= 1 && opset <= 17, "onnx: '", path, "' uses opset ", opset,
            " of the default domain; this importer supports opsets up to 17");
  // Ops this importer cannot run are refused before ONNX's checker and shape inference see
  // them: their code is then only that of the ops in the table.
  for (int i = 0; i < model.graph().node_size(); ++i)
    check_node(model.graph().node(i), i, opset, "onnx: '" + path + "'");
  if (options.check) {
    const GuardedSchemas schemas;
    try {
      // external data is found from the model's folder, as check_model(path) does
      ::onnx::checker::CheckerContext context;
      const size_t slash = path.find_last_of('/');
      context.set_model_dir(slash == std::string::npos ? "" : path.substr(0, slash + 1));
      ::onnx::checker::check_model(model, context);
      ::onnx::shape_inference::InferShapes(
          model, &schemas, ::onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
    } catch (const std::exception& e) {
      fail("onnx: '", path, "' fails the ONNX checker: ", e.what());
    }
  }
  return model;
}

}  // namespace cnn::onnx
