#include "kernels/loss.h"

#include "kernels/ref/loss_ref.h"

namespace cnn::kernels {

void cross_entropy_forward(const float* logits, const int64_t* target, int64_t n, int64_t classes,
                           float smoothing, float* loss, float* prob) {
  ref::cross_entropy_forward(logits, target, n, classes, smoothing, loss, prob);
}
void cross_entropy_backward(const float* prob, const int64_t* target, const float* g, int64_t n,
                            int64_t classes, float smoothing, float* dlogits) {
  ref::cross_entropy_backward(prob, target, g, n, classes, smoothing, dlogits);
}
void nll_forward(const float* log_probs, const int64_t* target, int64_t n, int64_t classes,
                 float* loss) {
  ref::nll_forward(log_probs, target, n, classes, loss);
}
void nll_backward(const int64_t* target, const float* g, int64_t n, int64_t classes,
                  float* dlog_probs) {
  ref::nll_backward(target, g, n, classes, dlog_probs);
}

}  // namespace cnn::kernels
