#include "cnn/nn/pool.h"

#include <sstream>

#include "nn/format.h"

namespace cnn::nn {
namespace {

// The stride the op uses: 0 stands for the kernel, as in PyTorch.
Size2 effective_stride(Size2 stride, Size2 kernel) {
  return stride == Size2(0) ? kernel : stride;
}

void check_window(const char* layer, Size2 kernel, Size2 stride) {
  CNN_CHECK(kernel.h > 0 && kernel.w > 0, layer, ": kernel must be positive, got ", kernel);
  CNN_CHECK(stride.h >= 0 && stride.w >= 0, layer, ": stride must not be negative, got ", stride);
}

}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dOptions& options) : Module("MaxPool2d"), options_(options) {
  check_window("MaxPool2d", options.kernel, options.stride);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, options_);
}

std::string MaxPool2d::name() const {
  const auto& o = options_;
  std::ostringstream out;
  out << "MaxPool2d(kernel=" << o.kernel << ", stride=" << effective_stride(o.stride, o.kernel);
  if (!(o.padding == Pad2d(0))) out << ", padding=" << detail::padding_text(o.padding);
  if (!(o.dilation == Size2(1))) out << ", dilation=" << o.dilation;
  if (o.ceil_mode) out << ", ceil_mode=true";
  out << ')';
  return out.str();
}

AvgPool2d::AvgPool2d(const AvgPool2dOptions& options) : Module("AvgPool2d"), options_(options) {
  check_window("AvgPool2d", options.kernel, options.stride);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, options_);
}

std::string AvgPool2d::name() const {
  const auto& o = options_;
  std::ostringstream out;
  out << "AvgPool2d(kernel=" << o.kernel << ", stride=" << effective_stride(o.stride, o.kernel);
  if (!(o.padding == Pad2d(0))) out << ", padding=" << detail::padding_text(o.padding);
  if (o.ceil_mode) out << ", ceil_mode=true";
  if (!o.count_include_pad) out << ", count_include_pad=false";
  out << ')';
  return out.str();
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size)
    : Module("AdaptiveAvgPool2d"), output_size_(output_size) {
  CNN_CHECK(output_size.h > 0 && output_size.w > 0,
            "AdaptiveAvgPool2d: output_size must be positive, got ", output_size);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return adaptive_avg_pool2d(x, output_size_);
}

std::string AdaptiveAvgPool2d::name() const {
  std::ostringstream out;
  out << "AdaptiveAvgPool2d(output_size=" << output_size_ << ')';
  return out.str();
}

}  // namespace cnn::nn
