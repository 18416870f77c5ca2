// The IDX reader's gzip path: the input is an IDX file that the target gzips before the reader
// sees it, so that the fuzzer mutates the IDX content under a valid gzip stream (in `idx`, most
// mutations of a .gz seed only break its checksum). The gzip stream's own corruptions are the
// `idx` target's.
#include <zlib.h>

#include <cstdlib>
#include <vector>

#include "cnn/data/idx.h"
#include "fuzz_target.h"

namespace {

// One deflate stream for the process, reset per input: initializing one allocates and clears
// about 270 KB, which was most of this target's time.
z_stream& deflater() {
  static z_stream z = [] {
    z_stream s{};
    // 15 window bits + 16: a gzip header and trailer instead of zlib's
    if (deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      std::abort();
    return s;
  }();
  return z;
}

std::vector<uint8_t> gzipped(const uint8_t* data, size_t size) {
  z_stream& z = deflater();
  if (deflateReset(&z) != Z_OK) std::abort();
  std::vector<uint8_t> out(deflateBound(&z, size));
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  return out;
}

}  // namespace

CNN_FUZZ_TARGET(idx_gzip) {
  const std::vector<uint8_t> gz = gzipped(data, size);
  const std::string path = cnn::fuzz::input_file(gz.data(), gz.size(), "input-idx3-ubyte.gz");
  const cnn::data::IdxArray array = cnn::data::read_idx(path);
  if (array.shape.size() == 3) cnn::data::idx_images_to_tensor(array, path);
}
