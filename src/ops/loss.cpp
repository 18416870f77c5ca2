// Losses: fused softmax cross-entropy (with label smoothing), nll_loss, mse_loss.
// cross_entropy and nll_loss compute one loss per row with a kernel of kernels/loss.h (formulas
// in kernels/ref/loss_ref.h) and reduce here; mse_loss is light and composes differentiable ops.
#include "cnn/ops/loss.h"

#include <limits>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/reduce.h"
#include "kernels/loss.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;

// scores [N, C] (float32) and target [N] (int64 class indices, each in [0, C)). Returns the
// targets as a dense vector.
std::vector<int64_t> check_class_target(const Tensor& scores, const Tensor& target, const char* op,
                                        const char* scores_arg) {
  detail::check_rank(scores, 2, op, scores_arg, "[batch, classes]");
  detail::check_defined(target, op, "target");
  const int64_t N = scores.size(0), C = scores.size(1);
  CNN_CHECK(target.dtype() == DType::i64, op,
            ": argument 'target' must be int64 class indices, got ", dtype_name(target.dtype()),
            " of shape ", to_string(target.shape()));
  CNN_CHECK(target.shape() == Shape{N}, op, ": argument 'target' must have shape [", N,
            "] to match ", scores_arg, " of shape ", to_string(scores.shape()), ", got shape ",
            to_string(target.shape()));
  CNN_CHECK(C >= 1, op, ": argument '", scores_arg, "' has no classes: shape ",
            to_string(scores.shape()));
  std::vector<int64_t> t = target.to_vector_i64();
  for (int64_t i = 0; i < N; ++i)
    CNN_CHECK(t[i] >= 0 && t[i] < C, op, ": target[", i, "] = ", t[i],
              " is not a class index in [0, ", C, ") for ", scores_arg, " of shape ",
              to_string(scores.shape()));
  return t;
}

// Per-row losses [N] -> the requested reduction (mean and sum in double, by reduce.h's ops;
// a mean over N = 0 rows is NaN, as in PyTorch). The reduction records its own backward.
Tensor reduce_rows(const Tensor& per_row, Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return per_row.numel() == 0 ? Tensor::scalar(std::numeric_limits<float>::quiet_NaN())
                                  : mean(per_row);
    case Reduction::sum:
      return sum(per_row);
    case Reduction::none:
      break;
  }
  return per_row;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  std::vector<int64_t> t = check_class_target(logits, target, "cross_entropy", "logits");
  const float s = options.label_smoothing;
  CNN_CHECK(s >= 0.0f && s <= 1.0f,
            "cross_entropy: option 'label_smoothing' must be in [0, 1], got ", s);
  const int64_t N = logits.size(0), C = logits.size(1);
  const Tensor lc = logits.contiguous();
  Tensor per_row = Tensor::empty({N}), prob = Tensor::empty({N, C});
  kernels::cross_entropy_forward(lc.data(), t.data(), N, C, s, per_row.data(), prob.data());
  autograd::record("cross_entropy", {logits}, {per_row},
                   [prob, t = std::move(t), s, N, C](const TensorList& g) {
                     const Tensor g_row = g[0].contiguous();
                     Tensor dlogits = Tensor::empty({N, C});
                     kernels::cross_entropy_backward(prob.data(), t.data(), g_row.data(), N, C, s,
                                                     dlogits.data());
                     return TensorList{dlogits};
                   });
  return reduce_rows(per_row, options.reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  std::vector<int64_t> t = check_class_target(log_probs, target, "nll_loss", "log_probs");
  const int64_t N = log_probs.size(0), C = log_probs.size(1);
  const Tensor lc = log_probs.contiguous();
  Tensor per_row = Tensor::empty({N});
  kernels::nll_forward(lc.data(), t.data(), N, C, per_row.data());
  autograd::record("nll_loss", {log_probs}, {per_row},
                   [t = std::move(t), N, C](const TensorList& g) {
                     const Tensor g_row = g[0].contiguous();
                     Tensor dlog_probs = Tensor::empty({N, C});
                     kernels::nll_backward(t.data(), g_row.data(), N, C, dlog_probs.data());
                     return TensorList{dlog_probs};
                   });
  return reduce_rows(per_row, reduction);
}

// (input - target)^2, reduced; both arguments are differentiable.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  detail::check_float(input, "mse_loss", "input");
  detail::check_float(target, "mse_loss", "target");
  CNN_CHECK(input.shape() == target.shape(),
            "mse_loss: arguments 'input' and 'target' must have the same shape, got ",
            to_string(input.shape()), " and ", to_string(target.shape()));
  return reduce_rows(square(sub(input, target)), reduction);
}

}  // namespace cnn
