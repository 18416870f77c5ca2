#include "core/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace cnn::memory {
namespace {

size_t rounded(size_t bytes) {
  return bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> blocks;
  size_t bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may outlive static destructors
  return *c;
}

}  // namespace

void* allocate(size_t bytes) {
  const size_t size = rounded(bytes);
  if (size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    const auto it = c.blocks.find(size);
    if (it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.bytes -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (p == nullptr) {
    release_cached();
    p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

void release(void* data, size_t bytes) {
  if (data == nullptr) return;
  const size_t size = rounded(bytes);
  if (size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (c.bytes + size <= kMaxCachedBytes) {
      c.blocks.emplace(size, data);
      c.bytes += size;
      return;
    }
  }
  std::free(data);
}

void release_cached() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  for (auto& [size, p] : c.blocks) std::free(p);
  c.blocks.clear();
  c.bytes = 0;
}

size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.bytes;
}

}  // namespace cnn::memory
