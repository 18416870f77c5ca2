// `cnn lab depth --quick`: the four networks train through the Trainer and their curves, run
// folders and pictures are written. Two SGD steps cannot show the degradation of deep plain
// networks; docs/LAB.md records the full run that does (or does not).
#include <gtest/gtest.h>

#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

using testing::value;

class Depth : public testing::LabTest {};

TEST_F(Depth, TrainsPlainAndResidualNetworksThroughTheTrainer) {
  const nlohmann::json m = run("depth").at("measurements");
  const nlohmann::json& curves = m.at("curves");
  ASSERT_EQ(curves.size(), 4u);
  const char* models[] = {"plain20", "plain32", "resnet20", "resnet32"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(curves[i].at("model"), models[i]);
    ASSERT_EQ(curves[i].at("train_error").size(), 1u);
    for (const char* key : {"train_error", "test_error"}) {
      const double e = value(curves[i].at(key)[0]);
      EXPECT_GE(e, 0.0);
      EXPECT_LE(e, 1.0);
    }
    for (const char* file : {"metrics.csv", "config.json", "checkpoint-latest.ckpt", "loss.png"})
      EXPECT_TRUE(testing::fs::exists(out_ / "depth" / models[i] / file))
          << models[i] << "/" << file;
  }
  // The claims compare exactly these numbers.
  const bool deeper_plain_worse =
      value(curves[1].at("train_error")[0]) > value(curves[0].at("train_error")[0]);
  EXPECT_EQ(claim("architectures_differ").held, deeper_plain_worse);
  expect_files("depth");
}

}  // namespace
}  // namespace cnn::lab
