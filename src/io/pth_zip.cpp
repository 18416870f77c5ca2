#include "io/pth_zip.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "cnn/error.h"

namespace cnn::io::zip {
namespace {

// Record signatures and fixed sizes (PKWARE APPNOTE 6.3, sections 4.3.7 - 4.3.16).
constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50,
                   kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr uint64_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kEnd64Size = 56,
                   kLocator64Size = 20, kMaxComment = 0xffff;
constexpr uint16_t kZip64ExtraId = 0x0001;

uint64_t le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A name that, extracted, stays inside the extraction folder: relative, no "..", no
// backslashes (Windows separators), no drive letters, no NUL.
bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes || name.front() == '/') return false;
  if (name.find_first_of(std::string("\\:\0", 3)) != std::string::npos) return false;
  size_t begin = 0;
  while (begin <= name.size()) {
    const size_t end = std::min(name.find('/', begin), name.size());
    if (name.compare(begin, end - begin, "..") == 0 && end - begin == 2) return false;
    begin = end + 1;
  }
  return true;
}

uint32_t crc_of(const void* data, uint64_t size) {
  return static_cast<uint32_t>(
      crc32_z(0L, static_cast<const Bytef*>(data), static_cast<z_size_t>(size)));
}

}  // namespace

std::string Reader::read_at(uint64_t offset, uint64_t size) const {
  CNN_CHECK(offset <= file_size_ && size <= file_size_ - offset, path_, ": cannot read ", size,
            " bytes at offset ", offset, " of a ", file_size_, "-byte file");
  std::string bytes(size, '\0');
  file_.read_at(bytes.data(), size, offset);
  return bytes;
}

Reader::Reader(const std::string& path)
    : file_(path, "a .pth file"), path_(file_.path()), file_size_(file_.size()) {
  CNN_CHECK(file_size_ >= kEndSize, path_, ": not a zip archive (", file_size_,
            " bytes, shorter than an end-of-central-directory record)");

  // The end record is the last 22 bytes plus a comment of at most 64 KiB; search backwards.
  const uint64_t tail_size = std::min(file_size_, kEndSize + kMaxComment);
  const uint64_t tail_offset = file_size_ - tail_size;
  const std::string tail = read_at(tail_offset, tail_size);
  const auto* t = reinterpret_cast<const unsigned char*>(tail.data());
  int64_t end_pos = -1;
  for (int64_t i = static_cast<int64_t>(tail_size - kEndSize); i >= 0; --i) {
    if (le(t + i, 4) == kEndSig && i + kEndSize + le(t + i + 20, 2) == tail_size) {
      end_pos = i;
      break;
    }
  }
  CNN_CHECK(end_pos >= 0, path_,
            ": not a zip archive (no end-of-central-directory record; "
            "truncated or not a PyTorch .pth file)");
  const unsigned char* e = t + end_pos;
  const uint64_t end_offset = tail_offset + static_cast<uint64_t>(end_pos);
  CNN_CHECK(le(e + 4, 2) == 0 && le(e + 6, 2) == 0, path_,
            ": multi-disk zip archives are not supported");
  uint64_t count = le(e + 10, 2), cd_size = le(e + 12, 4), cd_offset = le(e + 16, 4);
  uint64_t cd_limit = end_offset;  // the central directory ends before the end records
  if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    // zip64: the locator sits just before the end record and points at the zip64 end record.
    CNN_CHECK(end_offset >= kLocator64Size + kEnd64Size, path_,
              ": zip64 archive too short for its zip64 end records");
    const std::string loc = read_at(end_offset - kLocator64Size, kLocator64Size);
    const auto* l = reinterpret_cast<const unsigned char*>(loc.data());
    CNN_CHECK(le(l, 4) == kLocator64Sig, path_,
              ": zip64 archive without a zip64 locator at offset ", end_offset - kLocator64Size);
    const uint64_t end64_offset = le(l + 8, 8);
    CNN_CHECK(end64_offset <= end_offset - kLocator64Size - kEnd64Size, path_,
              ": zip64 end record offset ", end64_offset, " is past the end of the archive");
    const std::string rec = read_at(end64_offset, kEnd64Size);
    const auto* r = reinterpret_cast<const unsigned char*>(rec.data());
    CNN_CHECK(le(r, 4) == kEnd64Sig, path_, ": no zip64 end record at offset ", end64_offset);
    count = le(r + 32, 8);
    cd_size = le(r + 40, 8);
    cd_offset = le(r + 48, 8);
    cd_limit = end64_offset;
  }
  CNN_CHECK(count <= kMaxEntries, path_, ": ", count, " entries exceed the limit of ", kMaxEntries,
            " (kMaxEntries)");
  CNN_CHECK(cd_offset <= cd_limit && cd_size <= cd_limit - cd_offset, path_,
            ": central directory at offset ", cd_offset, " of ", cd_size,
            " bytes is past the end of the archive (", cd_limit, " bytes before the end records)");
  central_offset_ = cd_offset;
  const std::string cd = read_at(cd_offset, cd_size);
  const auto* c = reinterpret_cast<const unsigned char*>(cd.data());

  std::set<std::string> names;
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = cd_offset + pos;
    CNN_CHECK(cd_size - pos >= kCentralSize && le(c + pos, 4) == kCentralSig, path_,
              ": central directory entry ", i, " at offset ", at, " is truncated or corrupt");
    const unsigned char* h = c + pos;
    const uint64_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
    CNN_CHECK(cd_size - pos - kCentralSize >= name_len + extra_len + comment_len, path_,
              ": central directory entry ", i, " at offset ", at, " runs past the directory");
    Entry entry;
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    CNN_CHECK(safe_name(entry.name), path_, ": refusing entry name '", entry.name,
              "' (absolute, '..', backslash or drive letter: it could escape a folder)");
    CNN_CHECK(names.insert(entry.name).second, path_, ": entry '", entry.name, "' appears twice");
    const uint64_t flags = le(h + 8, 2);
    CNN_CHECK((flags & 1) == 0, path_, ": entry '", entry.name, "' is encrypted");
    entry.method = static_cast<uint16_t>(le(h + 10, 2));
    CNN_CHECK(entry.method == 0 || entry.method == 8, path_, ": entry '", entry.name,
              "' uses compression method ", entry.method, " (stored and deflate are supported)");
    entry.crc32 = static_cast<uint32_t>(le(h + 16, 4));
    entry.compressed_size = le(h + 20, 4);
    entry.size = le(h + 24, 4);
    entry.local_header_offset = le(h + 42, 4);
    // zip64 extra field: the 8-byte values of the saturated 4-byte fields, in this order.
    const unsigned char* x = h + kCentralSize + name_len;
    for (uint64_t xp = 0; xp + 4 <= extra_len;) {
      const uint64_t id = le(x + xp, 2), len = le(x + xp + 2, 2);
      CNN_CHECK(xp + 4 + len <= extra_len, path_, ": entry '", entry.name,
                "' has a corrupt extra field");
      if (id == kZip64ExtraId) {
        uint64_t fp = xp + 4;
        for (uint64_t* field : {&entry.size, &entry.compressed_size, &entry.local_header_offset}) {
          if (*field != 0xffffffff) continue;
          CNN_CHECK(fp + 8 <= xp + 4 + len, path_, ": entry '", entry.name,
                    "' has a short zip64 field");
          *field = le(x + fp, 8);
          fp += 8;
        }
      }
      xp += 4 + len;
    }
    CNN_CHECK(entry.size <= kMaxEntryBytes, path_, ": entry '", entry.name, "' claims ", entry.size,
              " bytes, over the limit of ", kMaxEntryBytes, " (kMaxEntryBytes)");
    CNN_CHECK(entry.method == 8 || entry.compressed_size == entry.size, path_, ": stored entry '",
              entry.name, "' has compressed size ", entry.compressed_size, " but size ",
              entry.size);
    CNN_CHECK(entry.local_header_offset <= cd_offset &&
                  entry.compressed_size <= cd_offset - entry.local_header_offset,
              path_, ": entry '", entry.name, "' at offset ", entry.local_header_offset, " of ",
              entry.compressed_size,
              " bytes is past the end of the data (the central directory "
              "starts at ",
              cd_offset, ")");
    // (compressed_size is now below the file's size: the product cannot overflow)
    CNN_CHECK(entry.method == 0 || entry.size <= entry.compressed_size * kMaxDeflateRatio + 1024,
              path_, ": entry '", entry.name, "' claims ", entry.size, " bytes from ",
              entry.compressed_size, " compressed bytes, more than deflate can produce (",
              kMaxDeflateRatio, " to 1, kMaxDeflateRatio)");
    entries_.push_back(std::move(entry));
    pos += kCentralSize + name_len + extra_len + comment_len;
  }
}

const Entry* Reader::find(const std::string& name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

void Reader::read(const Entry& entry, void* dst) {
  // The local header repeats the name and has its own extra field (torch pads data to 64 bytes
  // with it), so the data's position is known only after reading it.
  const uint64_t at = entry.local_header_offset;
  CNN_CHECK(central_offset_ - at >= kLocalSize, path_, ": local header of '", entry.name,
            "' at offset ", at, " is past the end of the data");
  unsigned char h[kLocalSize];
  file_.read_at(h, kLocalSize, at);
  CNN_CHECK(le(h, 4) == kLocalSig, path_, ": no local header for '", entry.name, "' at offset ",
            at);
  const uint64_t name_len = le(h + 26, 2), extra_len = le(h + 28, 2);
  const uint64_t data_at = at + kLocalSize + name_len + extra_len;
  CNN_CHECK(data_at <= central_offset_ && entry.compressed_size <= central_offset_ - data_at, path_,
            ": data of '", entry.name, "' (", entry.compressed_size, " bytes at offset ", data_at,
            ") runs past the end of the data");
  const std::string local_name = read_at(at + kLocalSize, name_len);
  CNN_CHECK(local_name == entry.name, path_, ": local header at offset ", at, " names '",
            local_name, "', the central directory '", entry.name, "'");
  if (entry.method == 0) {
    file_.read_at(dst, entry.size, data_at);
  } else {
    std::string packed = read_at(data_at, entry.compressed_size);
    z_stream z{};
    CNN_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, path_, ": zlib inflateInit2 failed");
    z.next_in = reinterpret_cast<Bytef*>(packed.data());
    z.next_out = static_cast<Bytef*>(dst);
    // avail_in/avail_out are 32-bit: hand over at most 1 GiB of each per call. inflate advances
    // next_in/next_out; without progress it returns Z_BUF_ERROR, which ends the loop. Output
    // stops at the claimed size: a stream that would inflate further is refused below.
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.avail_in = static_cast<uInt>(std::min<uint64_t>(packed.size() - z.total_in, 1u << 30));
      z.avail_out = static_cast<uInt>(std::min<uint64_t>(entry.size - z.total_out, 1u << 30));
      rc = inflate(&z, Z_NO_FLUSH);
    }
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    CNN_CHECK(rc == Z_STREAM_END && produced == entry.size, path_, ": entry '", entry.name,
              "' does not inflate to its ", entry.size, " bytes (corrupt deflate data)");
  }
  const uint32_t crc = crc_of(dst, entry.size);
  CNN_CHECK(crc == entry.crc32, path_, ": entry '", entry.name, "' fails its CRC-32 check (stored ",
            entry.crc32, ", computed ", crc, ")");
}

std::string Reader::read_string(const Entry& entry) {
  std::string bytes(entry.size, '\0');
  read(entry, bytes.data());
  return bytes;
}

std::string write_stored(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, central;
  for (const auto& [name, data] : entries) {
    CNN_CHECK(safe_name(name), "zip: refusing to write entry name '", name, "'");
    CNN_CHECK(out.size() < 0xffffffffull && data.size() < 0xffffffffull, "zip: entry '", name,
              "' would lie past 4 GiB, which needs zip64 entries (not written; use .safetensors)");
    const uint64_t offset = out.size();
    const uint32_t crc = crc_of(data.data(), data.size());
    // Pad with an extra field (id 'FB', as torch) so the data starts on a 64-byte boundary.
    const uint64_t unpadded = offset + kLocalSize + name.size() + 4;
    const uint64_t pad = (64 - unpadded % 64) % 64;
    put(out, kLocalSig, 4);
    put(out, 20, 2);  // version needed: 2.0
    put(out, 0, 2);   // flags
    put(out, 0, 2);   // stored
    put(out, 0, 4);   // time, date
    put(out, crc, 4);
    put(out, data.size(), 4);
    put(out, data.size(), 4);
    put(out, name.size(), 2);
    put(out, 4 + pad, 2);
    out += name;
    put(out, 0x4246, 2);
    put(out, pad, 2);
    out.append(pad, 'Z');
    out += data;

    put(central, kCentralSig, 4);
    put(central, 20, 2);  // made by
    put(central, 20, 2);  // needed
    put(central, 0, 2);
    put(central, 0, 2);
    put(central, 0, 4);
    put(central, crc, 4);
    put(central, data.size(), 4);
    put(central, data.size(), 4);
    put(central, name.size(), 2);
    put(central, 0, 2);  // extra
    put(central, 0, 2);  // comment
    put(central, 0, 2);  // disk
    put(central, 0, 2);  // internal attributes
    put(central, 0, 4);  // external attributes
    put(central, offset, 4);
    central += name;
  }
  const uint64_t cd_offset = out.size();
  CNN_CHECK(cd_offset + central.size() < 0xffffffffull && entries.size() < 0xffff,
            "zip: archive over 4 GiB or 65535 entries (not written; use .safetensors)");
  out += central;
  const uint64_t end64_offset = out.size();
  put(out, kEnd64Sig, 4);
  put(out, kEnd64Size - 12, 8);  // size of the rest of the record
  put(out, 45, 2);
  put(out, 45, 2);
  put(out, 0, 4);
  put(out, 0, 4);
  put(out, entries.size(), 8);
  put(out, entries.size(), 8);
  put(out, central.size(), 8);
  put(out, cd_offset, 8);
  put(out, kLocator64Sig, 4);
  put(out, 0, 4);
  put(out, end64_offset, 8);
  put(out, 1, 4);
  put(out, kEndSig, 4);
  put(out, 0, 4);
  put(out, entries.size(), 2);
  put(out, entries.size(), 2);
  put(out, central.size(), 4);
  put(out, cd_offset, 4);
  put(out, 0, 2);
  return out;
}

}  // namespace cnn::io::zip
