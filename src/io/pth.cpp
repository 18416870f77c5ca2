#include "cnn/io/pth.h"

#include <cstring>
#include <filesystem>
#include <new>

#include "cnn/error.h"
#include "core/input_file.h"
#include "io/atomic_file.h"
#include "io/file_signature.h"
#include "io/pth_unpickle.h"
#include "io/pth_zip.h"

namespace cnn::io {
namespace {

nn::StateDict read_archive(const std::string& path, ModuleVersions* versions) {
  {
    const detail::InputFile file(path, "a .pth file");
    const FileSignature signature = file_signature(file);
    if (signature == FileSignature::torch_legacy || signature == FileSignature::pickle)
      refuse_pickle_file(path, signature);
  }
  zip::Reader archive(path);
  // torch names every entry "<archive>/...", <archive> being the file's stem (torch < 2) or
  // "archive"; data.pkl sits directly in it.
  const zip::Entry* pickle = nullptr;
  for (const zip::Entry& e : archive.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      CNN_CHECK(pickle == nullptr, path, ": two data.pkl entries ('", pickle->name, "', '", e.name,
                "')");
      pickle = &e;
    }
  }
  CNN_CHECK(pickle != nullptr, path,
            ": zip archive without <archive>/data.pkl: not a torch.save file");
  const std::string prefix = pickle->name.substr(0, pickle->name.size() - std::strlen("data.pkl"));
  if (const zip::Entry* order = archive.find(prefix + "byteorder")) {
    CNN_CHECK(order->size <= 16 && archive.read_string(*order) == "little", path,
              ": tensors are stored big-endian; only little-endian files are supported");
  }
  CNN_CHECK(pickle->size <= pickle::kMaxPickleBytes, path, ": '", pickle->name, "' is ",
            pickle->size, " bytes, over the limit of ", pickle::kMaxPickleBytes,
            " for a state_dict's pickle (kMaxPickleBytes)");
  const std::string bytes = archive.read_string(*pickle);

  auto load_storage = [&](const std::string& key, DType dtype, int64_t numel) {
    const std::string name = detail::concat(prefix, "data/", key);
    const zip::Entry* entry = archive.find(name);
    CNN_CHECK(entry != nullptr, path, ": storage '", key, "' has no entry '", name, "'");
    // The claimed element count must match the entry's real size, before anything is allocated.
    uint64_t needed = 0;
    CNN_CHECK(!__builtin_mul_overflow(static_cast<uint64_t>(numel), dtype_size(dtype), &needed) &&
                  needed == entry->size,
              path, ": storage '", key, "' claims ", numel, " elements of ", dtype_name(dtype),
              " but entry '", name, "' holds ", entry->size, " bytes");
    auto storage = std::make_shared<Storage>(static_cast<size_t>(needed));
    archive.read(*entry, storage->data());
    return storage;
  };
  pickle::StateDictPickle loaded = pickle::load_state_dict(bytes, load_storage, path);
  nn::StateDict out;
  for (auto& [name, tensor] : loaded.tensors) out.insert(name, std::move(tensor));
  if (versions != nullptr) *versions = std::move(loaded.versions);
  return out;
}

}  // namespace

nn::StateDict load_pth(const std::string& path, ModuleVersions* versions) {
  try {
    return read_archive(path, versions);
  } catch (const std::bad_alloc&) {
    fail(path, ": out of memory reading the .pth file");
  }
}

void save_pth(const std::string& path, const nn::StateDict& tensors,
              const ModuleVersions& versions) {
  std::vector<std::pair<std::string, Tensor>> dense;
  for (const auto& [name, t] : tensors) {
    CNN_CHECK(t.defined(), "save_pth: tensor '", name, "' is undefined");
    Tensor c = t.contiguous();
    if (c.offset() != 0) c = c.clone();
    dense.emplace_back(name, c);
  }
  // The archive folder is the file's stem, as torch < 2 names it; torch >= 2 accepts any.
  std::string stem = std::filesystem::path(path).stem().string();
  if (stem.empty() || stem.find_first_of("\\:.") != std::string::npos) stem = "archive";
  std::vector<std::pair<std::string, std::string>> entries;
  entries.emplace_back(stem + "/data.pkl", pickle::write_state_dict(dense, versions));
  for (size_t i = 0; i < dense.size(); ++i) {
    const Tensor& t = dense[i].second;
    const char* src = t.dtype() == DType::f32 ? reinterpret_cast<const char*>(t.data())
                                              : reinterpret_cast<const char*>(t.data_i64());
    entries.emplace_back(detail::concat(stem, "/data/", i),
                         std::string(src, static_cast<size_t>(t.numel()) * dtype_size(t.dtype())));
  }
  entries.emplace_back(stem + "/version", "3\n");
  write_file_atomically(path, zip::write_stored(entries));
}

bool is_zip_file(const std::string& path) {
  return file_signature(detail::InputFile(path, "a weights file")) == FileSignature::zip;
}

bool is_pickle_file(const std::string& path) {
  const FileSignature s = file_signature(detail::InputFile(path, "a weights file"));
  return s == FileSignature::torch_legacy || s == FileSignature::pickle;
}

}  // namespace cnn::io
