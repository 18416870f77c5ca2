/// \file
/// Weight initializers (PyTorch's torch.nn.init, in namespace cnn::nn). Each fills a float32
/// contiguous tensor in place (a Tensor is a handle: the argument shares storage with the caller's)
/// and returns it. Random ones draw from an explicit Generator, element by element in row-major
/// order, so a seed fixes the result.
///
/// Fans follow PyTorch's definitions, computed from our layouts:
/// ```text
///   linear weight [out, in]:            fan_in = in,               fan_out = out
///   conv weight   [KH, KW, C/groups, O] (HWIO):
///                                       fan_in = KH * KW * C/groups, fan_out = KH * KW * O
/// ```
/// (PyTorch reads the same numbers off OIHW [O, C/groups, KH, KW]). Other ranks are rejected,
/// since a rank alone cannot say which dimension is the input.
#pragma once

#include <cstdint>

#include "cnn/generator.h"
#include "cnn/tensor.h"

namespace cnn::nn {

struct Fans {
  int64_t fan_in = 0;
  int64_t fan_out = 0;
};

/// Raises cnn::Error unless `weight` has rank 2 ([out, in]) or 4 (HWIO).
Fans compute_fans(const Tensor& weight);

enum class Nonlinearity { linear, conv, sigmoid, tanh, relu, leaky_relu, selu };
enum class FanMode { fan_in, fan_out };

/// PyTorch's calculate_gain: 1 for linear, conv and sigmoid; 5/3 for tanh; sqrt(2) for relu;
/// sqrt(2 / (1 + a^2)) for leaky_relu with negative slope a; 3/4 for selu.
float calculate_gain(Nonlinearity nonlinearity, float a = 0.0f);

/// The lecture's Xavier initialization, exactly: uniform on (-sqrt(3/N), sqrt(3/N)) with
/// N = fan_in, which gives y_j = sum_i x_i w_ij unit variance for unit-variance inputs.
/// (PyTorch's xavier_uniform_ is glorot_uniform below: it averages both fans.)
Tensor xavier_uniform_lecture(Tensor weight, Generator& gen);

/// Glorot & Bengio 2010: uniform on (-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
Tensor glorot_uniform(Tensor weight, Generator& gen, float gain = 1.0f);
/// Normal with mean 0 and std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor glorot_normal(Tensor weight, Generator& gen, float gain = 1.0f);

/// He et al. 2015, with PyTorch's defaults: fan = fan_in, gain = calculate_gain(leaky_relu, a)
/// with a = 0, i.e. sqrt(2).
struct KaimingOptions {
  float a = 0.0f;  ///< negative slope of the leaky relu that follows (used by leaky_relu only)
  FanMode mode = FanMode::fan_in;
  Nonlinearity nonlinearity = Nonlinearity::leaky_relu;
};
/// Uniform on (-b, b) with b = gain * sqrt(3 / fan), so that std = gain / sqrt(fan).
Tensor kaiming_uniform(Tensor weight, Generator& gen, const KaimingOptions& options = {});
/// Normal with mean 0 and std = gain / sqrt(fan).
Tensor kaiming_normal(Tensor weight, Generator& gen, const KaimingOptions& options = {});

/// Uniform on [lo, hi).
Tensor uniform(Tensor t, float lo, float hi, Generator& gen);
Tensor normal(Tensor t, float mean, float stddev, Generator& gen);
Tensor constant(Tensor t, float value);
Tensor zeros(Tensor t);
Tensor ones(Tensor t);

/// While one is alive on this thread, the random initializers (those above and the models' own)
/// draw nothing and fill zeros: for building a model whose every weight is about to be loaded
/// from a file, where drawing VGG-16's 138 million initial weights would cost seconds for values
/// thrown away (PyTorch's torch.nn.utils.skip_init). Constant fills still happen.
class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;
};
bool initialization_skipped();

}  // namespace cnn::nn
