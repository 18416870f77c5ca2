#include "core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "cnn/error.h"
#include "core/format.h"

namespace cnn::detail {
namespace {

// What a non-regular file is, in words.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

[[noreturn]] void refuse(const std::string& path, std::string_view what, mode_t mode) {
  fail(path, ": is ", kind_of(mode), ", not a file (", what, " must be a regular file)");
}

}  // namespace

void check_regular_file(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(path, ": cannot open ", what, ": ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse(path, what, st.st_mode);
}

InputFile::InputFile(const std::string& path, std::string_view what) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail(path, ": cannot open ", what, ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int error = errno;
    ::close(fd_);
    fail(path, ": cannot read the file's kind: ", std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    refuse(path, what, st.st_mode);
  }
  // Regular files never block; clear the flag so that later readers see an ordinary fd.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(void* out, uint64_t n, uint64_t offset) const {
  CNN_CHECK(fd_ >= 0, path_, ": read after the file was handed on");
  auto* p = static_cast<char*>(out);
  uint64_t done = 0;
  while (done < n) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n - done, uint64_t{1} << 30));
    const ssize_t got = ::pread(fd_, p + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(path_, ": read error: ", std::strerror(errno));
    if (got == 0)
      fail(path_, ": truncated: ", with_thousands(static_cast<int64_t>(offset + n)),
           " bytes expected, the file has ", with_thousands(static_cast<int64_t>(offset + done)));
    done += static_cast<uint64_t>(got);
  }
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::vector<uint8_t> read_whole_file(const std::string& path, std::string_view what,
                                     uint64_t max_bytes, std::string_view limit_name) {
  const InputFile file(path, what);
  CNN_CHECK(file.size() <= max_bytes, path, ": file of ",
            with_thousands(static_cast<int64_t>(file.size())), " bytes is over the limit of ",
            with_thousands(static_cast<int64_t>(std::min<uint64_t>(max_bytes, INT64_MAX))), " (",
            limit_name, ")");
  std::vector<uint8_t> bytes(static_cast<size_t>(file.size()));
  file.read_at(bytes.data(), bytes.size(), 0);
  return bytes;
}

}  // namespace cnn::detail
