// ONNX model files (cnn::onnx::load): protobuf parsing, ONNX's checker, the importer's checks
// of every node and initializer, and the load-time optimizations.
#include "cnn/onnx/onnx.h"
#include "fuzz_target.h"

CNN_FUZZ_TARGET(onnx) {
  cnn::onnx::load(cnn::fuzz::input_file(data, size, "input.onnx"));
}
