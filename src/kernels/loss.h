// The classification-loss family: what ops call, with the contracts of kernels/ref/loss_ref.h
// (no fast kernel: the reference runs).
#pragma once

#include <cstdint>

namespace cnn::kernels {

void cross_entropy_forward(const float* logits, const int64_t* target, int64_t n, int64_t classes,
                           float smoothing, float* loss, float* prob);
void cross_entropy_backward(const float* prob, const int64_t* target, const float* g, int64_t n,
                            int64_t classes, float smoothing, float* dlogits);
void nll_forward(const float* log_probs, const int64_t* target, int64_t n, int64_t classes,
                 float* loss);
void nll_backward(const int64_t* target, const float* g, int64_t n, int64_t classes,
                  float* dlog_probs);

}  // namespace cnn::kernels
