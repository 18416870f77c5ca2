#include "cnn/nn/conv.h"

#include <cmath>
#include <sstream>

#include "cnn/nn/init.h"
#include "nn/format.h"

namespace cnn::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options,
               Generator& gen)
    : Module("Conv2d"), in_channels_(in_channels), out_channels_(out_channels), options_(options) {
  const auto& o = options;
  CNN_CHECK(in_channels > 0 && out_channels > 0, "Conv2d: in_channels (", in_channels,
            ") and out_channels (", out_channels, ") must be positive");
  CNN_CHECK(o.kernel.h > 0 && o.kernel.w > 0, "Conv2d: kernel must be positive, got ", o.kernel);
  CNN_CHECK(o.stride.h > 0 && o.stride.w > 0, "Conv2d: stride must be positive, got ", o.stride);
  CNN_CHECK(o.dilation.h > 0 && o.dilation.w > 0, "Conv2d: dilation must be positive, got ",
            o.dilation);
  CNN_CHECK(
      o.padding.top >= 0 && o.padding.bottom >= 0 && o.padding.left >= 0 && o.padding.right >= 0,
      "Conv2d: padding must not be negative, got ", o.padding);
  CNN_CHECK(o.groups > 0 && in_channels % o.groups == 0 && out_channels % o.groups == 0,
            "Conv2d: in_channels (", in_channels, ") and out_channels (", out_channels,
            ") must be divisible by groups (", o.groups, ")");

  // PyTorch's reset_parameters: kaiming_uniform with a = sqrt(5) gives gain sqrt(1/3) and
  // bound sqrt(3) * gain / sqrt(fan_in) = 1 / sqrt(fan_in); the bias shares that bound.
  Tensor weight = Tensor::empty({o.kernel.h, o.kernel.w, in_channels / o.groups, out_channels});
  kaiming_uniform(weight, gen, {.a = std::sqrt(5.0f)});
  weight_ = register_parameter("weight", weight);
  if (o.bias) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(compute_fans(weight).fan_in));
    bias_ = register_parameter("bias", uniform(Tensor::empty({out_channels}), -bound, bound, gen));
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight_, bias_,
                {.stride = options_.stride,
                 .padding = options_.padding,
                 .dilation = options_.dilation,
                 .groups = options_.groups});
}

std::string Conv2d::name() const {
  const auto& o = options_;
  std::ostringstream out;
  out << "Conv2d(" << in_channels_ << ", " << out_channels_ << ", kernel=" << o.kernel
      << ", stride=" << o.stride;
  if (!(o.padding == Pad2d(0))) out << ", padding=" << detail::padding_text(o.padding);
  if (!(o.dilation == Size2(1))) out << ", dilation=" << o.dilation;
  if (o.groups != 1) out << ", groups=" << o.groups;
  if (!o.bias) out << ", bias=false";
  out << ')';
  return out.str();
}

}  // namespace cnn::nn
