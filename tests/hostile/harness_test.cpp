// The harness itself: the counter sees allocations made through new, malloc and aligned_alloc,
// so that a reader test that passes is not passing because nothing was counted.
#include <cstdlib>
#include <memory>
#include <vector>

#include "hostile/hostile_testing.h"

namespace cnn::testing {
namespace {

TEST(PeakAllocation, CountsEveryAllocator) {
  if (!allocation_counting_available()) GTEST_SKIP() << "the sanitizer owns malloc";
  {
    const PeakAllocation counter;
    auto v = std::make_unique<std::vector<char>>(100 << 20);
    EXPECT_GE(counter.peak_bytes(), 100 << 20);
  }
  {
    const PeakAllocation counter;
    void* p = std::aligned_alloc(64, 80 << 20);
    asm volatile("" : : "g"(p) : "memory");  // keeps the compiler from eliding the pair
    EXPECT_GE(counter.peak_bytes(), 80 << 20);
    std::free(p);
    void* q = std::malloc(1 << 20);
    asm volatile("" : : "g"(q) : "memory");
    std::free(q);
    EXPECT_LT(counter.peak_bytes(), 81 << 20);
  }
}

TEST(PeakAllocation, ExpectRefusedFailsOnAcceptanceAndOnLargeAllocations) {
  if (!allocation_counting_available()) GTEST_SKIP() << "the sanitizer owns malloc";
  const PeakAllocation counter;
  std::vector<char> big(kHostileAllocationLimit + 1);
  EXPECT_GE(counter.peak_bytes(), kHostileAllocationLimit);
}

TEST(InputFile, RefusesWhatIsNotAFile) {
  expect_refused([] { cnn::detail::check_regular_file("/tmp", "an image"); }, "is a folder");
  expect_refused([] { cnn::detail::InputFile("/dev/null", "weights"); }, "character device");
  expect_refused([] { cnn::detail::InputFile("/no/such/file", "weights"); }, "cannot open weights");
}

}  // namespace
}  // namespace cnn::testing
