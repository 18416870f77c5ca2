// The JSON header of a safetensors file, read as strictly as the reference implementation
// (huggingface/safetensors) reads it: a JSON object that starts with '{', may end in spaces
// (the writers' padding to 8-byte alignment) and holds no NUL byte or byte-order mark; no key
// twice; "__metadata__" a map of strings to strings; every other key a tensor with exactly
// dtype, shape and data_offsets, whose shape's bytes equal its byte range; and the ranges,
// sorted, cover the data section exactly: from 0, without gaps or overlaps, to the last byte
// of the file. The header is read through a SAX parser that knows this schema, so nothing is
// built but the tensors' descriptions, and anything deeper than the schema is refused at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cnn/io/safetensors.h"

namespace cnn::io::safetensors {

struct TensorInfo {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

struct Header {
  std::vector<TensorInfo> tensors;  // in name order
  Metadata metadata;
};

/// Parses and checks `text`, the header of the file `path` whose data section (what follows
/// the header) holds `data_bytes` bytes. Raises cnn::Error naming the file and the problem.
Header parse_header(std::string_view text, uint64_t data_bytes, const std::string& path);

/// The reference implementation's limit on the header's length (MAX_HEADER_SIZE).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;
/// Extents of a tensor's shape.
inline constexpr size_t kMaxRank = 8;

}  // namespace cnn::io::safetensors
