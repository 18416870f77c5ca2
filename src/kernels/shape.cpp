#include "kernels/shape.h"

#include "kernels/ref/shape_ref.h"

namespace cnn::kernels {

void concat_runs(const std::vector<const float*>& parts, const std::vector<int64_t>& extents,
                 int64_t outer, int64_t inner, float* out) {
  ref::concat_runs(parts, extents, outer, inner, out);
}
void split_runs(const float* x, const std::vector<int64_t>& extents, int64_t outer, int64_t inner,
                const std::vector<float*>& parts) {
  ref::split_runs(x, extents, outer, inner, parts);
}
void channel_shuffle(const float* x, int64_t pixels, int64_t groups, int64_t per_group,
                     float* out) {
  ref::channel_shuffle(x, pixels, groups, per_group, out);
}
void pad2d(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
           int64_t left, int64_t right, float value, float* out) {
  ref::pad2d(x, n, h, w, c, top, bottom, left, right, value, out);
}
std::vector<int64_t> pad_source_indices(int64_t extent, int64_t before, int64_t after,
                                        bool reflect) {
  return ref::pad_source_indices(extent, before, after, reflect);
}
void pad2d_gather(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                  const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, float* out) {
  ref::pad2d_gather(x, n, h, w, c, rows, cols, out);
}
void pad2d_gather_backward(const float* grad_out, int64_t n, int64_t h, int64_t w, int64_t c,
                           const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                           float* grad_x) {
  ref::pad2d_gather_backward(grad_out, n, h, w, c, rows, cols, grad_x);
}
void shortcut_identity_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                               int64_t stride, int64_t out_c, float* out) {
  ref::shortcut_identity_forward(x, n, h, w, c, stride, out_c, out);
}
void shortcut_identity_backward(const float* g, int64_t n, int64_t h, int64_t w, int64_t c,
                                int64_t stride, int64_t out_c, float* dx) {
  ref::shortcut_identity_backward(g, n, h, w, c, stride, out_c, dx);
}

}  // namespace cnn::kernels
