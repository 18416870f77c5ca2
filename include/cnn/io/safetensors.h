/// \file
/// safetensors files: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data. The reader trusts no
/// number in the file: every size product is checked for overflow, every range against the
/// file's length, ranges may not overlap, and nesting depth and header size are capped.
#pragma once

#include <map>
#include <string>

#include "cnn/nn/state_dict.h"

namespace cnn::io {

using Metadata = std::map<std::string, std::string>;

/// Reads every tensor (F32 and I64 are supported), in name order. Raises cnn::Error naming the
/// file and the problem. `metadata`, when given, receives the "__metadata__" strings.
nn::StateDict load_safetensors(const std::string& path, Metadata* metadata = nullptr);

/// Writes atomically: a temporary file in the same folder, fsynced, then renamed over `path`.
/// The header (a JSON object) lists the tensors by name and the data follow in that order,
/// whatever the order of `tensors`.
void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const Metadata& metadata = {});

}  // namespace cnn::io
