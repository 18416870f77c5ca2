// Temporary files written beside their targets (".NAME.tmp-XXXXXX", renamed over NAME when
// complete: checkpoints, metrics, pictures) must not outlive an interrupted write. While one
// is being written it is registered here; a handler of a fatal signal calls
// remove_temporary_files(), which is async-signal-safe, before the process ends; and what a
// process killed outright (SIGKILL, power loss) left behind is removed by
// remove_stale_temporary_files() when the folder is next used.
#pragma once

#include <string>

namespace cnn::io {

/// Registers `path` for the scope's lifetime. At most kSlots paths are registered at once (one
/// per thread writing); a path over the slots or over kMaxPath bytes is simply not registered.
class TemporaryFile {
 public:
  static constexpr int kSlots = 16;
  static constexpr size_t kMaxPath = 4096;
  explicit TemporaryFile(const std::string& path);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

 private:
  int slot_ = -1;
};

/// Unlinks every registered temporary file. Async-signal-safe (only atomics and unlink).
void remove_temporary_files() noexcept;

/// Removes files named ".NAME.tmp-XXXXXX" (six letters or digits, mkstemp's suffix) directly
/// in `folder`; returns how many. For a folder only this process writes (a run folder).
int remove_stale_temporary_files(const std::string& folder);

}  // namespace cnn::io
