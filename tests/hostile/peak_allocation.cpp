#include "hostile/peak_allocation.h"

#include <atomic>

#include "support/sanitizers.h"

#if !CNN_TEST_UNDER_SANITIZER
#include <malloc.h>

#include <cerrno>
#include <cstddef>

// glibc's own entry points, which the replacements below forward to.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}
#endif

namespace cnn::testing {
namespace {

std::atomic<int64_t> live{0};
std::atomic<int64_t> peak{0};

[[maybe_unused]] void added(void* p) {
#if !CNN_TEST_UNDER_SANITIZER
  if (p == nullptr) return;
  const int64_t now = live.fetch_add(static_cast<int64_t>(malloc_usable_size(p))) +
                      static_cast<int64_t>(malloc_usable_size(p));
  int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
#else
  (void)p;
#endif
}

[[maybe_unused]] void removed(void* p) {
#if !CNN_TEST_UNDER_SANITIZER
  if (p != nullptr) live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)));
#else
  (void)p;
#endif
}

}  // namespace

bool allocation_counting_available() {
#if CNN_TEST_UNDER_SANITIZER
  return false;
#else
  return true;
#endif
}

PeakAllocation::PeakAllocation() : start_(live.load()) {
  peak.store(start_);
}

int64_t PeakAllocation::peak_bytes() const {
  return peak.load() - start_;
}

}  // namespace cnn::testing

#if !CNN_TEST_UNDER_SANITIZER
// The replacements: libstdc++'s operator new calls malloc, so C++ allocations are counted too.
extern "C" {
void* malloc(size_t size) {
  void* p = __libc_malloc(size);
  cnn::testing::added(p);
  return p;
}
void* calloc(size_t count, size_t size) {
  void* p = __libc_calloc(count, size);
  cnn::testing::added(p);
  return p;
}
void* realloc(void* old, size_t size) {
  cnn::testing::removed(old);
  void* p = __libc_realloc(old, size);
  // A failed realloc leaves the old block in place.
  cnn::testing::added(p != nullptr || size == 0 ? p : old);
  return p;
}
void free(void* p) {
  cnn::testing::removed(p);
  __libc_free(p);
}
void* memalign(size_t alignment, size_t size) {
  void* p = __libc_memalign(alignment, size);
  cnn::testing::added(p);
  return p;
}
void* aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  void* p = memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) {
  return memalign(4096, size);
}
void* pvalloc(size_t size) {
  return memalign(4096, (size + 4095) / 4096 * 4096);
}
}
#endif
