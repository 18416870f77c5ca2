#include "kernels/cpu/isa.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "cnn/error.h"

namespace cnn::kernels::cpu {
namespace {

Isa detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
  return Isa::scalar;
}

// The widest ISA the CPU runs, at most CNN_ISA's: unset, empty or "avx512" caps nothing,
// "avx2" caps at AVX2, anything else means scalar.
Isa initial_kernel_isa() {
  const char* env = std::getenv("CNN_ISA");
  const std::string cap = env == nullptr ? "" : env;
  const Isa limit = cap.empty() || cap == "avx512" ? Isa::avx512
                    : cap == "avx2"                ? Isa::avx2
                                                   : Isa::scalar;
  return std::min(detected_isa(), limit);
}

// A function's static, so that it is initialized on first use, whatever the order in which
// the program's static initializers run.
Isa& kernel_isa_state() {
  static Isa isa = initial_kernel_isa();
  return isa;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    case Isa::scalar:
      break;
  }
  return "scalar";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::scalar})
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

bool cpu_supports(Isa isa) {
  return isa <= detected_isa();
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::scalar})
    if (cpu_supports(isa)) out.push_back(isa);
  return out;
}

Isa kernel_isa() {
  return kernel_isa_state();
}

void set_kernel_isa(Isa isa) {
  CNN_CHECK(cpu_supports(isa), "set_kernel_isa: this CPU lacks ",
            isa == Isa::avx512 ? "AVX-512F/VL" : "AVX2+FMA");
  kernel_isa_state() = isa;
}

}  // namespace cnn::kernels::cpu
