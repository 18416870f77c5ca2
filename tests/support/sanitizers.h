// CNN_TEST_UNDER_SANITIZER: 1 when the test is built with AddressSanitizer or ThreadSanitizer
// (GCC defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, clang answers __has_feature), for
// the few tests whose method the sanitizer rules out: replacing malloc, or limiting the address
// space the sanitizer's shadow memory needs.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CNN_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CNN_TEST_UNDER_SANITIZER 1
#endif
#endif
#ifndef CNN_TEST_UNDER_SANITIZER
#define CNN_TEST_UNDER_SANITIZER 0
#endif
