#include "onnx/attrs.h"

#include "cnn/error.h"
#include "onnx/tensor_proto.h"

namespace cnn::onnx {

using ::onnx::AttributeProto;

Attrs::Attrs(const ::onnx::NodeProto& node, std::string where) : where_(std::move(where)) {
  for (const auto& a : node.attribute()) {
    CNN_CHECK(a.ref_attr_name().empty(), where_, ": attribute '", a.name(),
              "' refers to a function attribute, which only functions may do");
    CNN_CHECK(attrs_.emplace(a.name(), a).second, where_, ": attribute '", a.name(),
              "' is given twice");
  }
}

const AttributeProto& Attrs::get(const std::string& name,
                                 AttributeProto::AttributeType type) const {
  const auto it = attrs_.find(name);
  CNN_CHECK(it != attrs_.end(), where_, ": required attribute '", name, "' is missing");
  CNN_CHECK(it->second.type() == type || it->second.type() == AttributeProto::UNDEFINED, where_,
            ": attribute '", name, "' has type ",
            AttributeProto::AttributeType_Name(it->second.type()), ", expected ",
            AttributeProto::AttributeType_Name(type));
  return it->second;
}

int64_t Attrs::i(const std::string& name, int64_t fallback) const {
  return has(name) ? i(name) : fallback;
}
int64_t Attrs::i(const std::string& name) const {
  return get(name, AttributeProto::INT).i();
}

float Attrs::f(const std::string& name, float fallback) const {
  return has(name) ? get(name, AttributeProto::FLOAT).f() : fallback;
}

std::string Attrs::s(const std::string& name, const std::string& fallback) const {
  return has(name) ? get(name, AttributeProto::STRING).s() : fallback;
}

std::vector<int64_t> Attrs::ints(const std::string& name, std::vector<int64_t> fallback) const {
  if (!has(name)) return fallback;
  const auto& a = get(name, AttributeProto::INTS);
  return {a.ints().begin(), a.ints().end()};
}

std::vector<float> Attrs::floats(const std::string& name) const {
  if (!has(name)) return {};
  const auto& a = get(name, AttributeProto::FLOATS);
  return {a.floats().begin(), a.floats().end()};
}

Tensor Attrs::tensor(const std::string& name) const {
  return tensor_from_proto(get(name, AttributeProto::TENSOR).t(), "",
                           where_ + " attribute '" + name + "'");
}

std::vector<std::string> Attrs::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : attrs_) out.push_back(k);
  return out;
}

}  // namespace cnn::onnx
