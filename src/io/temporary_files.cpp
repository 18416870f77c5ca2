#include "io/temporary_files.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cstring>
#include <filesystem>

namespace cnn::io {
namespace {

// A slot is free (0), being filled or emptied (1), or holds a path (2). The signal handler
// reads only slots in state 2, whose path is complete and stays put until the state changes.
struct Slot {
  std::atomic<int> state{0};
  std::array<char, TemporaryFile::kMaxPath> path{};
};
static_assert(std::atomic<int>::is_always_lock_free);  // safe to read in a signal handler

std::array<Slot, TemporaryFile::kSlots> g_slots;

bool is_temporary_name(const std::string& name) {
  constexpr std::string_view kMarker = ".tmp-";
  constexpr size_t kSuffix = 6;
  if (name.size() < 1 + 1 + kMarker.size() + kSuffix || name[0] != '.') return false;
  const size_t marker = name.size() - kSuffix - kMarker.size();
  if (name.compare(marker, kMarker.size(), kMarker) != 0) return false;
  for (size_t i = name.size() - kSuffix; i < name.size(); ++i)
    if (std::isalnum(static_cast<unsigned char>(name[i])) == 0) return false;
  return true;
}

}  // namespace

TemporaryFile::TemporaryFile(const std::string& path) {
  if (path.size() >= kMaxPath) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_slots[i].path.data(), path.c_str(), path.size() + 1);
    g_slots[i].state.store(2, std::memory_order_release);
    slot_ = i;
    return;
  }
}

TemporaryFile::~TemporaryFile() {
  if (slot_ >= 0) g_slots[slot_].state.store(0, std::memory_order_release);
}

void remove_temporary_files() noexcept {
  for (Slot& s : g_slots)
    if (s.state.load(std::memory_order_acquire) == 2) ::unlink(s.path.data());
}

int remove_stale_temporary_files(const std::string& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec))
    if (e.is_regular_file(ec) && is_temporary_name(e.path().filename().string()) &&
        fs::remove(e.path(), ec))
      ++removed;
  return removed;
}

}  // namespace cnn::io
