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

struct StateDictPickle {
  std::vector<std::pair<std::string, Tensor>> tensors;    // in the file's order
  std::vector<std::pair<std::string, int64_t>> versions;  // its _metadata; empty without one
};

// Parses a state_dict pickle. Tensors are dense: a view that is not is copied, and the copies
// together may hold at most kMaxExpansionRatio times the bytes of the storages loaded plus
// kMaxExpandedBytes. `where`
// prefixes every error message.
StateDictPickle load_state_dict(std::string_view bytes, const StorageLoader& load_storage,
                                const std::string& where);

// The pickle torch.save writes for an OrderedDict state_dict (protocol 2) whose i-th tensor
// is dense and stored whole in storage "i", with `versions` ((module path, version) pairs) as
// its _metadata attribute unless empty.
std::string write_state_dict(const std::vector<std::pair<std::string, Tensor>>& tensors,
                             const std::vector<std::pair<std::string, int64_t>>& versions);

// Limits. A state_dict's pickle holds names and shapes only (about 200 bytes and 20 values
// per tensor), so these leave room for 50,000 tensors while keeping a hostile pickle's cost
// to a bounded multiple of its bytes.
inline constexpr uint64_t kMaxPickleBytes = 256ull << 20;  // the data.pkl entry
inline constexpr size_t kMaxStack = 1u << 20;
inline constexpr size_t kMaxMemo = 1u << 20;
inline constexpr size_t kMaxMarks = 1u << 16;
inline constexpr size_t kMaxStringBytes = 1u << 20;
inline constexpr size_t kMaxValues = 1u << 20;  // objects created, in all
inline constexpr int kMaxDepth = 32;
inline constexpr size_t kMaxRank = 8;
// Copies of views (overlapping or stride-0 views are legal in what torch.save writes, and
// tensors here are dense) may take in all at most kMaxExpansionRatio times the bytes of the
// storages loaded plus kMaxExpandedBytes: a view of one element with stride 0 and shape
// [100000, 100000] would otherwise ask for 40 GB from a file of a few hundred bytes. The ratio
// is gzip's largest (1032:1, rounded down); the zoo's golden files, whose weights are views of
// small shared storages, need at most 340.
inline constexpr int64_t kMaxExpansionRatio = 1024;
inline constexpr int64_t kMaxExpandedBytes = int64_t{16} << 20;

}  // namespace cnn::io::pickle
