// The scatter step shared by spatial backward kernels (pooling, resizing): each image's input
// gradient is zeroed and filled by fn, images in parallel.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cnn/parallel.h"

namespace cnn::kernels::ref {

// Calls fn(n, dx_image, dy_image) for every image n; dx_image (in_size floats) is zeroed first.
template <class Fn>
void scatter_per_image(int64_t batch, int64_t in_size, int64_t out_size, const float* dy, float* dx,
                       Fn fn) {
  parallel_for(batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      float* dx_image = dx + n * in_size;
      std::fill(dx_image, dx_image + in_size, 0.0f);
      fn(n, dx_image, dy + n * out_size);
    }
  });
}

}  // namespace cnn::kernels::ref
