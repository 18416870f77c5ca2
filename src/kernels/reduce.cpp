#include "kernels/reduce.h"

#include "kernels/ref/reduce_ref.h"

namespace cnn::kernels {

void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
  ref::sum_over(x, shape, reduced, out);
}
void amax_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
  ref::amax_over(x, shape, reduced, out);
}
void amax_backward(const float* x, const Shape& shape, const std::vector<bool>& reduced,
                   const float* out, const float* dy, float* dx) {
  ref::amax_backward(x, shape, reduced, out, dy, dx);
}

}  // namespace cnn::kernels
