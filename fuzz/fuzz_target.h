// A fuzz target: a function of one input's bytes that runs one reader of the library on them.
// A cnn::Error is the reader refusing the input, a normal outcome; anything else is a finding:
// another exception (reported with its message, then abort), a crash, a sanitizer report, a
// leak, an allocation over libFuzzer's -malloc_limit_mb, or a hang past -timeout.
//
// The same source builds two ways (fuzz/CMakeLists.txt):
//   - with libFuzzer (CNN_FUZZ=ON, clang): CNN_FUZZ_TARGET defines LLVMFuzzerTestOneInput, one
//     program per target (fuzz_png, fuzz_idx, ...);
//   - without it (any build with tests): every target registers itself by name in one program,
//     fuzz_replay, which ctest runs on the saved findings in fuzz/regressions/<target>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cnn::fuzz {

using TargetFunction = void (*)(const uint8_t* data, size_t size);

/// Runs `target` on one input: returns "" when it accepts the input and the message when it
/// refuses it with a cnn::Error; prints the exception and aborts on any other exception.
std::string run_input(std::string_view target_name, TargetFunction target, const uint8_t* data,
                      size_t size);

/// Records a target for fuzz_replay (fuzz/replay_main.cpp).
struct Registration {
  Registration(const char* name, TargetFunction target);
};
/// The target registered under `name`, or nullptr.
TargetFunction find_target(std::string_view name);
/// The names of the registered targets, sorted.
std::string registered_targets();

/// Writes the input to a file in a private folder on /dev/shm (the temporary folder when there
/// is none) and returns its path, for readers that take a path. `name` gives the file its
/// extension ("input.png"), since some callers choose the reader by it. The folder is removed
/// at exit.
std::string input_file(const uint8_t* data, size_t size, std::string_view name);

}  // namespace cnn::fuzz

#ifdef CNN_LIBFUZZER
#define CNN_FUZZ_TARGET(name)                                               \
  static void cnn_fuzz_target_##name(const uint8_t* data, size_t size);     \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    ::cnn::fuzz::run_input(#name, cnn_fuzz_target_##name, data, size);      \
    return 0;                                                               \
  }                                                                         \
  static void cnn_fuzz_target_##name(const uint8_t* data, size_t size)
#else
#define CNN_FUZZ_TARGET(name)                                                                  \
  static void cnn_fuzz_target_##name(const uint8_t* data, size_t size);                        \
  static const ::cnn::fuzz::Registration cnn_fuzz_registration_##name(#name,                   \
                                                                      cnn_fuzz_target_##name); \
  static void cnn_fuzz_target_##name(const uint8_t* data, size_t size)
#endif
