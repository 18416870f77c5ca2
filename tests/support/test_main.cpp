#include <gtest/gtest.h>

// Under AddressSanitizer and ThreadSanitizer (scripts/sanitize.sh), an allocation that cannot
// be served fails as it does in any other build (std::bad_alloc from operator new, null from
// malloc) instead of ending the program with a report: the tests of what the library does
// when memory runs out then run under the sanitizers too. Nothing else of either sanitizer is
// changed; the options in ASAN_OPTIONS / TSAN_OPTIONS still apply on top of these.
extern "C" {
[[maybe_unused]] __attribute__((visibility("default"))) const char* __asan_default_options() {
  return "allocator_may_return_null=1";
}
[[maybe_unused]] __attribute__((visibility("default"))) const char* __tsan_default_options() {
  return "allocator_may_return_null=1";
}
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
