/// \file
/// PyTorch .pth files (torch.save of a state_dict, the zip format of PyTorch >= 1.6), read and
/// written without libtorch or Python. Tensors stay in PyTorch's layout (OIHW convolution
/// weights); cnn/io/weights.h converts to and from a module's layout.
///
/// Reading trusts nothing in the file: the zip container is parsed strictly (offsets and sizes
/// checked, CRC-32 verified, names that could escape a folder refused) and the pickle is read
/// by a restricted unpickler that executes nothing and refuses every global a state_dict does
/// not need (os.system, builtins.eval, a model's classes, ...), with its stack, memo, values
/// and nesting capped. Memory stays proportional to the file: storages must match their
/// entries' sizes, and views that are copied (strided, or expanded with stride 0) may not
/// together exceed the storages' bytes plus a fixed allowance. float32 and int64 tensors are
/// supported; other dtypes raise cnn::Error naming the dtype.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cnn/io/safetensors.h"

namespace cnn::io {

/// (module path, version) for every module of a model, root "" first: the `_metadata` PyTorch
/// attaches to a state_dict and hands to each module's loader (see nn::Module::state_version).
using ModuleVersions = std::vector<std::pair<std::string, int64_t>>;

/// Every tensor of the state_dict, dense, in the file's order (PyTorch's OrderedDict order).
/// `versions`, when given, receives the state_dict's _metadata (empty when it has none). A
/// legacy torch.save file (PyTorch < 1.6, or _use_new_zipfile_serialization=False) is
/// recognized and refused with the advice to re-save it in the zip format.
nn::StateDict load_pth(const std::string& path, ModuleVersions* versions = nullptr);

/// Writes a .pth that torch.load reads back as an OrderedDict of tensors in the order of
/// `tensors` (each tensor in its own storage) carrying `versions` as its _metadata (none when
/// empty), atomically. Entries are stored uncompressed, data aligned to 64 bytes.
void save_pth(const std::string& path, const nn::StateDict& tensors,
              const ModuleVersions& versions = {});

/// True when the file starts with a zip signature ("PK\3\4"): how load_weights and
/// `cnn convert` tell a .pth from a .safetensors file regardless of the name.
bool is_zip_file(const std::string& path);
/// True when the file starts as a pickle does: torch.save's legacy format or a bare pickle,
/// which load_pth refuses with advice.
bool is_pickle_file(const std::string& path);

}  // namespace cnn::io
