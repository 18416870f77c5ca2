#include "kernels/cpu/conv2d_packed_algorithms.h"

#include <algorithm>

#include "kernels/cpu/conv2d_depthwise.h"
#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_gemm.h"
#include "kernels/cpu/conv2d_winograd.h"

namespace cnn::kernels::cpu {
namespace {

int64_t weight_floats(const Conv2dGeometry& g) {
  return g.kernel_h * g.kernel_w * g.group_in() * g.out_c;
}

void copy_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  std::copy_n(w, weight_floats(g), packed);
}

int64_t no_scratch(const Conv2dGeometry&) {
  return 0;
}

void depthwise_forward(const Conv2dGeometry& g, const float* x, const float* packed,
                       const float* bias, float* y, const Conv2dEpilogue& e, float*) {
  conv2d_forward_depthwise(g, x, packed, bias, y, e);
}

// The GEMM keeps its packing buffers per thread, grown once: no scratch of its own.
void gemm_forward(const Conv2dGeometry& g, const float* x, const float* packed, const float* bias,
                  float* y, const Conv2dEpilogue& e, float*) {
  conv2d_forward_gemm_packed(g, x, packed, bias, y, e);
}

constexpr Conv2dPackedAlgorithm kAlgorithms[] = {
    {"depthwise", conv2d_depthwise_applies, weight_floats, copy_weight, no_scratch,
     depthwise_forward},
    {"winograd", conv2d_winograd_possible, conv2d_winograd_packed_floats,
     conv2d_winograd_pack_weight, conv2d_winograd_packed_scratch_floats,
     conv2d_forward_winograd_packed},
    {"winograd2", conv2d_winograd_possible, conv2d_winograd2_packed_floats,
     conv2d_winograd2_pack_weight, conv2d_winograd2_packed_scratch_floats,
     conv2d_forward_winograd2_packed},
    {"direct", conv2d_direct_packed_applies, conv2d_direct_packed_floats, conv2d_direct_pack_weight,
     conv2d_direct_packed_scratch_floats, conv2d_forward_direct_packed},
    {"gemm", conv2d_gemm_applies, conv2d_gemm_packed_floats, conv2d_gemm_pack_weight, no_scratch,
     gemm_forward},
};

}  // namespace

std::span<const Conv2dPackedAlgorithm> conv2d_packed_algorithms() {
  return kAlgorithms;
}

const Conv2dPackedAlgorithm* conv2d_packed_algorithm(std::string_view name) {
  for (const Conv2dPackedAlgorithm& a : kAlgorithms)
    if (name == a.name) return &a;
  return nullptr;
}

const Conv2dPackedAlgorithm& conv2d_packed_default(const Conv2dGeometry& g) {
  const char* name = "gemm";
  if (conv2d_depthwise_applies(g)) {
    name = "depthwise";
  } else if (conv2d_winograd_applies(g)) {
    name = "winograd";
  } else if (conv2d_direct_packed_applies(g) && !conv2d_is_pointwise(g)) {
    name = "direct";
  }
  return *conv2d_packed_algorithm(name);
}

}  // namespace cnn::kernels::cpu
