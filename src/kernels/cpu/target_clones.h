// Marks a function to be compiled for AVX-512 (x86-64-v4), AVX2+FMA (x86-64-v3) and baseline
// x86-64, the loader picking the version the CPU runs (GCC's function multiversioning): plain
// loops over contiguous channels then vectorize for the machine at hand. Put it on functions
// that do a lot of work per call (a row, a block of rows), not on tiny helpers: each call goes
// through an indirect jump, and the helpers it calls are inlined into every version.
#pragma once

#define CNN_TARGET_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
