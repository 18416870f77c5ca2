// The storage cache: a freed large block is handed out again for the next request of its
// size, small blocks are not cached, and the cache can be emptied.
#include <gtest/gtest.h>

#include "cnn/tensor.h"
#include "core/allocator.h"

namespace cnn {
namespace {

TEST(Allocator, ReusesFreedLargeBlocksOfTheSameSize) {
  memory::release_cached();
  const void* first = nullptr;
  {
    Tensor t = Tensor::empty({1000, 100});  // 400,000 bytes
    first = t.data();
  }
  EXPECT_EQ(memory::cached_bytes(), 400000u);
  Tensor again = Tensor::empty({100, 1000});  // the same byte count
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(memory::cached_bytes(), 0u);
  const Tensor zeros = Tensor::zeros({1000, 100});  // a fresh block, zero-filled
  EXPECT_NE(zeros.data(), first);
  EXPECT_EQ(zeros.to_vector(), std::vector<float>(100000, 0.0f));
}

TEST(Allocator, SmallBlocksAreNotCachedAndTheCacheEmpties) {
  memory::release_cached();
  { Tensor small = Tensor::empty({100}); }
  EXPECT_EQ(memory::cached_bytes(), 0u);
  { Tensor big = Tensor::empty({1 << 16}); }
  EXPECT_EQ(memory::cached_bytes(), size_t{1} << 18);
  memory::release_cached();
  EXPECT_EQ(memory::cached_bytes(), 0u);
}

}  // namespace
}  // namespace cnn
