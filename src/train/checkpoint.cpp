#include "cnn/train/checkpoint.h"

#include <zlib.h>

#include <cstdio>
#include <map>

#include "cnn/error.h"

namespace cnn::train {
namespace {

constexpr const char* kFormat = "cnn-checkpoint";
constexpr const char* kVersion = "1";

// CRC-32 over every tensor's name, shape and bytes (in key order) and the state text.
std::string checksum(const nn::StateDict& tensors, const std::string& state) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto feed = [&](const void* data, size_t bytes) {
    const auto* p = static_cast<const Bytef*>(data);
    while (bytes > 0) {
      const uInt chunk = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
      crc = crc32(crc, p, chunk);
      p += chunk;
      bytes -= chunk;
    }
  };
  std::map<std::string, const Tensor*> by_name;  // key order, as the file stores them
  for (const auto& [name, t] : tensors) by_name.emplace(name, &t);
  for (const auto& [name, tensor] : by_name) {
    const Tensor& t = *tensor;
    feed(name.data(), name.size());
    feed(t.shape().data(), t.shape().size() * sizeof(int64_t));
    const Tensor c = t.contiguous();
    const size_t bytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
    feed(c.dtype() == DType::f32 ? static_cast<const void*>(c.data()) : c.data_i64(), bytes);
  }
  feed(state.data(), state.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return hex;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  io::save_safetensors(path, checkpoint.tensors,
                       {{"format", kFormat},
                        {"version", kVersion},
                        {"state", checkpoint.state},
                        {"crc32", checksum(checkpoint.tensors, checkpoint.state)}});
}

Checkpoint load_checkpoint(const std::string& path) {
  io::Metadata meta;
  Checkpoint c;
  c.tensors = io::load_safetensors(path, &meta);
  CNN_CHECK(meta["format"] == kFormat, path, ": not a cnn checkpoint (format '", meta["format"],
            "'; expected '", kFormat, "')");
  CNN_CHECK(meta["version"] == kVersion, path, ": checkpoint version '", meta["version"],
            "' is not supported (this build reads version ", kVersion, ")");
  c.state = meta["state"];
  const std::string computed = checksum(c.tensors, c.state);
  CNN_CHECK(computed == meta["crc32"], path, ": checksum mismatch (stored ", meta["crc32"],
            ", computed ", computed, "): the file is corrupt");
  return c;
}

nn::StateDict with_prefix_removed(const nn::StateDict& tensors, const std::string& prefix) {
  nn::StateDict out;
  const std::string p = prefix + ".";
  for (const auto& [name, t] : tensors)
    if (name.compare(0, p.size(), p) == 0) out.insert(name.substr(p.size()), t);
  return out;
}

void add_with_prefix(nn::StateDict& into, const nn::StateDict& part, const std::string& prefix) {
  for (const auto& [name, t] : part) into.insert(prefix + "." + name, t);
}

}  // namespace cnn::train
