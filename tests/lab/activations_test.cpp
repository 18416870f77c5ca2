// `cnn lab activations --quick`: what Xavier's argument preserves, and what it does not.
#include <gtest/gtest.h>

#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

using testing::find_run;
using testing::value;

class Activations : public testing::LabTest {};

double mean_gain(const nlohmann::json& run) {
  double sum = 0;
  int n = 0;
  for (const nlohmann::json& g : run.at("gain"))
    if (std::isfinite(value(g))) sum += value(g), ++n;
  return sum / n;
}

TEST_F(Activations, XavierKeepsTheVarianceWhereSmallWeightsCollapseIt) {
  const nlohmann::json m = run("activations").at("measurements");
  const nlohmann::json& runs = m.at("runs");
  // The identity network is Xavier's y_j = sum_i x_i w_ij: each layer keeps its input's
  // second moment, and the variance stays within a band through 50 layers.
  const nlohmann::json& linear = find_run(runs, "identity, Xavier");
  EXPECT_NEAR(mean_gain(linear), 1.0, 0.2);
  const double v1 = value(linear.at("pre_variance").front());
  for (const nlohmann::json& v : linear.at("pre_variance")) {
    EXPECT_GT(value(v), v1 / 4);
    EXPECT_LT(value(v), v1 * 4);
  }
  // Small weights: the variance collapses (to 0 once below the smallest float).
  const nlohmann::json& small = find_run(runs, "identity, small").at("pre_variance");
  EXPECT_LT(value(small[20]), 1e-20 * value(small[0]));
  EXPECT_LT(mean_gain(find_run(runs, "identity, small")), 0.05);
  // Large weights blow it up.
  EXPECT_GT(mean_gain(find_run(runs, "identity, large")), 20.0);
  // ReLU zeroes half its inputs: Xavier's gain stays 1 and the variance halves each layer;
  // Kaiming's variance 2/N doubles the gain.
  EXPECT_NEAR(mean_gain(find_run(runs, "ReLU, Kaiming")), 2.0, 0.4);
  const double xavier10 = value(find_run(runs, "ReLU, Xavier").at("pre_variance")[9]);
  const double kaiming10 = value(find_run(runs, "ReLU, Kaiming").at("pre_variance")[9]);
  EXPECT_LT(xavier10, kaiming10 / 10);
  // The sigmoid is flat beyond |x| > 4; large weights put most of its inputs there.
  EXPECT_LT(value(m.at("sigmoid_slope_at_4")), 0.02);
  EXPECT_GT(value(find_run(runs, "sigmoid, large").at("saturated_fraction").back()), 0.3);
  EXPECT_LT(value(find_run(runs, "sigmoid, Xavier").at("saturated_fraction").back()), 0.01);

  EXPECT_TRUE(claim("xavier_independence").held);
  EXPECT_TRUE(claim("xavier_preserves").held);
  EXPECT_TRUE(claim("sigmoid_gradient_small").held);
  expect_files("activations");
}

}  // namespace
}  // namespace cnn::lab
