// The restricted unpickler alone (src/io/pth_unpickle.h), on data.pkl as torch.save writes it,
// without the zip around it. Storages are zero-filled, as large as the pickle asks up to
// kMaxFuzzStorageBytes (beyond that the loader refuses, as a zip entry that size would be
// refused for not being in a small file): what is fuzzed is the pickle's own reading.
#include <cstring>
#include <memory>
#include <string_view>

#include "cnn/error.h"
#include "fuzz_target.h"
#include "io/pth_unpickle.h"

namespace {

constexpr int64_t kMaxFuzzStorageBytes = int64_t{16} << 20;

std::shared_ptr<cnn::Storage> zero_storage(const std::string& key, cnn::DType dtype,
                                           int64_t numel) {
  const auto element = static_cast<int64_t>(cnn::dtype_size(dtype));
  CNN_CHECK(numel >= 0 && numel <= kMaxFuzzStorageBytes / element, "storage '", key, "' of ", numel,
            " elements is over the fuzz target's limit of ", kMaxFuzzStorageBytes,
            " bytes (kMaxFuzzStorageBytes)");
  auto storage = std::make_shared<cnn::Storage>(static_cast<size_t>(numel * element));
  if (storage->bytes() > 0) std::memset(storage->data(), 0, storage->bytes());
  return storage;
}

}  // namespace

CNN_FUZZ_TARGET(unpickle) {
  const std::string_view pickle(reinterpret_cast<const char*>(data), size);
  cnn::io::pickle::load_state_dict(pickle, zero_storage, "data.pkl");
}
