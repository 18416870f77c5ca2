#include "data/gzip_member.h"

#include <algorithm>
#include <utility>

#include "cnn/error.h"
#include "core/format.h"

namespace cnn::data::detail {
namespace {

using cnn::detail::with_thousands;

int64_t as_count(uint64_t n) {
  return static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
}

}  // namespace

GzipMember::GzipMember(const cnn::detail::InputFile& file, int64_t max_ratio,
                       std::string limit_name)
    : file_(file), max_ratio_(max_ratio), limit_name_(std::move(limit_name)) {
  CNN_CHECK(max_ratio >= 1, file.path(), ": the compression-ratio limit must be at least 1, got ",
            max_ratio, " (", limit_name_, ")");
  // 16 + MAX_WBITS: a gzip header and trailer around the deflate data, nothing else accepted.
  const int status = inflateInit2(&stream_, 16 + MAX_WBITS);
  CNN_CHECK(status == Z_OK, file.path(), ": cannot start zlib's inflate (",
            status == Z_MEM_ERROR ? "out of memory" : "zlib error", ")");
}

GzipMember::~GzipMember() {
  inflateEnd(&stream_);
}

void GzipMember::refill() {
  const uint64_t n = std::min(kGzipInputChunkBytes, file_.size() - offset_);
  if (n == 0) return;
  input_.resize(static_cast<size_t>(n));
  file_.read_at(input_.data(), n, offset_);
  offset_ += n;
  stream_.next_in = input_.data();
  stream_.avail_in = static_cast<uInt>(n);
}

// Deflate cannot exceed about 1032:1, so the default limit refuses no valid stream; a lower
// one stops a highly compressed file as soon as its output outgrows the input read so far.
void GzipMember::check_ratio() const {
  const uint64_t in = stream_.total_in, out = stream_.total_out;
  CNN_CHECK(out / static_cast<uint64_t>(max_ratio_) <= in, file_.path(), ": gzip stream inflates ",
            with_thousands(as_count(in)), " compressed bytes read so far into ",
            with_thousands(as_count(out)), " bytes, over the compression-ratio limit of ",
            with_thousands(max_ratio_), ":1 (", limit_name_, ")");
}

uint64_t GzipMember::read(uint8_t* out, uint64_t n) {
  uint64_t done = 0;
  while (done < n && !ended_) {
    if (stream_.avail_in == 0) refill();
    const auto room = static_cast<uInt>(std::min<uint64_t>(n - done, uint64_t{1} << 30));
    stream_.next_out = out + done;
    stream_.avail_out = room;
    const int status = inflate(&stream_, Z_NO_FLUSH);
    done += room - stream_.avail_out;
    check_ratio();
    switch (status) {
      case Z_STREAM_END:
        ended_ = true;
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:  // no progress: more input is needed
        CNN_CHECK(stream_.avail_in > 0 || offset_ < file_.size(), file_.path(),
                  ": gzip stream ends early, after ", with_thousands(as_count(file_.size())),
                  " bytes (truncated .gz file)");
        break;
      case Z_MEM_ERROR:
        fail(file_.path(), ": out of memory inflating the gzip stream");
      default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
        fail(file_.path(), ": corrupt gzip stream: ",
             stream_.msg != nullptr ? stream_.msg : "invalid deflate data", " (after ",
             with_thousands(as_count(stream_.total_in)), " compressed bytes)");
    }
  }
  return done;
}

void GzipMember::expect_end_of_file() const {
  CNN_CHECK(ended_, file_.path(), ": the gzip stream goes on past the end of the IDX data");
  const uint64_t after = stream_.avail_in + (file_.size() - offset_);
  CNN_CHECK(after == 0, file_.path(), ": ", with_thousands(as_count(after)),
            " bytes after the end of the gzip stream (a second gzip member or trailing data; "
            "the file must be one gzip member, as gzip writes it)");
}

}  // namespace cnn::data::detail
