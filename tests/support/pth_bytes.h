// .pth files written byte by byte for the reader's tests (tests/io/pth_test.cpp) and the
// hostile-input tests (tests/hostile/weights_readers_test.cpp): pickle opcodes as in Python's
// Lib/pickletools.py, the zip archive torch.save writes, and little-endian fields to patch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/pth_zip.h"

namespace cnn::testing::pth_bytes {

/// BINUNICODE: a string with its 4-byte length.
inline std::string str(const std::string& s) {
  std::string out = "X";
  for (int k = 0; k < 4; ++k) out += static_cast<char>((s.size() >> (8 * k)) & 0xff);
  return out + s;
}
/// LONG1 with 8 bytes.
inline std::string i64(int64_t v) {
  std::string out = "\x8a\x08";
  for (int k = 0; k < 8; ++k)
    out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff);
  return out;
}
/// A tuple of LONG1 values.
inline std::string tuple(const std::vector<int64_t>& v) {
  std::string out = "(";
  for (int64_t e : v) out += i64(e);
  return out + "t";
}
/// {"w": _rebuild_tensor_v2(storage '0' of `numel` elements, offset, size, stride, False,
/// OrderedDict())}
inline std::string tensor_pickle(int64_t numel, const std::vector<int64_t>& size,
                                 const std::vector<int64_t>& stride, int64_t offset = 0,
                                 const std::string& storage_type = "FloatStorage") {
  return std::string("\x80\x02}(") + str("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" +
         str("storage") + "ctorch\n" + storage_type + "\n" + str("0") + str("cpu") + i64(numel) +
         "tQ" + i64(offset) + tuple(size) + tuple(stride) + "\x89" +
         "ccollections\nOrderedDict\n)RtRu.";
}
/// The zip archive torch.save writes, with `pickle` as data.pkl and `data` as storage '0'.
inline std::string archive(const std::string& pickle, const std::string& data = "") {
  return io::zip::write_stored(
      {{"archive/data.pkl", pickle}, {"archive/data/0", data}, {"archive/version", "3\n"}});
}
/// The `n`-byte little-endian field at `at`.
inline uint64_t get_le(const std::string& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}
inline void set_le(std::string& b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace cnn::testing::pth_bytes
