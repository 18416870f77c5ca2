// Our GEMM and convolution layers, timed through the code paths a model uses: the GEMM
// kernel directly, convolutions through cnn::conv2d and its autograd node, with the algorithm
// the kernels' table picks for each pass.
#include <cmath>

#include "cnn/autograd.h"
#include "cnn/bench/measure.h"
#include "cnn/ops/conv.h"
#include "cnn/parallel.h"
#include "kernels/conv2d.h"
#include "kernels/gemm.h"

namespace cnn::bench {

Timing time_gemm(const GemmCase& gemm, const TimingPolicy& policy) {
  Generator gen(1);
  const Tensor a = Tensor::uniform({gemm.m, gemm.k}, -1, 1, gen);
  const Tensor b = Tensor::uniform({gemm.k, gemm.n}, -1, 1, gen);
  Tensor c = Tensor::zeros({gemm.m, gemm.n});
  const ThreadCountGuard guard(gemm.threads);
  return time_work(
      [&] {
        kernels::gemm_f32(false, false, gemm.m, gemm.n, gemm.k, a.data(), gemm.k, b.data(), gemm.n,
                          0.0f, c.data(), gemm.n);
      },
      policy);
}

LayerTiming time_layer(const ConvCase& layer, const TimingPolicy& policy) {
  Generator gen(1);
  const int64_t group_in = layer.in_channels / layer.groups;
  // He-scaled weights keep the values in a normal range (no denormals, no overflow).
  const float w_std = std::sqrt(2.0f / static_cast<float>(layer.kernel * layer.kernel * group_in));
  Tensor x = Tensor::normal({layer.batch, layer.height, layer.width, layer.in_channels}, 0, 1, gen);
  Tensor w =
      Tensor::normal({layer.kernel, layer.kernel, group_in, layer.out_channels}, 0, w_std, gen);
  const Tensor dy = Tensor::normal(
      {layer.batch, layer.out_height(), layer.out_width(), layer.out_channels}, 0, 1, gen);
  const Conv2dOptions options{
      .stride = layer.stride, .padding = layer.padding, .groups = layer.groups};

  LayerTiming result;
  const kernels::Conv2dGeometry g = kernels::make_conv2d_geometry(
      x.shape(), w.shape(), layer.groups, layer.stride, Pad2d(layer.padding), 1);
  result.algorithms = {
      .forward = kernels::conv2d_algorithm(g, kernels::Conv2dPass::forward),
      .backward_data = kernels::conv2d_algorithm(g, kernels::Conv2dPass::backward_data),
      .backward_weight = kernels::conv2d_algorithm(g, kernels::Conv2dPass::backward_weight)};
  {
    const NoGradGuard no_grad;
    result.forward = time_work([&] { conv2d(x, w, Tensor(), options); }, policy);
  }
  x.requires_grad_();
  w.requires_grad_();
  result.forward_backward = time_work(
      [&] {
        conv2d(x, w, Tensor(), options).backward(dy);
        // Drop the gradients, as zero_grad does, so that every run writes fresh ones.
        x.set_grad(Tensor());
        w.set_grad(Tensor());
      },
      policy);
  return result;
}

}  // namespace cnn::bench
