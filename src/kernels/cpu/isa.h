// The instruction sets the fast kernels are written for, detected once from the CPU's
// features. Every choice that depends on the CPU (the GEMM microkernel, whether the direct
// convolution runs, which FMA loop `cnn bench` measures the peak with) reads kernel_isa().
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace cnn::kernels::cpu {

// Ordered: each instruction set includes the ones before it.
//   scalar  baseline x86-64 (the portable kernels)
//   avx2    AVX2 + FMA (x86-64-v3)
//   avx512  AVX-512 F + VL
enum class Isa { scalar, avx2, avx512 };

// "scalar", "avx2", "avx512".
const char* isa_name(Isa isa);
// The inverse of isa_name; nullopt for any other string.
std::optional<Isa> parse_isa(std::string_view name);

// The widest instruction set this CPU runs, detected on first use and cached.
Isa detected_isa();
// Whether this CPU runs `isa` (isa <= detected_isa()).
bool cpu_supports(Isa isa);
// The instruction sets this CPU runs, widest first.
std::vector<Isa> supported_isas();

// The instruction set the kernels use: detected_isa(), capped at start-up by the environment
// variable CNN_ISA (unset or "avx512": no cap; "avx2": at most AVX2; any other value: scalar),
// and changed by set_kernel_isa (tests and benchmarks). Not synchronized: set it while no
// kernel runs.
Isa kernel_isa();
// Raises cnn::Error when this CPU lacks `isa`.
void set_kernel_isa(Isa isa);

}  // namespace cnn::kernels::cpu
