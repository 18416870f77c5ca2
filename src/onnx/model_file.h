// Reading an ONNX file: bounded parsing with protobuf's generated classes, onnx::checker, and
// ONNX's shape inference (strict, as `onnx.checker.check_model(full_check=True)`).
#pragma once

#include <string>

#include "onnx/onnx_pb.h"

namespace cnn::onnx {

// Nesting of protobuf messages (a graph in a node's attribute is two levels deeper).
inline constexpr int kMaxMessageDepth = 64;

struct ReadOptions {
  bool check = true;
  int64_t max_file_bytes = (int64_t{1} << 31) - 1;
};

// Raises cnn::Error naming the file: not a regular file, larger than max_file_bytes, not a
// protobuf ModelProto, IR version outside 3..8, default-domain opset outside 7..17, or what
// the checker or shape inference found.
::onnx::ModelProto read_model(const std::string& path, const ReadOptions& options);

// The opset of the default ("" or "ai.onnx") domain.
int64_t default_opset(const ::onnx::ModelProto& model);

}  // namespace cnn::onnx
