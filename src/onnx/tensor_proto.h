// ONNX TensorProto <-> cnn::Tensor, trusting no number in the file: dimensions are checked
// for sign and overflow, the data's byte count must equal the shape's (inline or external),
// and external data must lie inside the model's folder.
#pragma once

#include <string>

#include "cnn/tensor.h"
#include "onnx/onnx_pb.h"

namespace cnn::onnx {

// Element types the importer computes with: float (f32), and int64/int32/bool (as i64, for
// shapes, indices and flags). Others raise cnn::Error naming the tensor and its type.
// `model_dir` resolves external data (empty: external data is refused).
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& model_dir,
                         const std::string& what);

// The name of an ONNX element type ("float", "int64", "float16", ...).
std::string elem_type_name(int32_t elem_type);

// f32 -> FLOAT, i64 -> INT64, with raw little-endian data.
void tensor_to_proto(const Tensor& t, const std::string& name, ::onnx::TensorProto& proto);

}  // namespace cnn::onnx
