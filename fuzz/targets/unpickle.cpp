// The restricted unpickler alone (src/io/pth_unpickle.h), on data.pkl as torch.save writes it,
// without the zip around it. Storages are zero-filled, as large as the pickle asks up to
// kMaxFuzzStorageBytes for all of one input's storages together (beyond that the loader
// refuses, as the zip reader refuses storages a small file does not hold): what is fuzzed is
// the pickle's own reading. Copies of views may take kMaxExpansionRatio times the storages'
// bytes plus kMaxExpandedBytes, 48 MiB at most here, under libFuzzer's -malloc_limit_mb=64.
#include <cstring>
#include <memory>
#include <string_view>

#include "cnn/error.h"
#include "fuzz_target.h"
#include "io/pth_unpickle.h"

namespace {

constexpr int64_t kMaxFuzzStorageBytes = int64_t{32} << 10;
int64_t storage_bytes_given = 0;  // to the input being read

std::shared_ptr<cnn::Storage> zero_storage(const std::string& key, cnn::DType dtype,
                                           int64_t numel) {
  const auto element = static_cast<int64_t>(cnn::dtype_size(dtype));
  CNN_CHECK(numel >= 0 && numel <= (kMaxFuzzStorageBytes - storage_bytes_given) / element,
            "storage '", key, "' of ", numel,
            " elements takes the input's storages over the fuzz "
            "target's limit of ",
            kMaxFuzzStorageBytes, " bytes (kMaxFuzzStorageBytes)");
  storage_bytes_given += numel * element;
  auto storage = std::make_shared<cnn::Storage>(static_cast<size_t>(numel * element));
  if (storage->bytes() > 0) std::memset(storage->data(), 0, storage->bytes());
  return storage;
}

}  // namespace

CNN_FUZZ_TARGET(unpickle) {
  storage_bytes_given = 0;
  const std::string_view pickle(reinterpret_cast<const char*>(data), size);
  cnn::io::pickle::load_state_dict(pickle, zero_storage, "data.pkl");
}
