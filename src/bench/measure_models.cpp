// Our models: one SGD training step, or one inference forward pass.
#include <cstdint>
#include <memory>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/bench/measure.h"
#include "cnn/models/registry.h"
#include "cnn/ops/loss.h"
#include "cnn/optim/sgd.h"
#include "cnn/prepare.h"

namespace cnn::bench {
namespace {

// Our inference figure, the one place that says how we run a model for inference: prepared
// once for the input's shape (cnn/prepare.h: batch norm folded, weights packed, each
// convolution's algorithm measured; not timed), then one forward pass per run.
Timing time_inference(const std::shared_ptr<nn::Module>& model, const Tensor& x,
                      const TimingPolicy& policy) {
  model->eval();
  const std::shared_ptr<PreparedModel> prepared = prepare(model, x.shape());
  return time_work([&] { prepared->forward(x); }, policy);
}

}  // namespace

ModelTiming time_model(const ModelCase& model_case, const TimingPolicy& policy) {
  Generator gen(1);
  auto model = models::create(
      model_case.model, {.classes = model_case.classes, .in_channels = model_case.channels}, gen);
  const Tensor x = Tensor::normal(
      {model_case.batch, model_case.height, model_case.width, model_case.channels}, 0, 1, gen);
  ModelTiming result;
  result.parameters = model->parameter_count();
  if (model_case.mode == ModelMode::inference) {
    result.timing = time_inference(model, x, policy);
    return result;
  }
  std::vector<int64_t> labels(static_cast<size_t>(model_case.batch));
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = static_cast<int64_t>(i) % model_case.classes;
  const Tensor y = Tensor::from_data_i64({model_case.batch}, labels);
  model->train();
  // The trainer's optimizer (src/train/trainer.cpp); a small rate keeps random data stable.
  optim::SGD sgd(model->parameters(),
                 {.lr = 0.01f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = true});
  result.timing = time_work(
      [&] {
        sgd.zero_grad();
        cross_entropy((*model)(x), y).backward();
        sgd.step();
      },
      policy);
  return result;
}

}  // namespace cnn::bench
