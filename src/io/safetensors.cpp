#include "cnn/io/safetensors.h"

#include <new>
#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/error.h"
#include "core/format.h"
#include "core/input_file.h"
#include "io/atomic_file.h"
#include "io/safetensors_header.h"

namespace cnn::io {

nn::StateDict load_safetensors(const std::string& path, Metadata* metadata) {
  uint64_t file_size = 0;
  try {
    const detail::InputFile file(path, "a safetensors file");
    file_size = file.size();
    CNN_CHECK(file_size >= 8, path, ": not a safetensors file: ", file_size,
              " bytes, shorter than the 8-byte header length");
    unsigned char len_bytes[8];
    file.read_at(len_bytes, 8, 0);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
    // Both before the header is allocated: the length is a number from the file.
    CNN_CHECK(header_len <= safetensors::kMaxHeaderBytes, path, ": header length ", header_len,
              " exceeds the limit of ", safetensors::kMaxHeaderBytes, " bytes (kMaxHeaderBytes)");
    CNN_CHECK(header_len <= file_size - 8, path, ": header length ", header_len,
              " reaches past the end of the file (", file_size, " bytes)");
    std::string text(header_len, '\0');
    file.read_at(text.data(), header_len, 8);
    const uint64_t data_start = 8 + header_len;
    safetensors::Header header = safetensors::parse_header(text, file_size - data_start, path);
    text = std::string();
    // Every tensor's bytes lie in the file (parse_header checked that the ranges tile the data
    // section), so what is allocated here is what the file holds.
    nn::StateDict out;
    for (const safetensors::TensorInfo& t : header.tensors) {
      Tensor tensor = Tensor::empty(t.shape, t.dtype);
      void* dst = t.dtype == DType::f32 ? static_cast<void*>(tensor.data()) : tensor.data_i64();
      file.read_at(dst, t.end - t.begin, data_start + t.begin);
      out.insert(t.name, std::move(tensor));
    }
    if (metadata != nullptr) *metadata = std::move(header.metadata);
    return out;
  } catch (const std::bad_alloc&) {
    fail(path, ": out of memory reading the safetensors file (",
         detail::with_thousands(static_cast<int64_t>(file_size)), " bytes)");
  }
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
