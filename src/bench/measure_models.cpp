// Our models: one SGD training step, or one inference forward pass.
#include <cstdint>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/bench/measure.h"
#include "cnn/models/registry.h"
#include "cnn/ops/loss.h"
#include "cnn/optim/sgd.h"

namespace cnn::bench {

ModelTiming time_model(const ModelCase& c, const TimingPolicy& policy) {
  Generator gen(1);
  auto model = models::create(c.model, {.classes = c.classes, .in_channels = c.channels}, gen);
  const Tensor x = Tensor::normal({c.batch, c.height, c.width, c.channels}, 0, 1, gen);
  ModelTiming result;
  result.parameters = model->parameter_count();
  if (c.mode == ModelMode::inference) {
    model->eval();
    const NoGradGuard no_grad;
    result.timing = time_work([&] { (*model)(x); }, policy);
    return result;
  }
  std::vector<int64_t> labels(static_cast<size_t>(c.batch));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i) % c.classes;
  const Tensor y = Tensor::from_data_i64({c.batch}, labels);
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
