// A convolution prepared for inference: its weight (batch norm already folded in by the caller)
// packed once for the algorithm that runs it, the algorithm chosen once per input geometry, by
// measuring the candidates of kernels/cpu/conv2d_packed_algorithms.h on that geometry or by the
// default rule. Choices are also kept process-wide per geometry (with the epilogue's shape, the
// thread count and the instruction set), so that a model prepared again, or a second model with
// the same layer, is not measured twice: once chosen, a geometry's algorithm stays the same for
// the life of the process.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cnn/tensor.h"
#include "kernels/conv2d_types.h"

namespace cnn::kernels {

class PreparedConv2d {
 public:
  // weight HWIO [KH, KW, C/G, O] and bias [O] (may be empty), copied in.
  PreparedConv2d(const Conv2dGeometry& weight_geometry, const float* weight, const float* bias);

  // Chooses the algorithm for g (measuring when `measure`, else conv2d_packed_default) and packs
  // the weight for it, unless done before; returns the algorithm's name.
  const std::string& prepare(const Conv2dGeometry& g, bool measure, bool with_residual);
  // Floats of scratch memory forward() needs for g (prepared) at the current thread count.
  int64_t scratch_floats(const Conv2dGeometry& g, bool with_residual) const;
  // y = conv(x) + bias, then the epilogue (its scale must be null: batch norm is folded); g
  // must have been prepared. scratch: scratch_floats(g) floats, 64-byte aligned.
  void forward(const Conv2dGeometry& g, const float* x, float* y, const Conv2dEpilogue& epilogue,
               float* scratch) const;
  // Bytes held by the packed weights.
  int64_t packed_bytes() const;

 private:
  struct Packed {
    Tensor data;
  };
  Conv2dGeometry w_;  // the weight's part of the geometry (kernel, channels, groups, window)
  Tensor weight_, bias_;
  std::map<std::string, Packed> packed_;       // by algorithm name
  std::map<std::string, std::string> chosen_;  // per input geometry (choice_key)
  std::set<std::string> used_;                 // the packings chosen algorithms read
  const Packed& packed_for(const std::string& algorithm, const Conv2dGeometry& g);
};

// The algorithm the process-wide cache holds for g (empty when it was never chosen).
std::string conv2d_prepared_choice(const Conv2dGeometry& g, bool with_residual);

}  // namespace cnn::kernels
