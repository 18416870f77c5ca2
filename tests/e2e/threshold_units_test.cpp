// The lecture's linear threshold units compute logic on near-boolean inputs:
//   P and Q ~ sigma(100 P + 100 Q - 150),  P or Q ~ sigma(100 P + 100 Q - 50),
//   not P ~ sigma(100 (1 - P) - 50),
// each as a fully connected layer followed by the sigmoid, with the weights the lecture gives.
#include <gtest/gtest.h>

#include "cnn/cnn.h"

namespace cnn {
namespace {

// Near-boolean inputs: values close to 0 or close to 1, as the lecture assumes.
const std::vector<std::pair<float, float>> kInputs = {
    {0.03f, 0.01f}, {0.02f, 0.96f}, {0.98f, 0.04f}, {0.97f, 0.99f}};

Tensor unit(const Tensor& x, std::vector<float> w, float threshold) {
  const Tensor weight = Tensor::from_data({1, static_cast<int64_t>(w.size())}, w);
  // The lecture subtracts a threshold B; a bias is its negative.
  return sigmoid(linear(x, weight, Tensor::from_data({1}, {-threshold})));
}

Tensor batch() {
  std::vector<float> v;
  for (auto [p, q] : kInputs) v.insert(v.end(), {p, q});
  return Tensor::from_data({4, 2}, v);
}

TEST(ThresholdUnits, AndOrNot) {
  const std::vector<float> and_out = unit(batch(), {100, 100}, 150).to_vector();
  const std::vector<float> or_out = unit(batch(), {100, 100}, 50).to_vector();
  // not P = sigma(100 (1 - P) - 50) = sigma(-100 P + 50): weight -100, threshold -50.
  const std::vector<float> not_out = unit(batch().slice(1, 0, 1), {-100}, -50).to_vector();
  for (size_t i = 0; i < kInputs.size(); ++i) {
    const bool p = kInputs[i].first > 0.5f, q = kInputs[i].second > 0.5f;
    EXPECT_NEAR(and_out[i], (p && q) ? 1.0f : 0.0f, 1e-3) << "AND row " << i;
    EXPECT_NEAR(or_out[i], (p || q) ? 1.0f : 0.0f, 1e-3) << "OR row " << i;
    EXPECT_NEAR(not_out[i], p ? 0.0f : 1.0f, 1e-3) << "NOT row " << i;
  }
}

}  // namespace
}  // namespace cnn
