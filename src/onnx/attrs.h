// A node's attributes, typed and checked on read: a wrong type or a missing required
// attribute raises cnn::Error naming the node.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cnn/tensor.h"
#include "onnx/onnx_pb.h"

namespace cnn::onnx {

class Attrs {
 public:
  Attrs() = default;
  Attrs(const ::onnx::NodeProto& node, std::string where);

  bool has(const std::string& name) const { return attrs_.count(name) != 0; }
  int64_t i(const std::string& name, int64_t fallback) const;
  int64_t i(const std::string& name) const;  // required
  float f(const std::string& name, float fallback) const;
  std::string s(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> floats(const std::string& name) const;
  // A tensor attribute (Constant's value), converted as an initializer would be.
  Tensor tensor(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& where() const { return where_; }

 private:
  const ::onnx::AttributeProto& get(const std::string& name,
                                    ::onnx::AttributeProto::AttributeType type) const;
  std::map<std::string, ::onnx::AttributeProto> attrs_;
  std::string where_;  // "Conv node 'conv1'" for messages
};

}  // namespace cnn::onnx
