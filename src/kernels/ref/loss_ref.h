// Reference kernels for the classification losses over rows of [n, classes] scores. Targets
// are class indices already checked to lie in [0, classes).
#pragma once

#include <cstdint>

namespace cnn::kernels::ref {

// Softmax cross-entropy with label smoothing s, per row, with logp = log_softmax(logits[r])
// computed stably in double:
//   loss[r] = (1 - s) * -logp[t[r]] + s * mean_c -logp[c]
// i.e. the cross-entropy against the target distribution q = (1 - s) one_hot(t) + s / C.
// Also writes prob = softmax(logits), which the backward needs.
void cross_entropy_forward(const float* logits, const int64_t* target, int64_t n, int64_t classes,
                           float smoothing, float* loss, float* prob);

// dlogits[r, c] = g[r] * (prob[r, c] - q[r, c]),  q[r, c] = (1 - s) [c == t[r]] + s / C
void cross_entropy_backward(const float* prob, const int64_t* target, const float* g, int64_t n,
                            int64_t classes, float smoothing, float* dlogits);

// loss[r] = -log_probs[r, t[r]]
void nll_forward(const float* log_probs, const int64_t* target, int64_t n, int64_t classes,
                 float* loss);

// dlog_probs[r, c] = -g[r] * [c == t[r]]
void nll_backward(const int64_t* target, const float* g, int64_t n, int64_t classes,
                  float* dlog_probs);

}  // namespace cnn::kernels::ref
