// `cnn lab batchnorm --quick`: batch normalization keeps the sigmoid's inputs at zero mean and
// unit variance while training moves them without it, and the network learns faster.
#include <gtest/gtest.h>

#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

using testing::value;

class BatchNorm : public testing::LabTest {};

TEST_F(BatchNorm, KeepsTheInputsNormalizedAndLearnsFaster) {
  const nlohmann::json variants = run("batchnorm").at("measurements").at("variants");
  ASSERT_EQ(variants.size(), 2u);
  const nlohmann::json& without = variants[0];
  const nlohmann::json& with = variants[1];
  ASSERT_FALSE(without.at("batch_norm").get<bool>());
  ASSERT_TRUE(with.at("batch_norm").get<bool>());
  ASSERT_GT(with.at("inputs").size(), 10u);
  for (const nlohmann::json& d : with.at("inputs")) {
    EXPECT_LT(std::abs(value(d.at("mean"))), 0.25) << d.dump();
    EXPECT_GT(value(d.at("stddev")), 2.0 / 3.0) << d.dump();
    EXPECT_LT(value(d.at("stddev")), 1.5) << d.dump();
  }
  EXPECT_LT(value(with.at("drift")), value(without.at("drift")));
  EXPECT_LT(value(with.at("train_loss").back()), value(without.at("train_loss").back()) - 0.1);
  EXPECT_TRUE(claim("batchnorm_covariate_shift").held);
  expect_files("batchnorm");
}

}  // namespace
}  // namespace cnn::lab
