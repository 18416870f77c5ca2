// Where tensor storage comes from. Blocks of 64 KiB and more are kept, when freed, in a cache
// keyed by size and handed out again to the next request of that size: a training step
// allocates the same activations and gradients every time, so in steady state it takes its
// memory from the cache instead of mapping (and zeroing) fresh pages from the system. The
// cache holds at most kMaxCachedBytes; beyond that, freed blocks go back to the system, and
// an allocation that fails empties the cache and tries once more.
#pragma once

#include <cstddef>

namespace cnn::memory {

inline constexpr size_t kAlignment = 64;
inline constexpr size_t kMinCachedBytes = size_t{64} << 10;
inline constexpr size_t kMaxCachedBytes = size_t{2} << 30;

// `bytes` rounded up to a multiple of kAlignment (at least one), 64-byte aligned; throws
// std::bad_alloc when the system has no memory left.
void* allocate(size_t bytes);
void release(void* data, size_t bytes);

// Returns every cached block to the system.
void release_cached();
// Bytes held in the cache now (tests, diagnostics).
size_t cached_bytes();

}  // namespace cnn::memory
