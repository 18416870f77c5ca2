#include "cnn/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/error.h"
#include "io/atomic_file.h"

namespace cnn::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
constexpr int kMaxDepth = 8;

// nlohmann's parser recurses; refuse deep nesting before handing the text to it.
void check_depth(const std::string& text, const std::string& path) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      CNN_CHECK(++depth <= kMaxDepth, path, ": safetensors header nests deeper than ", kMaxDepth,
                " levels");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

nn::StateDict load_safetensors(const std::string& path, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  CNN_CHECK(in.good(), path, ": cannot open: ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  CNN_CHECK(file_size >= 8, path, ": not a safetensors file: ", file_size,
            " bytes, shorter than the 8-byte header length");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  CNN_CHECK(header_len <= kMaxHeaderBytes, path, ": header length ", header_len,
            " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  CNN_CHECK(header_len <= file_size - 8, path, ": header length ", header_len,
            " reaches past the end of the file (", file_size, " bytes)");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  CNN_CHECK(in.good(), path, ": cannot read the header");
  check_depth(header, path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": header is not valid JSON: ", e.what());
  }
  CNN_CHECK(json.is_object(), path, ": header is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_len;

  std::vector<Entry> entries;
  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      CNN_CHECK(value.is_object(), path, ": __metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        CNN_CHECK(v.is_string(), path, ": __metadata__ value for '", k, "' is not a string");
        if (metadata != nullptr) (*metadata)[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = detail::concat(path, ": tensor '", name, "'");
    CNN_CHECK(value.is_object() && value.contains("dtype") && value.contains("shape") &&
                  value.contains("data_offsets"),
              where, " needs dtype, shape and data_offsets");
    CNN_CHECK(value["dtype"].is_string(), where, ": dtype is not a string");
    const std::string dtype = value["dtype"].get<std::string>();
    Entry e{name, DType::f32, {}, 0, 0};
    if (dtype == "F32")
      e.dtype = DType::f32;
    else if (dtype == "I64")
      e.dtype = DType::i64;
    else
      fail(where, ": unsupported dtype '", dtype, "' (F32 and I64 are supported)");
    CNN_CHECK(value["shape"].is_array() && value["shape"].size() <= 8, where,
              ": shape must be an array of at most 8 extents");
    for (const auto& extent : value["shape"]) {
      CNN_CHECK(extent.is_number_unsigned(), where, ": shape holds ", extent.dump(),
                ", not a non-negative integer");
      const uint64_t v = extent.get<uint64_t>();
      CNN_CHECK(v <= static_cast<uint64_t>(INT64_MAX), where, ": extent ", v, " is too large");
      e.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& offsets = value["data_offsets"];
    CNN_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                  offsets[1].is_number_unsigned(),
              where, ": data_offsets must be two non-negative integers");
    e.begin = offsets[0].get<uint64_t>();
    e.end = offsets[1].get<uint64_t>();
    CNN_CHECK(e.begin <= e.end && e.end <= data_size, where, ": data_offsets [", e.begin, ", ",
              e.end, "] fall outside the ", data_size, "-byte data section");
    int64_t numel = 0;
    try {
      numel = checked_numel(e.shape);
    } catch (const Error&) {
      fail(where, ": shape ", to_string(e.shape), " overflows a 64-bit element count");
    }
    uint64_t bytes = 0;
    CNN_CHECK(!__builtin_mul_overflow(static_cast<uint64_t>(numel), dtype_size(e.dtype), &bytes) &&
                  bytes == e.end - e.begin,
              where, ": shape ", to_string(e.shape), " of ", dtype, " needs ",
              static_cast<uint64_t>(numel) * dtype_size(e.dtype), " bytes but data_offsets span ",
              e.end - e.begin);
    entries.push_back(std::move(e));
  }
  std::vector<const Entry*> by_offset;
  by_offset.reserve(entries.size());
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    CNN_CHECK(by_offset[i]->begin >= by_offset[i - 1]->end, path, ": tensors '",
              by_offset[i - 1]->name, "' and '", by_offset[i]->name, "' overlap");
  }

  nn::StateDict out;
  for (const auto& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    in.seekg(static_cast<std::streamoff>(8 + header_len + e.begin));
    char* dst = e.dtype == DType::f32 ? reinterpret_cast<char*>(t.data())
                                      : reinterpret_cast<char*>(t.data_i64());
    in.read(dst, static_cast<std::streamsize>(e.end - e.begin));
    CNN_CHECK(in.good() || e.end == e.begin, path, ": cannot read tensor '", e.name, "'");
    out.insert(e.name, std::move(t));
  }
  return out;
}

void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<Tensor> dense;
  std::map<std::string, const Tensor*> by_name;  // the header's order
  for (const auto& [name, t] : tensors) by_name.emplace(name, &t);
  for (const auto& [name, tensor] : by_name) {
    const Tensor& t = *tensor;
    CNN_CHECK(t.defined(), "save_safetensors: tensor '", name, "' is undefined");
    Tensor c = t.contiguous();
    const uint64_t bytes = static_cast<uint64_t>(c.numel()) * dtype_size(c.dtype());
    header[name] = {{"dtype", c.dtype() == DType::f32 ? "F32" : "I64"},
                    {"shape", c.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    dense.push_back(c);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  bytes += text;
  for (const Tensor& c : dense) {
    const char* src = c.dtype() == DType::f32 ? reinterpret_cast<const char*>(c.data())
                                              : reinterpret_cast<const char*>(c.data_i64());
    bytes.append(src, static_cast<size_t>(c.numel()) * dtype_size(c.dtype()));
  }
  write_file_atomically(path, bytes);
}

}  // namespace cnn::io
