#include "kernels/ref/loss_ref.h"

#include <algorithm>
#include <cmath>

namespace cnn::kernels::ref {

void cross_entropy_forward(const float* logits, const int64_t* target, int64_t n, int64_t classes,
                           float smoothing, float* loss, float* prob) {
  const int64_t C = classes;
  for (int64_t r = 0; r < n; ++r) {
    const float* z = logits + r * C;
    const float m = *std::max_element(z, z + C);
    double sum_exp = 0.0, sum_shifted = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const double shifted = static_cast<double>(z[c]) - m;
      sum_exp += std::exp(shifted);
      sum_shifted += shifted;
    }
    const double log_z = std::log(sum_exp);  // logp[c] = shifted[c] - log_z
    for (int64_t c = 0; c < C; ++c)
      prob[r * C + c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - m - log_z));
    const double nll = log_z - (static_cast<double>(z[target[r]]) - m);
    const double smooth = log_z - sum_shifted / static_cast<double>(C);  // mean_c -logp[c]
    loss[r] = static_cast<float>((1.0 - smoothing) * nll + smoothing * smooth);
  }
}

void cross_entropy_backward(const float* prob, const int64_t* target, const float* g, int64_t n,
                            int64_t classes, float smoothing, float* dlogits) {
  const int64_t C = classes;
  const float uniform = smoothing / static_cast<float>(C);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < C; ++c) dlogits[r * C + c] = g[r] * (prob[r * C + c] - uniform);
    dlogits[r * C + target[r]] -= g[r] * (1.0f - smoothing);
  }
}

void nll_forward(const float* log_probs, const int64_t* target, int64_t n, int64_t classes,
                 float* loss) {
  for (int64_t r = 0; r < n; ++r) loss[r] = -log_probs[r * classes + target[r]];
}

void nll_backward(const int64_t* target, const float* g, int64_t n, int64_t classes,
                  float* dlog_probs) {
  std::fill(dlog_probs, dlog_probs + n * classes, 0.0f);
  for (int64_t r = 0; r < n; ++r) dlog_probs[r * classes + target[r]] = -g[r];
}

}  // namespace cnn::kernels::ref
