// Input files: every reader opens what it reads through these, so that a FIFO, a socket, a
// device or a folder given where a file is expected is refused at once, with its kind named,
// instead of being opened for a read that blocks forever or never ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cnn::detail {

/// Raises cnn::Error unless `path` names a regular file (after following symbolic links):
/// "PATH: is a folder, not a file (WHAT)". `what` says what the file was for ("weights").
void check_regular_file(const std::string& path, std::string_view what);

/// A regular file open for reading. The open uses O_NONBLOCK and the kind is checked on the
/// open descriptor, so a FIFO swapped in after a check still never blocks the caller.
class InputFile {
 public:
  InputFile(const std::string& path, std::string_view what);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  /// The file's size when it was opened.
  uint64_t size() const { return size_; }
  /// Reads exactly `n` bytes at `offset`; raises naming the file when fewer are there.
  void read_at(void* out, uint64_t n, uint64_t offset) const;
  /// Hands the descriptor to the caller (for zlib's gzdopen); the caller closes it.
  int release();

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

/// The whole of a regular file, refused before any allocation when it is over `max_bytes`
/// ("PATH: file of N bytes is over the limit of M (LIMIT_NAME)").
std::vector<uint8_t> read_whole_file(const std::string& path, std::string_view what,
                                     uint64_t max_bytes, std::string_view limit_name);

}  // namespace cnn::detail
