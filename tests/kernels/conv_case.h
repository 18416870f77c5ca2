// One convolution of the kernel tests, in cnn's layout, with its geometry and a description
// for failure messages (conv2d_kernel_test.cpp, conv2d_algorithms_test.cpp).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>

#include "cnn/shape.h"
#include "kernels/conv2d_types.h"

namespace cnn::testing {

struct ConvCase {
  Shape x, w;  // [N, H, W, C], [KH, KW, C/groups, O]
  int64_t groups = 1;
  Size2 stride = 1;
  Pad2d pad = 0;
  Size2 dilation = 1;
};

inline kernels::Conv2dGeometry geometry(const ConvCase& c) {
  return kernels::make_conv2d_geometry(c.x, c.w, c.groups, c.stride, c.pad, c.dilation);
}

inline std::string describe(const ConvCase& c) {
  std::ostringstream out;
  out << "x " << to_string(c.x) << " w " << to_string(c.w) << " groups " << c.groups << " stride "
      << c.stride << " pad " << c.pad << " dilation " << c.dilation;
  return out.str();
}

}  // namespace cnn::testing
