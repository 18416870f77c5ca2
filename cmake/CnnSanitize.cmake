# Sanitizer and fuzzing builds (docs/RELIABILITY.md). Both options apply to everything the
# project builds, libraries, the `cnn` program and the tests alike, so must be read before any
# target is declared. A default build (CNN_SANITIZE empty, CNN_FUZZ OFF) is unchanged.
#
#   -DCNN_SANITIZE=address,undefined   AddressSanitizer + UndefinedBehaviorSanitizer: any
#                                      undefined behaviour aborts the test that hit it
#   -DCNN_SANITIZE=thread              ThreadSanitizer (the thread pool, the loader, training)
#   -DCNN_FUZZ=ON                      clang only: ASan + UBSan + libFuzzer's coverage
#                                      instrumentation everywhere, and the targets in fuzz/
set(CNN_SANITIZE "" CACHE STRING
  "Sanitizers for every target: empty, 'address,undefined' or 'thread'")
set_property(CACHE CNN_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")
option(CNN_FUZZ "Build the libFuzzer targets in fuzz/ (clang only; implies ASan + UBSan)" OFF)

# The sanitizers' optimisation level: fast enough to run the whole test suite, low enough that
# the reports point at the right line. It comes after the build type's -O3 and so wins.
set(CNN_SANITIZE_OPT_LEVEL -O2 CACHE STRING "Optimisation level of sanitizer and fuzzing builds")

set(cnn_sanitizers "${CNN_SANITIZE}")
if(CNN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CNN_FUZZ=ON needs clang (libFuzzer): configure with "
      "-DCMAKE_CXX_COMPILER=clang++ (scripts/fuzz.sh does)")
  endif()
  if(cnn_sanitizers STREQUAL "")
    set(cnn_sanitizers "address,undefined")
  elseif(NOT cnn_sanitizers STREQUAL "address,undefined")
    message(FATAL_ERROR "CNN_FUZZ=ON runs under address,undefined, not '${cnn_sanitizers}'")
  endif()
endif()

if(NOT cnn_sanitizers STREQUAL "")
  if(NOT cnn_sanitizers MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "CNN_SANITIZE='${cnn_sanitizers}': use 'address,undefined' or 'thread'")
  endif()
  set(cnn_sanitize_flags -fsanitize=${cnn_sanitizers} -fno-omit-frame-pointer -g
      ${CNN_SANITIZE_OPT_LEVEL})
  if(cnn_sanitizers MATCHES "undefined")
    # A report is a failure, not a line in a log nobody reads.
    list(APPEND cnn_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  if(CNN_FUZZ)
    # Coverage for libFuzzer in every object; only the fuzz targets link its main (fuzz/).
    list(APPEND cnn_sanitize_flags -fsanitize=fuzzer-no-link)
  endif()
  add_compile_options(${cnn_sanitize_flags})
  add_link_options(-fsanitize=${cnn_sanitizers})
  message(STATUS "cnn: sanitizers ${cnn_sanitizers}: ${cnn_sanitize_flags}")
endif()
