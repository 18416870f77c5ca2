// Helpers for tests that hold a fast kernel to its reference on raw float buffers.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "cnn/parallel.h"

namespace cnn::testing {

// Bitwise equality (NaN payloads and signed zeros included); reports the first difference.
template <class T>
::testing::AssertionResult same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0)
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

// An output buffer for a fast kernel, filled with NaN: an element left unwritten shows.
inline std::vector<float> unwritten(int64_t n) {
  return std::vector<float>(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
}

// A test parameterized by the thread count it runs its kernels with.
class AtThreads : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { threads_.emplace(GetParam()); }
  void TearDown() override { threads_.reset(); }

 private:
  std::optional<ThreadCountGuard> threads_;
};

}  // namespace cnn::testing
