#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

// Rows per parallel_for chunk: enough inner-loop steps (about 16k) to pay for waking a thread.
int64_t row_grain(int64_t steps_per_row) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, steps_per_row));
}

// ---- window geometry, one axis at a time ----

// The input cells [begin, end) of one window along one axis; `padded` counts its cells inside
// the padded input, padding included (the count_include_pad divisor).
struct Window {
  int64_t begin, end, padded;
};

// Outputs [begin, end) whose windows hold one input index.
struct Span {
  int64_t begin, end;
};

// PyTorch's avg_pool2d window (as in the reference): it starts at o*stride - pad_before and is
// cut off where the padded input ends (in + pad_after, which only ceil_mode crosses).
std::vector<Window> avg_windows(int64_t out, int64_t stride, int64_t kernel, int64_t in,
                                int64_t pad_before, int64_t pad_after) {
  std::vector<Window> w(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * stride - pad_before;
    const int64_t stop = std::min(start + kernel, in + pad_after);
    w[o] = {std::max<int64_t>(start, 0), std::min(stop, in), stop - start};
  }
  return w;
}

// Adaptive bins [floor(o*in/out), ceil((o+1)*in/out)); they hold no padding.
std::vector<Window> adaptive_bins(int64_t out, int64_t in) {
  std::vector<Window> w(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t begin = o * in / out, end = ((o + 1) * in + out - 1) / out;
    w[o] = {begin, end, end - begin};
  }
  return w;
}

// For each input index, the outputs whose windows hold it. Window starts and ends never
// decrease with o, so those outputs are contiguous.
std::vector<Span> spans_of(const std::vector<Window>& windows, int64_t in) {
  std::vector<Span> s(static_cast<size_t>(in), Span{0, 0});
  for (int64_t o = 0; o < static_cast<int64_t>(windows.size()); ++o)
    for (int64_t i = windows[o].begin; i < windows[o].end; ++i)
      s[i] = s[i].begin == s[i].end ? Span{o, o + 1} : Span{s[i].begin, o + 1};
  return s;
}

// The reference's windows_spanning for max pooling, per input index: outputs whose window,
// from o*stride - pad_before to o*stride - pad_before + (kernel-1)*dilation, spans i (a
// dilated window may step over i; its argmax then never names i). The same outputs as the
// reference, so the same terms, +0 included, are added.
std::vector<Span> max_spans(int64_t in, int64_t stride, int64_t kernel, int64_t dilation,
                            int64_t pad_before, int64_t out) {
  std::vector<Span> s(static_cast<size_t>(in));
  for (int64_t i = 0; i < in; ++i) {
    const int64_t last = i + pad_before;                   // o*stride <= last
    const int64_t first = last - (kernel - 1) * dilation;  // o*stride >= first
    const int64_t begin = first <= 0 ? 0 : first / stride + (first % stride != 0);  // ceil
    s[i] = {begin, std::max(begin, std::min(out, last / stride + 1))};
  }
  return s;
}

// The most cells a window holds, or outputs an input index belongs to, along one axis: the
// work per row that sizes the threads' chunks.
template <class Range>
int64_t widest(const std::vector<Range>& ranges) {
  int64_t most = 0;
  for (const Range& r : ranges) most = std::max(most, r.end - r.begin);
  return most;
}

int64_t divisor(const Window& r, const Window& c, bool count_include_pad) {
  return count_include_pad ? r.padded * c.padded : (r.end - r.begin) * (c.end - c.begin);
}

// ---- row kernels: the channel loops vectorize in each clone ----

// One output row of max pooling, the reference's loop: branch-free selects, -inf and argmax
// -1 for a window without input cells, argmax set to the first input cell of the window
// before the scan (PyTorch's rule for an all -inf window).
CNN_TARGET_CLONES void max_row(const PoolGeometry& g, const float* image, int64_t oh,
                               float* __restrict y_row, int32_t* __restrict arg_row) {
  const int64_t C = g.channels;
  for (int64_t ow = 0; ow < g.out_w; ++ow) {
    float* __restrict out = y_row + ow * C;
    int32_t* __restrict arg = arg_row != nullptr ? arg_row + ow * C : nullptr;
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
        const float* __restrict in = image + cell * C;
        if (arg == nullptr) {
          for (int64_t c = 0; c < C; ++c) {
            const bool take = in[c] > out[c] || std::isnan(in[c]);
            out[c] = take ? in[c] : out[c];
          }
          continue;
        }
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

// One input row ih of the max pooling gradient: dx[iw, c] = 0 + the dy of every window in
// rows x cols[iw], in (oh, ow) order, whose argmax is (ih, iw).
CNN_TARGET_CLONES void max_gather_row(const float* dy_image, const int32_t* arg_image, Span rows,
                                      const Span* cols, int64_t ih, int64_t in_w, int64_t out_w,
                                      int64_t C, float* __restrict dx_row) {
  std::fill(dx_row, dx_row + in_w * C, 0.0f);
  for (int64_t oh = rows.begin; oh < rows.end; ++oh)
    for (int64_t iw = 0; iw < in_w; ++iw) {
      const auto cell = static_cast<int32_t>(ih * in_w + iw);
      float* __restrict grad = dx_row + iw * C;
      for (int64_t ow = cols[iw].begin; ow < cols[iw].end; ++ow) {
        const float* __restrict d = dy_image + (oh * out_w + ow) * C;
        const int32_t* __restrict arg = arg_image + (oh * out_w + ow) * C;
        for (int64_t c = 0; c < C; ++c) {
          const float from_window = d[c];  // loaded unconditionally: the loop vectorizes
          grad[c] += arg[c] == cell ? from_window : 0.0f;
        }
      }
    }
}

// One output row of average pooling: each window summed in double in (ih, iw) order, then
// divided by its divisor in double (0 for a window without input cells), as the reference.
CNN_TARGET_CLONES void mean_row(const float* image, int64_t in_w, int64_t C, Window rows,
                                const Window* cols, int64_t out_w, bool count_include_pad,
                                double* __restrict acc, float* __restrict y_row) {
  for (int64_t ow = 0; ow < out_w; ++ow) {
    std::fill(acc, acc + C, 0.0);
    for (int64_t ih = rows.begin; ih < rows.end; ++ih)
      for (int64_t iw = cols[ow].begin; iw < cols[ow].end; ++iw) {
        const float* __restrict in = image + (ih * in_w + iw) * C;
        for (int64_t c = 0; c < C; ++c) acc[c] += in[c];
      }
    const int64_t n = divisor(rows, cols[ow], count_include_pad);
    float* __restrict out = y_row + ow * C;
    for (int64_t c = 0; c < C; ++c) out[c] = n > 0 ? static_cast<float>(acc[c] / n) : 0.0f;
  }
}

// One output row of dy divided by each window's divisor, in float as the reference's shares.
// A window without input cells gets 0; no input cell gathers from it.
CNN_TARGET_CLONES void share_row(const float* __restrict dy_row, int64_t C, Window rows,
                                 const Window* cols, int64_t out_w, bool count_include_pad,
                                 float* __restrict share_row_out) {
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const int64_t n = divisor(rows, cols[ow], count_include_pad);
    const float* __restrict d = dy_row + ow * C;
    float* __restrict s = share_row_out + ow * C;
    if (n == 0) {
      std::fill(s, s + C, 0.0f);
      continue;
    }
    const auto nf = static_cast<float>(n);
    for (int64_t c = 0; c < C; ++c) s[c] = d[c] / nf;
  }
}

// One input row of the average pooling gradient: dx[iw, c] = 0 + the shares of the windows
// rows x cols[iw], in (oh, ow) order.
CNN_TARGET_CLONES void sum_gather_row(const float* share_image, Span rows, const Span* cols,
                                      int64_t in_w, int64_t out_w, int64_t C,
                                      float* __restrict dx_row) {
  std::fill(dx_row, dx_row + in_w * C, 0.0f);
  for (int64_t oh = rows.begin; oh < rows.end; ++oh)
    for (int64_t iw = 0; iw < in_w; ++iw) {
      float* __restrict grad = dx_row + iw * C;
      for (int64_t ow = cols[iw].begin; ow < cols[iw].end; ++ow) {
        const float* __restrict s = share_image + (oh * out_w + ow) * C;
        for (int64_t c = 0; c < C; ++c) grad[c] += s[c];
      }
    }
}

// ---- passes over the tensor, shared by average and adaptive average pooling ----

void window_mean(const PoolGeometry& g, const std::vector<Window>& rows,
                 const std::vector<Window>& cols, bool count_include_pad, const float* x,
                 float* y) {
  const int64_t C = g.channels;
  const int64_t steps = g.out_w * widest(rows) * widest(cols) * C;
  parallel_for(g.batch * g.out_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    std::vector<double> acc(static_cast<size_t>(C));
    for (int64_t row = begin; row < end; ++row) {  // row = n * out_h + oh
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      mean_row(x + n * g.in_h * g.in_w * C, g.in_w, C, rows[oh], cols.data(), g.out_w,
               count_include_pad, acc.data(), y + row * g.out_w * C);
    }
  });
}

void window_mean_backward(const PoolGeometry& g, const std::vector<Window>& rows,
                          const std::vector<Window>& cols, bool count_include_pad, const float* dy,
                          float* dx) {
  const int64_t C = g.channels;
  // Every element is written by share_row: no need to zero the buffer first.
  const auto share =
      std::make_unique_for_overwrite<float[]>(static_cast<size_t>(g.batch * g.out_h * g.out_w * C));
  parallel_for(g.batch * g.out_h, row_grain(g.out_w * C), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row)
      share_row(dy + row * g.out_w * C, C, rows[row % g.out_h], cols.data(), g.out_w,
                count_include_pad, share.get() + row * g.out_w * C);
  });
  const std::vector<Span> row_spans = spans_of(rows, g.in_h), col_spans = spans_of(cols, g.in_w);
  const int64_t steps = g.in_w * widest(row_spans) * widest(col_spans) * C;
  parallel_for(g.batch * g.in_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * in_h + ih
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      sum_gather_row(share.get() + n * g.out_h * g.out_w * C, row_spans[ih], col_spans.data(),
                     g.in_w, g.out_w, C, dx + row * g.in_w * C);
    }
  });
}

}  // namespace

void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t C = g.channels;
  const int64_t steps = g.out_w * g.kernel_h * g.kernel_w * C;
  parallel_for(g.batch * g.out_h, row_grain(steps), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * out_h + oh
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      max_row(g, x + n * g.in_h * g.in_w * C, oh, y + row * g.out_w * C,
              argmax != nullptr ? argmax + row * g.out_w * C : nullptr);
    }
  });
}

void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t C = g.channels;
  const std::vector<Span> rows =
      max_spans(g.in_h, g.stride_h, g.kernel_h, g.dilation_h, g.pad_top, g.out_h);
  const std::vector<Span> cols =
      max_spans(g.in_w, g.stride_w, g.kernel_w, g.dilation_w, g.pad_left, g.out_w);
  const int64_t spanning = (g.kernel_h / g.stride_h + 1) * (g.kernel_w / g.stride_w + 1);
  const int64_t image_out = g.out_h * g.out_w * C;
  parallel_for(g.batch * g.in_h, row_grain(g.in_w * C * spanning), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * in_h + ih
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      max_gather_row(dy + n * image_out, argmax + n * image_out, rows[ih], cols.data(), ih, g.in_w,
                     g.out_w, C, dx + row * g.in_w * C);
    }
  });
}

void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y) {
  window_mean(g, avg_windows(g.out_h, g.stride_h, g.kernel_h, g.in_h, g.pad_top, g.pad_bottom),
              avg_windows(g.out_w, g.stride_w, g.kernel_w, g.in_w, g.pad_left, g.pad_right),
              count_include_pad, x, y);
}

void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy,
                         float* dx) {
  window_mean_backward(
      g, avg_windows(g.out_h, g.stride_h, g.kernel_h, g.in_h, g.pad_top, g.pad_bottom),
      avg_windows(g.out_w, g.stride_w, g.kernel_w, g.in_w, g.pad_left, g.pad_right),
      count_include_pad, dy, dx);
}

// The reference divides a bin's sum by its cell count, which is the divisor of a window
// without padding (padded == end - begin).
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y) {
  window_mean(g, adaptive_bins(g.out_h, g.in_h), adaptive_bins(g.out_w, g.in_w), true, x, y);
}

void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx) {
  window_mean_backward(g, adaptive_bins(g.out_h, g.in_h), adaptive_bins(g.out_w, g.in_w), true, dy,
                       dx);
}

}  // namespace cnn::kernels::cpu
