// The pickle inside a .pth file (data.pkl), read by a restricted unpickler that understands
// only what torch.save writes for a state_dict and executes nothing: the only "calls" it
// knows are an allow-list of globals (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// _rebuild_tensor, _rebuild_parameter, and the torch.<Type>Storage classes), each interpreted
// here, never looked up. Any other global (os.system, builtins.eval, ...) is refused. The memo,
// the value stack, marks, strings and nesting depth are capped; every tensor's offset, sizes
// and strides are checked against its storage before it is viewed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::io::pickle {

// Resolves a persistent id ('storage', torch.<Type>Storage, key, location, numel): returns
// storage holding exactly `numel` elements of `dtype`, or raises. Called once per distinct key.
using StorageLoader =
    std::function<std::shared_ptr<Storage>(const std::string& key, DType dtype, int64_t numel)>;

// Parses a state_dict pickle. Returns (name, tensor) in the file's order; tensors are dense
// (a non-contiguous one is copied). `where` prefixes every error message.
std::vector<std::pair<std::string, Tensor>> load_state_dict(std::string_view bytes,
                                                            const StorageLoader& load_storage,
                                                            const std::string& where);

// The pickle torch.save writes for an OrderedDict state_dict (protocol 2) whose i-th tensor
// is dense and stored whole in storage "i", with `versions` ((module path, version) pairs) as
// its _metadata attribute unless empty.
std::string write_state_dict(const std::vector<std::pair<std::string, Tensor>>& tensors,
                             const std::vector<std::pair<std::string, int64_t>>& versions);

// Limits.
inline constexpr size_t kMaxStack = 1u << 20;
inline constexpr size_t kMaxMemo = 1u << 20;
inline constexpr size_t kMaxMarks = 1u << 16;
inline constexpr size_t kMaxStringBytes = 1u << 20;
inline constexpr int kMaxDepth = 32;
inline constexpr size_t kMaxRank = 8;

}  // namespace cnn::io::pickle
