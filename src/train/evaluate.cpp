#include "cnn/train/evaluate.h"

#include <cmath>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/ops/loss.h"

namespace cnn::train {

std::vector<double> Evaluation::per_class_accuracy() const {
  std::vector<double> out;
  for (size_t c = 0; c < confusion.size(); ++c) {
    int64_t total = 0;
    for (int64_t v : confusion[c]) total += v;
    out.push_back(total == 0 ? NAN
                             : static_cast<double>(confusion[c][c]) / static_cast<double>(total));
  }
  return out;
}

std::vector<int64_t> argmax_rows(const Tensor& logits) {
  const Tensor l = logits.contiguous();
  const int64_t n = l.size(0), classes = l.size(1);
  const float* p = l.data();
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    out[static_cast<size_t>(i)] = best;
  }
  return out;
}

namespace {

Evaluation evaluate_loader(const std::function<Tensor(const Tensor&)>& forward,
                           const data::DataLoader& loader, int64_t classes, bool allow_empty) {
  NoGradGuard no_grad;
  Evaluation e;
  e.confusion.assign(static_cast<size_t>(classes),
                     std::vector<int64_t>(static_cast<size_t>(classes), 0));
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (data::Batch& batch : loader.epoch(0)) {
    if (batch.y.numel() == 0) continue;  // a shard's empty slice
    const Tensor logits = forward(batch.x);
    CNN_CHECK(logits.dim() == 2 && logits.size(1) == classes, "evaluate: the model returned shape ",
              to_string(logits.shape()), ", expected [batch, ", classes, "]");
    loss_sum += cross_entropy(logits, batch.y, {.reduction = Reduction::sum}).item();
    const std::vector<int64_t> predicted = argmax_rows(logits);
    const int64_t* truth = batch.y.data_i64();
    for (size_t i = 0; i < predicted.size(); ++i) {
      ++e.confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
      correct += predicted[i] == truth[i];
    }
    e.examples += batch.y.numel();
  }
  CNN_CHECK(e.examples > 0 || allow_empty, "evaluate: the data set is empty");
  if (e.examples == 0) return e;
  e.loss = loss_sum / static_cast<double>(e.examples);
  e.accuracy = static_cast<double>(correct) / static_cast<double>(e.examples);
  return e;
}

Evaluation evaluate_module(nn::Module& model, const data::DataLoader& loader, int64_t classes,
                           bool allow_empty) {
  const bool was_training = model.is_training();
  model.eval();
  try {
    Evaluation e =
        evaluate_loader([&](const Tensor& x) { return model(x); }, loader, classes, allow_empty);
    model.train(was_training);
    return e;
  } catch (...) {
    model.train(was_training);
    throw;
  }
}

}  // namespace

Evaluation evaluate(nn::Module& model, const data::DataLoader& loader, int64_t classes) {
  return evaluate_module(model, loader, classes, false);
}

Evaluation evaluate_shard(nn::Module& model, const data::DataLoader& loader, int64_t classes) {
  return evaluate_module(model, loader, classes, true);
}

Evaluation evaluate(const std::function<Tensor(const Tensor&)>& forward,
                    const data::DataLoader& loader, int64_t classes) {
  return evaluate_loader(forward, loader, classes, false);
}

}  // namespace cnn::train
