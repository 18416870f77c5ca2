/// \file
/// safetensors files: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data. The reader is as
/// strict as the format's reference implementation (huggingface/safetensors): the header is at
/// most 100,000,000 bytes and no longer than the file, a JSON object (starting with '{', no
/// byte-order mark, no NUL byte; spaces may pad it) with no key twice, "__metadata__" maps
/// strings to strings, each tensor has exactly dtype, shape and data_offsets, every size
/// product is checked for overflow, and the tensors' byte ranges, sorted, cover the data
/// section exactly: no gap, no overlap, no byte after the last tensor. Nothing is allocated
/// beyond what the file holds.
#pragma once

#include <map>
#include <string>

#include "cnn/nn/state_dict.h"

namespace cnn::io {

using Metadata = std::map<std::string, std::string>;

/// Reads every tensor (F32 and I64 are supported), in name order. Raises cnn::Error naming the
/// file and the problem (a FIFO, folder or device is refused without being read). `metadata`,
/// when given, is set to the "__metadata__" strings.
nn::StateDict load_safetensors(const std::string& path, Metadata* metadata = nullptr);

/// Writes atomically: a temporary file in the same folder, fsynced, then renamed over `path`.
/// The header (a JSON object) lists the tensors by name and the data follow in that order,
/// whatever the order of `tensors`.
void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const Metadata& metadata = {});

}  // namespace cnn::io
