#include "kernels/ref/pool_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/ref/per_image.h"

namespace cnn::kernels::ref {
namespace {

// Rows per parallel_for chunk: enough inner-loop steps (about 16k) to pay for waking a thread.
int64_t row_grain(int64_t steps_per_row) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, steps_per_row));
}

// One dimension of an average-pooling window, PyTorch's avg_pool2d rule: the window starts at
// o*stride - pad_before, is cut off where the padded input ends (in + pad_after, which only
// ceil_mode can cross), and its input cells are [begin, end).
struct AvgWindow {
  int64_t begin, end;  // input cells
  int64_t padded;      // cells inside the padded input, padding included
};

AvgWindow avg_window(int64_t o, int64_t stride, int64_t kernel, int64_t in, int64_t pad_before,
                     int64_t pad_after) {
  const int64_t start = o * stride - pad_before;
  const int64_t stop = std::min(start + kernel, in + pad_after);
  return {std::max<int64_t>(start, 0), std::min(stop, in), stop - start};
}

int64_t avg_divisor(const AvgWindow& r, const AvgWindow& c, bool count_include_pad) {
  return count_include_pad ? r.padded * c.padded : (r.end - r.begin) * (c.end - c.begin);
}

// Adaptive bins: [floor(o*in/out), ceil((o+1)*in/out)).
int64_t bin_begin(int64_t o, int64_t in, int64_t out) {
  return o * in / out;
}
int64_t bin_end(int64_t o, int64_t in, int64_t out) {
  return ((o + 1) * in + out - 1) / out;
}

// Outputs [begin, end) along one dimension whose window, from o*stride - pad_before to
// o*stride - pad_before + (kernel-1)*dilation, spans input index i.
struct OutputRange {
  int64_t begin, end;
};

OutputRange windows_spanning(int64_t i, int64_t stride, int64_t kernel, int64_t dilation,
                             int64_t pad_before, int64_t out) {
  const int64_t last = i + pad_before;                   // o*stride <= last
  const int64_t first = last - (kernel - 1) * dilation;  // o*stride >= first
  const int64_t begin = first <= 0 ? 0 : first / stride + (first % stride != 0);  // ceil
  return {begin, std::max(begin, std::min(out, last / stride + 1))};
}

}  // namespace

// ---- max pooling ----

void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t C = g.channels;
  const int64_t steps = g.out_w * g.kernel_h * g.kernel_w * C;
  parallel_for(g.batch * g.out_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * out_h + oh
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const float* image = x + n * g.in_h * g.in_w * C;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        float* out = y + (row * g.out_w + ow) * C;
        int32_t* arg = argmax != nullptr ? argmax + (row * g.out_w + ow) * C : nullptr;
        std::fill(out, out + C, -std::numeric_limits<float>::infinity());
        if (arg != nullptr) std::fill(arg, arg + C, -1);
        bool seen = false;
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
            if (iw < 0 || iw >= g.in_w) continue;
            const auto cell = static_cast<int32_t>(ih * g.in_w + iw);
            const float* in = image + cell * C;
            // Branch-free selects, so that the channel loops vectorize.
            if (arg == nullptr) {
              for (int64_t c = 0; c < C; ++c) {
                const bool take = in[c] > out[c] || std::isnan(in[c]);
                out[c] = take ? in[c] : out[c];
              }
              continue;
            }
            // PyTorch starts each window at its first input cell, so an all -inf window
            // still names a winner.
            if (!seen) std::fill(arg, arg + C, cell);
            seen = true;
            for (int64_t c = 0; c < C; ++c) {
              const bool take = in[c] > out[c] || std::isnan(in[c]);
              out[c] = take ? in[c] : out[c];
              arg[c] = take ? cell : arg[c];
            }
          }
        }
      }
    }
  });
}

// Written as a gather: each input row sums, over the windows spanning it, the upstream
// gradients whose winner it is. That splits over N*H rows without write conflicts, keeps the
// channel loop contiguous, and adds the terms in the same (oh, ow) order as a scatter.
void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t C = g.channels;
  const int64_t spanning = (g.kernel_h / g.stride_h + 1) * (g.kernel_w / g.stride_w + 1);
  parallel_for(g.batch * g.in_h, row_grain(g.in_w * C * spanning), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * in_h + ih
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      float* dx_row = dx + row * g.in_w * C;
      std::fill(dx_row, dx_row + g.in_w * C, 0.0f);
      const OutputRange rows =
          windows_spanning(ih, g.stride_h, g.kernel_h, g.dilation_h, g.pad_top, g.out_h);
      for (int64_t oh = rows.begin; oh < rows.end; ++oh) {
        const int64_t out_row = (n * g.out_h + oh) * g.out_w;
        for (int64_t iw = 0; iw < g.in_w; ++iw) {
          const auto cell = static_cast<int32_t>(ih * g.in_w + iw);
          const OutputRange cols =
              windows_spanning(iw, g.stride_w, g.kernel_w, g.dilation_w, g.pad_left, g.out_w);
          float* grad = dx_row + iw * C;
          for (int64_t ow = cols.begin; ow < cols.end; ++ow) {
            const float* d = dy + (out_row + ow) * C;
            const int32_t* arg = argmax + (out_row + ow) * C;
            for (int64_t c = 0; c < C; ++c) {
              const float from_window = d[c];  // loaded unconditionally: the loop vectorizes
              grad[c] += arg[c] == cell ? from_window : 0.0f;
            }
          }
        }
      }
    }
  });
}

// ---- average pooling ----

void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y) {
  const int64_t C = g.channels;
  const int64_t steps = g.out_w * g.kernel_h * g.kernel_w * C;
  parallel_for(g.batch * g.out_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    std::vector<double> acc(static_cast<size_t>(C));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const float* image = x + n * g.in_h * g.in_w * C;
      const AvgWindow rows =
          avg_window(oh, g.stride_h, g.kernel_h, g.in_h, g.pad_top, g.pad_bottom);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const AvgWindow cols =
            avg_window(ow, g.stride_w, g.kernel_w, g.in_w, g.pad_left, g.pad_right);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t ih = rows.begin; ih < rows.end; ++ih)
          for (int64_t iw = cols.begin; iw < cols.end; ++iw) {
            const float* in = image + (ih * g.in_w + iw) * C;
            for (int64_t c = 0; c < C; ++c) acc[static_cast<size_t>(c)] += in[c];
          }
        const int64_t divisor = avg_divisor(rows, cols, count_include_pad);
        float* out = y + (row * g.out_w + ow) * C;
        for (int64_t c = 0; c < C; ++c)  // a window without input cells averages to 0
          out[c] = divisor > 0 ? static_cast<float>(acc[static_cast<size_t>(c)] / divisor) : 0.0f;
      }
    }
  });
}

void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy,
                         float* dx) {
  const int64_t C = g.channels;
  std::vector<float> share_buffer(static_cast<size_t>(C * std::max<int64_t>(g.batch, 1)));
  scatter_per_image(g.batch, g.in_h * g.in_w * g.channels, g.out_h * g.out_w * g.channels, dy, dx,
                    [&](int64_t n, float* dx_image, const float* dy_image) {
                      float* share =
                          share_buffer.data() + n * C;  // dy / divisor for the current window
                      for (int64_t oh = 0; oh < g.out_h; ++oh) {
                        const AvgWindow rows =
                            avg_window(oh, g.stride_h, g.kernel_h, g.in_h, g.pad_top, g.pad_bottom);
                        for (int64_t ow = 0; ow < g.out_w; ++ow) {
                          const AvgWindow cols = avg_window(ow, g.stride_w, g.kernel_w, g.in_w,
                                                            g.pad_left, g.pad_right);
                          const int64_t divisor = avg_divisor(rows, cols, count_include_pad);
                          if (divisor == 0) continue;
                          const float* d = dy_image + (oh * g.out_w + ow) * C;
                          for (int64_t c = 0; c < C; ++c)
                            share[c] = d[c] / static_cast<float>(divisor);
                          for (int64_t ih = rows.begin; ih < rows.end; ++ih)
                            for (int64_t iw = cols.begin; iw < cols.end; ++iw) {
                              float* out = dx_image + (ih * g.in_w + iw) * C;
                              for (int64_t c = 0; c < C; ++c) out[c] += share[c];
                            }
                        }
                      }
                    });
}

// ---- adaptive average pooling ----

void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y) {
  const int64_t C = g.channels;
  // Each output cell reads about (in_h/out_h + 1) x (in_w/out_w + 1) input cells.
  const int64_t steps = (g.in_h / g.out_h + 1) * (g.in_w + g.out_w) * C;
  parallel_for(g.batch * g.out_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    std::vector<double> acc(static_cast<size_t>(C));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const float* image = x + n * g.in_h * g.in_w * C;
      const int64_t h0 = bin_begin(oh, g.in_h, g.out_h), h1 = bin_end(oh, g.in_h, g.out_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = bin_begin(ow, g.in_w, g.out_w), w1 = bin_end(ow, g.in_w, g.out_w);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) {
            const float* in = image + (ih * g.in_w + iw) * C;
            for (int64_t c = 0; c < C; ++c) acc[static_cast<size_t>(c)] += in[c];
          }
        const double count = static_cast<double>((h1 - h0) * (w1 - w0));
        float* out = y + (row * g.out_w + ow) * C;
        for (int64_t c = 0; c < C; ++c)
          out[c] = static_cast<float>(acc[static_cast<size_t>(c)] / count);
      }
    }
  });
}

void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx) {
  const int64_t C = g.channels;
  std::vector<float> share_buffer(static_cast<size_t>(C * std::max<int64_t>(g.batch, 1)));
  scatter_per_image(
      g.batch, g.in_h * g.in_w * g.channels, g.out_h * g.out_w * g.channels, dy, dx,
      [&](int64_t n, float* dx_image, const float* dy_image) {
        float* share = share_buffer.data() + n * C;  // dy / bin size for the current bin
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t h0 = bin_begin(oh, g.in_h, g.out_h), h1 = bin_end(oh, g.in_h, g.out_h);
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            const int64_t w0 = bin_begin(ow, g.in_w, g.out_w), w1 = bin_end(ow, g.in_w, g.out_w);
            const float count = static_cast<float>((h1 - h0) * (w1 - w0));
            const float* d = dy_image + (oh * g.out_w + ow) * C;
            for (int64_t c = 0; c < C; ++c) share[c] = d[c] / count;
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) {
                float* out = dx_image + (ih * g.in_w + iw) * C;
                for (int64_t c = 0; c < C; ++c) out[c] += share[c];
              }
          }
        }
      });
}

}  // namespace cnn::kernels::ref
