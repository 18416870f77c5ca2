#include "inference.h"

#include <cstdio>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/prepare.h"

namespace cnn::tool {

std::function<Tensor(const Tensor&)> inference_forward(const std::shared_ptr<nn::Module>& model,
                                                       const Shape& input_shape, bool measure,
                                                       bool unprepared) {
  model->eval();
  if (!unprepared) {
    try {
      std::shared_ptr<PreparedModel> prepared = prepare(model, input_shape, {.measure = measure});
      return [prepared](const Tensor& x) { return prepared->forward(x); };
    } catch (const Error& e) {
      std::fprintf(stderr, "note: running the model unprepared: %s\n", e.what());
    }
  }
  return [model](const Tensor& x) {
    const NoGradGuard no_grad;
    return (*model)(x);
  };
}

}  // namespace cnn::tool
