// The zip container of PyTorch's .pth files (torch.save since 1.6): `<archive>/data.pkl`,
// `<archive>/data/<key>` (one entry per storage, raw little-endian elements) and
// `<archive>/version`. The reader trusts no number in the file: the end-of-central-directory
// record is searched for in the last 64 KiB + 22 bytes only, every offset and size is checked
// against the file's length, entry counts and sizes are capped, names that could escape a
// folder are refused, and every entry's CRC-32 is verified when it is read. Stored and deflated
// entries are supported; zip64 (which torch writes for every file, with real values in the
// classic record too) is read from the zip64 end record and the zip64 extra fields.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/input_file.h"

namespace cnn::io::zip {

struct Entry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed
  uint64_t local_header_offset = 0;
};

class Reader {
 public:
  // Opens `path` (a regular file: FIFOs, folders and devices are refused at once) and reads
  // its central directory; raises cnn::Error naming the file, the offset and the problem.
  explicit Reader(const std::string& path);

  const std::vector<Entry>& entries() const { return entries_; }
  // nullptr when absent.
  const Entry* find(const std::string& name) const;
  // Decompresses `entry` into `dst` (entry.size bytes) and checks its CRC-32.
  void read(const Entry& entry, void* dst);
  std::string read_string(const Entry& entry);
  const std::string& path() const { return file_.path(); }

 private:
  std::string read_at(uint64_t offset, uint64_t size) const;

  detail::InputFile file_;
  const std::string& path_;
  uint64_t file_size_ = 0;
  uint64_t central_offset_ = 0;  // entry data must end before the central directory
  std::vector<Entry> entries_;
};

// A zip archive of stored (uncompressed) entries, data aligned to 64 bytes as torch aligns it
// (padding in the local header's extra field), with zip64 end records as torch writes them.
std::string write_stored(const std::vector<std::pair<std::string, std::string>>& entries);

// Limits that keep a hostile archive from costing memory or time. Every entry's stored bytes
// lie in the file; a deflated entry may claim at most kMaxDeflateRatio times its compressed
// size (deflate's own bound), so what an entry costs is proportional to the file.
inline constexpr uint64_t kMaxEntries = 1u << 20;
inline constexpr uint64_t kMaxEntryBytes = 64ull << 30;
inline constexpr size_t kMaxNameBytes = 4096;
inline constexpr uint64_t kMaxDeflateRatio = 1032;

}  // namespace cnn::io::zip
