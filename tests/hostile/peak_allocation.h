// The peak of the bytes allocated on the heap while a scope is open, counted by replacing
// malloc and its family in this test program (every allocation, including libpng's, libjpeg's,
// zlib's and protobuf's, goes through them). Used to assert that a reader given a small hostile
// file allocates little, whatever the file declares.
#pragma once

#include <cstdint>

namespace cnn::testing {

/// False in a sanitizer build, where the sanitizer owns malloc and nothing is counted.
bool allocation_counting_available();

/// Counts from construction: peak_bytes() is the largest number of live heap bytes above the
/// count at construction (bytes freed that were allocated before do not lower it below zero).
class PeakAllocation {
 public:
  PeakAllocation();
  int64_t peak_bytes() const;

 private:
  int64_t start_ = 0;
};

}  // namespace cnn::testing
