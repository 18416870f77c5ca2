// The copy family of the channel and spatial rearrangements: what ops call, with the contracts
// of kernels/ref/shape_ref.h (copies, which are their own oracle: the reference runs).
#pragma once

#include <cstdint>
#include <vector>

namespace cnn::kernels {

void concat_runs(const std::vector<const float*>& parts, const std::vector<int64_t>& extents,
                 int64_t outer, int64_t inner, float* out);
void split_runs(const float* x, const std::vector<int64_t>& extents, int64_t outer, int64_t inner,
                const std::vector<float*>& parts);
void channel_shuffle(const float* x, int64_t pixels, int64_t groups, int64_t per_group, float* out);
void pad2d(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
           int64_t left, int64_t right, float value, float* out);
std::vector<int64_t> pad_source_indices(int64_t extent, int64_t before, int64_t after,
                                        bool reflect);
void pad2d_gather(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                  const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, float* out);
void pad2d_gather_backward(const float* grad_out, int64_t n, int64_t h, int64_t w, int64_t c,
                           const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                           float* grad_x);
void shortcut_identity_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                               int64_t stride, int64_t out_c, float* out);
void shortcut_identity_backward(const float* g, int64_t n, int64_t h, int64_t w, int64_t c,
                                int64_t stride, int64_t out_c, float* dx);

}  // namespace cnn::kernels
