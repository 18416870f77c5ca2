#include <gtest/gtest.h>

#include "cnn/train/config.h"
#include "support/tensor_testing.h"

namespace cnn::train {
namespace {

using cnn::testing::error_of;

TEST(TrainConfig, JsonRoundTrip) {
  TrainConfig c;
  c.model = "plain20";
  c.lr = 0.05;
  c.flip = false;
  c.resize = 32;
  c.out = "runs/x";
  const TrainConfig back = TrainConfig::from_json(c.to_json(), "config.json");
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_NE(c.to_json().find("\"lr\": 0.05"), std::string::npos) << c.to_json();  // no float noise
}

TEST(TrainConfig, MissingFieldsKeepDefaultsUnknownOnesAreErrors) {
  const TrainConfig c = TrainConfig::from_json(R"({"model": "resnet32", "epochs": 7})", "old.json");
  EXPECT_EQ(c.model, "resnet32");
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.batch_size, TrainConfig{}.batch_size);
  EXPECT_EQ(error_of([] { TrainConfig::from_json(R"({"epoch": 7})", "typo.json"); }),
            "typo.json: unknown field 'epoch'");
  EXPECT_EQ(error_of([] { TrainConfig::from_json(R"({"epochs": "seven"})", "bad.json"); }),
            "bad.json: field 'epochs' has the wrong type (\"seven\")");
  EXPECT_NE(
      error_of([] { TrainConfig::from_json("{", "cut.json"); }).find("cut.json: not valid JSON"),
      std::string::npos);
}

TEST(TrainConfig, ValidateNamesTheField) {
  TrainConfig c;
  c.out = "runs/x";
  c.optimizer = "rmsprop";
  EXPECT_EQ(error_of([&] { c.validate(); }), "unknown optimizer 'rmsprop' (sgd, adam, adamw)");
  c.optimizer = "sgd";
  c.momentum = 1.0;
  EXPECT_EQ(error_of([&] { c.validate(); }), "momentum must be in [0, 1), got 1");
}

}  // namespace
}  // namespace cnn::train
