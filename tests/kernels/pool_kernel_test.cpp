// The fast pooling kernels against the reference loops, bit for bit, forward and backward:
// channel counts that leave vector tails (1, 3, 15, 16, 17, 33, 64), odd image sizes,
// overlapping and disjoint windows, strides larger than the kernel (cells no window reads),
// symmetric and asymmetric padding, dilation (down to a window holding no input cell),
// ceil_mode's last window cut off by the input, both average divisors, adaptive bins that
// overlap and global pooling, at 1 and 2 threads. The max pooling data is rounded to halves,
// so windows hold ties, and carries NaN, -inf and signed zeros; the second run of each kernel
// must repeat the first.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/parallel.h"
#include "kernels/cpu/pool.h"
#include "kernels/ref/pool_ref.h"
#include "support/cases.h"
#include "support/kernel_testing.h"

namespace cnn {
namespace {

using kernels::PoolGeometry;
using testing::same_bits;
using testing::unwritten;

// One pooled extent, PyTorch's rule (as the op computes it), for the geometries below.
int64_t extent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_before,
               int64_t pad_after, bool ceil_mode) {
  int64_t room = in + pad_before + pad_after - dilation * (kernel - 1) - 1;
  if (ceil_mode) room += stride - 1;
  int64_t out = room / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_before) --out;
  return out;
}

struct Window {
  int64_t batch, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  bool ceil_mode = false;
  std::vector<int64_t> channels;  // each run in turn
};

// A case of tests/cases/pool.json: channels from its "channels" list, or x's alone.
Window window(const nlohmann::json& c) {
  const Shape x = testing::shape_field(c, "x");
  const Size2 kernel = testing::size2_field(c, "kernel", 1);
  const Size2 stride = testing::size2_field(c, "stride", 0);
  const Pad2d pad = testing::pad2d_field(c, "padding");
  const Size2 dilation = testing::size2_field(c, "dilation", 1);
  return {x.at(0),
          x.at(1),
          x.at(2),
          kernel.h,
          kernel.w,
          stride.h == 0 ? kernel.h : stride.h,
          stride.w == 0 ? kernel.w : stride.w,
          pad.top,
          pad.bottom,
          pad.left,
          pad.right,
          dilation.h,
          dilation.w,
          testing::field<bool>(c, "ceil_mode", false),
          testing::field<std::vector<int64_t>>(c, "channels", {x.at(3)})};
}

std::vector<Window> windows(const std::string& use) {
  std::vector<Window> result;
  for (const nlohmann::json& c : testing::cases_for("pool", use)) result.push_back(window(c));
  return result;
}

PoolGeometry geometry(const Window& w, int64_t channels) {
  PoolGeometry g;
  g.batch = w.batch, g.in_h = w.in_h, g.in_w = w.in_w, g.channels = channels;
  g.kernel_h = w.kernel_h, g.kernel_w = w.kernel_w, g.stride_h = w.stride_h,
  g.stride_w = w.stride_w;
  g.dilation_h = w.dilation_h, g.dilation_w = w.dilation_w;
  g.pad_top = w.pad_top, g.pad_bottom = w.pad_bottom, g.pad_left = w.pad_left,
  g.pad_right = w.pad_right;
  g.out_h =
      extent(w.in_h, w.kernel_h, w.stride_h, w.dilation_h, w.pad_top, w.pad_bottom, w.ceil_mode);
  g.out_w =
      extent(w.in_w, w.kernel_w, w.stride_w, w.dilation_w, w.pad_left, w.pad_right, w.ceil_mode);
  return g;
}

std::string describe(const PoolGeometry& g) {
  std::ostringstream s;
  s << "x [" << g.batch << "," << g.in_h << "," << g.in_w << "," << g.channels << "] -> ["
    << g.out_h << "," << g.out_w << "] kernel " << g.kernel_h << "x" << g.kernel_w << " stride "
    << g.stride_h << "x" << g.stride_w << " dilation " << g.dilation_h << "x" << g.dilation_w
    << " pad " << g.pad_top << "," << g.pad_bottom << "," << g.pad_left << "," << g.pad_right;
  return s.str();
}

// Sliding-window geometries (average pooling takes those without dilation), the
// "kernel.window" cases: disjoint windows on odd sizes, ResNet's stem pooling (overlapping),
// stride 1 (every cell in up to 9 windows), rectangular with asymmetric padding, stride larger
// than the kernel (cells no window reads), ceil_mode's last window cut off, with and without
// padding, dilated, and dilated rows of one window that skip the input.
const std::vector<Window>& sliding_windows() {
  static const std::vector<Window> cases = windows("kernel.window");
  return cases;
}

// Values rounded to halves (ties in most windows) with NaN, -inf, +-0 sprinkled in.
std::vector<float> pool_input(int64_t n, uint64_t seed) {
  const std::vector<float> special = {std::numeric_limits<float>::quiet_NaN(),
                                      -std::numeric_limits<float>::infinity(), 0.0f, -0.0f};
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = i % 11 == 5 ? special[(i / 11) % special.size()] : std::round(2.0f * gen.normal()) / 2;
  return v;
}

// Upstream gradients: normal values with some -0 (a window adding +0 to -0 changes its sign).
std::vector<float> gradient(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = i % 5 == 2 ? -0.0f : gen.normal();
  return v;
}

int64_t input_size(const PoolGeometry& g) {
  return g.batch * g.in_h * g.in_w * g.channels;
}
int64_t output_size(const PoolGeometry& g) {
  return g.batch * g.out_h * g.out_w * g.channels;
}

class PoolKernelsAtThreads : public testing::AtThreads {};

TEST_P(PoolKernelsAtThreads, MaxPoolingMatchesTheReferenceBitForBit) {
  for (const Window& w : sliding_windows())
    for (const int64_t c : w.channels) {
      const PoolGeometry g = geometry(w, c);
      SCOPED_TRACE(describe(g));
      const std::vector<float> x = pool_input(input_size(g), 1), dy = gradient(output_size(g), 2);
      std::vector<float> y_ref(static_cast<size_t>(output_size(g)));
      std::vector<int32_t> arg_ref(y_ref.size());
      kernels::ref::max_pool2d_forward(g, x.data(), y_ref.data(), arg_ref.data());
      std::vector<float> dx_ref(static_cast<size_t>(input_size(g)));
      kernels::ref::max_pool2d_backward(g, dy.data(), arg_ref.data(), dx_ref.data());
      for (int repeat = 0; repeat < 2; ++repeat) {
        std::vector<float> y = unwritten(output_size(g)), y_only = unwritten(output_size(g));
        std::vector<int32_t> arg(y.size(), 12345);
        kernels::cpu::max_pool2d_forward(g, x.data(), y.data(), arg.data());
        kernels::cpu::max_pool2d_forward(g, x.data(), y_only.data(), nullptr);
        EXPECT_TRUE(same_bits(y, y_ref));
        EXPECT_TRUE(same_bits(y_only, y_ref));
        EXPECT_TRUE(same_bits(arg, arg_ref));
        std::vector<float> dx = unwritten(input_size(g));
        kernels::cpu::max_pool2d_backward(g, dy.data(), arg_ref.data(), dx.data());
        EXPECT_TRUE(same_bits(dx, dx_ref));
      }
    }
}

TEST_P(PoolKernelsAtThreads, AveragePoolingMatchesTheReferenceBitForBit) {
  for (const Window& w : sliding_windows()) {
    if (w.dilation_h != 1 || w.dilation_w != 1) continue;
    for (const int64_t c : w.channels)
      for (const bool include_pad : {true, false}) {
        const PoolGeometry g = geometry(w, c);
        SCOPED_TRACE(describe(g) + " count_include_pad " + std::to_string(include_pad));
        const std::vector<float> x = gradient(input_size(g), 3), dy = gradient(output_size(g), 4);
        std::vector<float> y_ref(static_cast<size_t>(output_size(g)));
        std::vector<float> dx_ref(static_cast<size_t>(input_size(g)));
        kernels::ref::avg_pool2d_forward(g, include_pad, x.data(), y_ref.data());
        kernels::ref::avg_pool2d_backward(g, include_pad, dy.data(), dx_ref.data());
        for (int repeat = 0; repeat < 2; ++repeat) {
          std::vector<float> y = unwritten(output_size(g)), dx = unwritten(input_size(g));
          kernels::cpu::avg_pool2d_forward(g, include_pad, x.data(), y.data());
          kernels::cpu::avg_pool2d_backward(g, include_pad, dy.data(), dx.data());
          EXPECT_TRUE(same_bits(y, y_ref));
          EXPECT_TRUE(same_bits(dx, dx_ref));
        }
      }
  }
}

TEST_P(PoolKernelsAtThreads, AdaptiveAveragePoolingMatchesTheReferenceBitForBit) {
  // The "kernel.adaptive" cases: global, bins that overlap (7 -> 3, 5 -> 2), one bin per cell,
  // more outputs than inputs (every cell in several bins).
  for (const nlohmann::json& adaptive : testing::cases_for("pool", "kernel.adaptive")) {
    const Window w = window(adaptive);
    const Size2 out = testing::size2_field(adaptive, "output_size", 1);
    for (const int64_t c : w.channels) {
      PoolGeometry g;
      g.batch = w.batch, g.in_h = w.in_h, g.in_w = w.in_w, g.channels = c, g.out_h = out.h,
      g.out_w = out.w;
      SCOPED_TRACE(describe(g));
      const std::vector<float> x = gradient(input_size(g), 5), dy = gradient(output_size(g), 6);
      std::vector<float> y_ref(static_cast<size_t>(output_size(g)));
      std::vector<float> dx_ref(static_cast<size_t>(input_size(g)));
      kernels::ref::adaptive_avg_pool2d_forward(g, x.data(), y_ref.data());
      kernels::ref::adaptive_avg_pool2d_backward(g, dy.data(), dx_ref.data());
      for (int repeat = 0; repeat < 2; ++repeat) {
        std::vector<float> y = unwritten(output_size(g)), dx = unwritten(input_size(g));
        kernels::cpu::adaptive_avg_pool2d_forward(g, x.data(), y.data());
        kernels::cpu::adaptive_avg_pool2d_backward(g, dy.data(), dx.data());
        EXPECT_TRUE(same_bits(y, y_ref));
        EXPECT_TRUE(same_bits(dx, dx_ref));
      }
    }
  }
}

// A batch and image large enough that both threads get many rows, so the split differs
// between 1 and 2 threads while the bits must not.
TEST_P(PoolKernelsAtThreads, LargeImagesMatchTheReference) {
  const Window w = window(testing::cases_for("pool", "kernel.large").at(0));
  const PoolGeometry g = geometry(w, w.channels.at(0));
  const std::vector<float> x = pool_input(input_size(g), 7), dy = gradient(output_size(g), 8);
  std::vector<float> y_ref(static_cast<size_t>(output_size(g))), y = unwritten(output_size(g));
  std::vector<int32_t> arg_ref(y_ref.size()), arg(y_ref.size());
  kernels::ref::max_pool2d_forward(g, x.data(), y_ref.data(), arg_ref.data());
  kernels::cpu::max_pool2d_forward(g, x.data(), y.data(), arg.data());
  EXPECT_TRUE(same_bits(y, y_ref));
  EXPECT_TRUE(same_bits(arg, arg_ref));
  std::vector<float> dx_ref(static_cast<size_t>(input_size(g))), dx = unwritten(input_size(g));
  kernels::ref::max_pool2d_backward(g, dy.data(), arg_ref.data(), dx_ref.data());
  kernels::cpu::max_pool2d_backward(g, dy.data(), arg.data(), dx.data());
  EXPECT_TRUE(same_bits(dx, dx_ref));
  const std::vector<float> xa = gradient(input_size(g), 9);
  kernels::ref::avg_pool2d_forward(g, false, xa.data(), y_ref.data());
  kernels::cpu::avg_pool2d_forward(g, false, xa.data(), y.data());
  EXPECT_TRUE(same_bits(y, y_ref));
  kernels::ref::avg_pool2d_backward(g, false, dy.data(), dx_ref.data());
  kernels::cpu::avg_pool2d_backward(g, false, dy.data(), dx.data());
  EXPECT_TRUE(same_bits(dx, dx_ref));
}

INSTANTIATE_TEST_SUITE_P(Threads, PoolKernelsAtThreads, ::testing::Values(1, 2),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param) + "_threads";
                         });

}  // namespace
}  // namespace cnn
