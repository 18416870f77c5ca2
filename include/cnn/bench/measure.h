/// \file
/// Our side of `cnn bench`: the machine's FMA peak, and the time of our GEMM, convolution
/// layers and models, each measured under a TimingPolicy. Functions that take a thread count
/// set it for the measurement and restore the previous one.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/bench/cases.h"
#include "cnn/bench/timing.h"

namespace cnn::bench {

struct FmaPeak {
  std::string isa;  ///< the kernels' instruction set: "avx512", "avx2+fma" or "scalar"
  int threads = 1;
  double gflops = 0;  ///< 1e9 FLOP per second, a multiply-add counting 2
  Timing timing;
};

/// The peak of a register-resident FMA loop (src/kernels/cpu/*/fma_loop_f32_*.cpp) run on
/// `threads` threads at once: FLOP of all threads over the wall time of the fastest run. The
/// loop touches no memory, so other processes can only slow it down: its best run is the
/// machine's peak, where a median would measure the neighbours (on a 2-core machine, one busy
/// core halves the 2-thread median).
FmaPeak measure_fma_peak(int threads, const TimingPolicy& policy);

/// Our GEMM (kernels::gemm_f32) on random matrices, on gemm.threads threads.
Timing time_gemm(const GemmCase& gemm, const TimingPolicy& policy);

/// The convolution algorithm each pass runs (the names of the kernels' algorithm table,
/// src/kernels/cpu/conv2d_algorithms.h: "depthwise", "winograd", "direct", "phases", "gemm").
struct ConvAlgorithms {
  std::string forward, backward_data, backward_weight;
};

struct LayerTiming {
  Timing forward;             ///< conv2d in no-grad mode
  Timing forward_backward;    ///< conv2d, then backward of a random output gradient to x and weight
  ConvAlgorithms algorithms;  ///< ours only (empty in PyTorch's figures)
};
/// cnn::conv2d (and its autograd node) on random NHWC input and HWIO weights.
LayerTiming time_layer(const ConvCase& layer, const TimingPolicy& policy);

struct ModelTiming {
  Timing timing;           ///< one training step, or one forward pass
  int64_t parameters = 0;  ///< of our model, to check against PyTorch's
};
/// models::create(model_case.model) on random images; training: optim::SGD (momentum 0.9,
/// Nesterov, weight decay 5e-4), cross-entropy on random labels.
ModelTiming time_model(const ModelCase& model_case, const TimingPolicy& policy);

}  // namespace cnn::bench
