// One gzip member inflated from a file with zlib's inflate (the IDX reader's .gz path). Unlike
// zlib's gzread, which reads concatenated members and skips what follows them, it refuses any
// byte after the first member, as the raw IDX path refuses trailing data; and it bounds what a
// small file can make it produce by a compression-ratio limit, checked as the data arrives.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/input_file.h"

namespace cnn::data::detail {

/// Compressed bytes read from the file at a time.
inline constexpr uint64_t kGzipInputChunkBytes = uint64_t{64} << 10;

class GzipMember {
 public:
  /// `file` must outlive the member and start with a gzip header. `max_ratio` is the most
  /// bytes inflated per compressed byte read (at least 1); `limit_name` names it in messages.
  GzipMember(const cnn::detail::InputFile& file, int64_t max_ratio, std::string limit_name);
  ~GzipMember();
  GzipMember(const GzipMember&) = delete;
  GzipMember& operator=(const GzipMember&) = delete;

  /// Inflates up to `n` bytes into `out` and returns how many; fewer than `n` only when the
  /// member has ended. Raises cnn::Error naming the file on a corrupt or truncated stream and
  /// when the output outgrows `max_ratio` times the compressed bytes read.
  uint64_t read(uint8_t* out, uint64_t n);

  /// Raises unless the member has ended and the file holds no byte after it.
  void expect_end_of_file() const;

 private:
  void refill();
  void check_ratio() const;

  const cnn::detail::InputFile& file_;
  int64_t max_ratio_;
  std::string limit_name_;
  z_stream stream_{};
  std::vector<uint8_t> input_;
  uint64_t offset_ = 0;  // the next file byte to read into input_
  bool ended_ = false;
};

}  // namespace cnn::data::detail
