// Copy kernels for the channel and spatial rearrangements of src/ops/shape.cpp, on dense
// row-major float buffers. Every output element is an exact copy of one input element or a
// fill value (or, in the backward of reflect and edge padding, a sum of the gradients of the
// copies of one element), so these kernels are their own oracle: each inner loop moves one
// contiguous run (std::copy_n / std::fill_n) and the index formulas live in the run offsets. The
// tests check them element by element against the lecture's formulas.
#pragma once

#include <cstdint>
#include <vector>

namespace cnn::kernels::ref {

// Concatenation seen as [outer, extent, inner]: the concatenated dimension is `extent`,
// everything before it is `outer`, everything after it is `inner`.
//   out[o, offset_i + k, r] = part_i[o, k, r]   (out's extent = sum of the parts' extents)
// Per outer index o, part i contributes one contiguous run of extents[i] * inner floats.
void concat_runs(const std::vector<const float*>& parts, const std::vector<int64_t>& extents,
                 int64_t outer, int64_t inner, float* out);

// The inverse of concat_runs: part_i[o, k, r] = x[o, offset_i + k, r]. A null part is
// skipped (its gradient is not needed).
void split_runs(const float* x, const std::vector<int64_t>& extents, int64_t outer, int64_t inner,
                const std::vector<float*>& parts);

// ShuffleNet's channel shuffle on `pixels` rows of C = groups * per_group channels:
//   out[p, j * groups + g] = x[p, g * per_group + j]   (g < groups, j < per_group)
// i.e. channels viewed as [groups, per_group] and transposed. Its inverse is the same
// kernel with groups and per_group exchanged.
void channel_shuffle(const float* x, int64_t pixels, int64_t groups, int64_t per_group, float* out);

// Constant padding (or cropping, for negative amounts) of x [N, H, W, C]:
//   out[n, oy, ox, c] = x[n, oy - top, ox - left, c]  where that lies inside x, else value
// out is [N, H + top + bottom, W + left + right, C]; each output row is one fill, one copy
// of a contiguous run of input pixels, and one fill.
void pad2d(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
           int64_t left, int64_t right, float value, float* out);

// Reflect and edge padding (or cropping, for negative amounts) along one axis of `extent`
// positions: the source position of each of the extent + before + after output positions
// o, with i = o - before,
//   reflect (mirror, edge not repeated):  i < 0 -> -i,  i >= extent -> 2 (extent - 1) - i
//   edge (repeat the edge):               clamp(i, 0, extent - 1)
// Needs before, after < extent for reflect, extent >= 1 for edge where they are positive.
std::vector<int64_t> pad_source_indices(int64_t extent, int64_t before, int64_t after,
                                        bool reflect);

// out[n, oy, ox, c] = x[n, rows[oy], cols[ox], c] for x [N, H, W, C] and out
// [N, rows.size(), cols.size(), C]: each output pixel is one copy of C contiguous floats.
void pad2d_gather(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                  const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, float* out);
// Its adjoint: grad_x[n, iy, ix, c] = sum of grad_out[n, oy, ox, c] over rows[oy] = iy and
// cols[ox] = ix, summed in the output's row-major order (as PyTorch's CPU kernels do).
void pad2d_gather_backward(const float* grad_out, int64_t n, int64_t h, int64_t w, int64_t c,
                           const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                           float* grad_x);

// The option-A shortcut, x [N, H, W, C] -> out [N, ceil(H/s), ceil(W/s), out_c]:
//   out[n, y, x', j] = x[n, s*y, s*x', j] for j < C, 0 for C <= j < out_c
void shortcut_identity_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                               int64_t stride, int64_t out_c, float* out);
// Its adjoint, g [N, ceil(H/s), ceil(W/s), out_c] -> dx [N, H, W, C]:
//   dx[n, s*y, s*x', j] = g[n, y, x', j] for j < C; dx = 0 at rows or cols not multiple of s.
void shortcut_identity_backward(const float* g, int64_t n, int64_t h, int64_t w, int64_t c,
                                int64_t stride, int64_t out_c, float* dx);

}  // namespace cnn::kernels::ref
