// `cnn lab gradients --quick`: the direction of each effect at 50 layers, not exact numbers.
#include <gtest/gtest.h>

#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

using testing::find_run;
using testing::value;

class Gradients : public testing::LabTest {};

// The first layer's gradient RMS (NaN when it left the float range).
double first(const nlohmann::json& run) {
  return value(run.at("rms").front());
}

TEST_F(Gradients, VanishExplodeAndTheFixes) {
  const nlohmann::json m = run("gradients").at("measurements");
  const nlohmann::json& runs = m.at("runs");
  // Through 50 sigmoids the gradient vanishes: many orders of magnitude from last to first.
  EXPECT_LT(value(find_run(runs, "sigmoid, Xavier", 50).at("first_to_last")), 1e-3);
  // Skips and batch normalization keep first and last within a small factor.
  const double resnet =
      value(find_run(runs, "ReLU, Kaiming, BN, residual", 50).at("first_to_last"));
  EXPECT_GT(resnet, 1.0 / 30);
  EXPECT_LT(resnet, 30.0);
  // Skips alone rescue the sigmoid network.
  EXPECT_GT(value(find_run(runs, "sigmoid, Xavier, residual", 50).at("first_to_last")), 1e-3);
  // Small weights: the gradient falls by orders of magnitude as the network deepens (0 when
  // below the smallest float).
  const double small10 = first(find_run(runs, "ReLU, small", 10));
  const double small50 = first(find_run(runs, "ReLU, small", 50));
  EXPECT_GT(small10, 0.0);
  EXPECT_TRUE(small50 == 0.0 || small50 < 1e-6 * small10) << small10 << " -> " << small50;
  // Large weights with ReLU, which does not saturate: it grows (or leaves the float range).
  const double large10 = first(find_run(runs, "ReLU, large", 10));
  const double large50 = first(find_run(runs, "ReLU, large", 50));
  EXPECT_GT(large10, 1e3 * first(find_run(runs, "ReLU, Kaiming", 10)));
  EXPECT_TRUE(!std::isfinite(large50) || large50 > 1e6 * large10) << large10 << " -> " << large50;

  EXPECT_TRUE(claim("sigmoids_vanish").held);
  EXPECT_TRUE(claim("small_weights_vanish").held);
  EXPECT_TRUE(claim("large_weights_explode").held);
  EXPECT_TRUE(claim("skip_preserves_gradients").held);
  expect_files("gradients");
}

}  // namespace
}  // namespace cnn::lab
