// Weight initializers: fans from our layouts, gains as in PyTorch, and in-place fills.
#include "cnn/nn/init.h"

#include <algorithm>
#include <cmath>

#include "cnn/error.h"

namespace cnn::nn {
namespace {

thread_local int skip_depth = 0;

// The dense float32 elements the initializer `op` writes.
float* writable(Tensor& t, const char* op) {
  CNN_CHECK(t.defined(), "nn::", op, ": the tensor is undefined");
  CNN_CHECK(t.dtype() == DType::f32, "nn::", op, ": the tensor must be float32, got ",
            dtype_name(t.dtype()), " of shape ", to_string(t.shape()));
  CNN_CHECK(t.is_contiguous(), "nn::", op, ": the tensor of shape ", to_string(t.shape()),
            " must be contiguous");
  t.mark_modified();
  return t.data();
}

Tensor fill_uniform(Tensor t, float lo, float hi, Generator& gen, const char* op) {
  float* p = writable(t, op);
  if (initialization_skipped()) {
    std::fill_n(p, t.numel(), 0.0f);
    return t;
  }
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(lo, hi);
  return t;
}

Tensor fill_normal(Tensor t, float mean, float stddev, Generator& gen, const char* op) {
  float* p = writable(t, op);
  if (initialization_skipped()) {
    std::fill_n(p, t.numel(), 0.0f);
    return t;
  }
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal(mean, stddev);
  return t;
}

// A zero-element tensor has fan 0; there is nothing to fill, and no formula to divide by.
bool nothing_to_fill(const Tensor& t) {
  return t.defined() && t.numel() == 0;
}

}  // namespace

SkipInitGuard::SkipInitGuard() {
  ++skip_depth;
}
SkipInitGuard::~SkipInitGuard() {
  --skip_depth;
}
bool initialization_skipped() {
  return skip_depth > 0;
}

Fans compute_fans(const Tensor& weight) {
  CNN_CHECK(weight.defined(), "nn::compute_fans: the tensor is undefined");
  const Shape& s = weight.shape();
  if (s.size() == 2) return {s[1], s[0]};  // [out, in]
  // [KH, KW, C/groups, O]: each output sums KH*KW*C/groups inputs; each input feeds KH*KW*O.
  if (s.size() == 4) return {s[0] * s[1] * s[2], s[0] * s[1] * s[3]};
  fail(
      "nn::compute_fans: expected a linear weight [out, in] or a convolution weight "
      "[KH, KW, C/groups, O], got shape ",
      to_string(s));
}

float calculate_gain(Nonlinearity nonlinearity, float a) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid:
      return 1.0f;
    case Nonlinearity::tanh:
      return 5.0f / 3.0f;
    case Nonlinearity::relu:
      return std::sqrt(2.0f);
    case Nonlinearity::leaky_relu:
      return std::sqrt(2.0f / (1.0f + a * a));
    case Nonlinearity::selu:
      return 0.75f;
  }
  fail("nn::calculate_gain: unknown nonlinearity");
}

Tensor xavier_uniform_lecture(Tensor weight, Generator& gen) {
  if (nothing_to_fill(weight)) return weight;
  const float bound = std::sqrt(3.0f / static_cast<float>(compute_fans(weight).fan_in));
  return fill_uniform(std::move(weight), -bound, bound, gen, "xavier_uniform_lecture");
}

Tensor glorot_uniform(Tensor weight, Generator& gen, float gain) {
  if (nothing_to_fill(weight)) return weight;
  const Fans f = compute_fans(weight);
  const float bound = gain * std::sqrt(6.0f / static_cast<float>(f.fan_in + f.fan_out));
  return fill_uniform(std::move(weight), -bound, bound, gen, "glorot_uniform");
}

Tensor glorot_normal(Tensor weight, Generator& gen, float gain) {
  if (nothing_to_fill(weight)) return weight;
  const Fans f = compute_fans(weight);
  const float stddev = gain * std::sqrt(2.0f / static_cast<float>(f.fan_in + f.fan_out));
  return fill_normal(std::move(weight), 0.0f, stddev, gen, "glorot_normal");
}

namespace {
// gain / sqrt(fan): the standard deviation both Kaiming variants aim at.
float kaiming_std(const Tensor& weight, const KaimingOptions& options) {
  const Fans f = compute_fans(weight);
  const int64_t fan = options.mode == FanMode::fan_in ? f.fan_in : f.fan_out;
  return calculate_gain(options.nonlinearity, options.a) / std::sqrt(static_cast<float>(fan));
}
}  // namespace

Tensor kaiming_uniform(Tensor weight, Generator& gen, const KaimingOptions& options) {
  if (nothing_to_fill(weight)) return weight;
  // U(-b, b) has variance b^2 / 3, so b = sqrt(3) * std.
  const float bound = std::sqrt(3.0f) * kaiming_std(weight, options);
  return fill_uniform(std::move(weight), -bound, bound, gen, "kaiming_uniform");
}

Tensor kaiming_normal(Tensor weight, Generator& gen, const KaimingOptions& options) {
  if (nothing_to_fill(weight)) return weight;
  const float stddev = kaiming_std(weight, options);
  return fill_normal(std::move(weight), 0.0f, stddev, gen, "kaiming_normal");
}

Tensor uniform(Tensor t, float lo, float hi, Generator& gen) {
  CNN_CHECK(lo <= hi, "nn::uniform: lo ", lo, " is greater than hi ", hi);
  return fill_uniform(std::move(t), lo, hi, gen, "uniform");
}

Tensor normal(Tensor t, float mean, float stddev, Generator& gen) {
  CNN_CHECK(stddev >= 0.0f, "nn::normal: stddev ", stddev, " is negative");
  return fill_normal(std::move(t), mean, stddev, gen, "normal");
}

Tensor constant(Tensor t, float value) {
  float* p = writable(t, "constant");
  std::fill_n(p, t.numel(), value);
  return t;
}

Tensor zeros(Tensor t) {
  return constant(std::move(t), 0.0f);
}
Tensor ones(Tensor t) {
  return constant(std::move(t), 1.0f);
}

}  // namespace cnn::nn
