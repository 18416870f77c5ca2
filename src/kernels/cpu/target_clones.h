// Marks a function to be compiled for AVX-512 (x86-64-v4), AVX2+FMA (x86-64-v3) and baseline
// x86-64, the loader picking the version the CPU runs (GCC's function multiversioning): plain
// loops over contiguous channels then vectorize for the machine at hand. Put it on functions
// that do a lot of work per call (a row, a block of rows), not on tiny helpers: each call goes
// through an indirect jump, and the helpers it calls are inlined into every version.
//
// Under ThreadSanitizer the functions are compiled once, for baseline x86-64: the versions'
// resolver (an ifunc) runs while the dynamic loader relocates the program, before TSan's
// runtime is up, and its instrumented code crashes there. The hand-written AVX2 and AVX-512
// kernels (chosen at run time, kernels/cpu/isa.h) are unaffected.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define CNN_TARGET_CLONES_OFF 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CNN_TARGET_CLONES_OFF 1
#endif
#endif

#ifdef CNN_TARGET_CLONES_OFF
#define CNN_TARGET_CLONES
#else
#define CNN_TARGET_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
