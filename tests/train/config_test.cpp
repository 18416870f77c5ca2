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

TEST(TrainConfig, ReadsEachFieldAsItsExactType) {
  // nlohmann's conversions would truncate, wrap or coerce these silently.
  EXPECT_EQ(error_of([] { TrainConfig::from_json(R"({"seed": -1})", "c.json"); }),
            "c.json: field 'seed' has the wrong type (-1)");
  EXPECT_EQ(error_of([] { TrainConfig::from_json(R"({"epochs": 2.5})", "c.json"); }),
            "c.json: field 'epochs' has the wrong type (2.5)");
  EXPECT_EQ(error_of([] { TrainConfig::from_json(R"({"flip": 1})", "c.json"); }),
            "c.json: field 'flip' has the wrong type (1)");
  EXPECT_EQ(
      error_of([] { TrainConfig::from_json(R"({"threads": 18446744073709551615})", "c.json"); }),
      "c.json: field 'threads' has the wrong type (18446744073709551615)");
  EXPECT_EQ(TrainConfig::from_json(R"({"lr": 1})", "c.json").lr, 1.0);  // an integer is a number
}

TEST(TrainConfig, ValidateBoundsWhatAValueCouldMakeTheTrainerDo) {
  const auto error = [](auto change) {
    TrainConfig c;
    c.out = "runs/x";
    change(c);
    return error_of([&] { c.validate(); });
  };
  EXPECT_EQ(error([](TrainConfig& c) { c.epochs = 1'000'000; }),
            "epochs must be in [1, 100000], got 1000000");
  EXPECT_EQ(error([](TrainConfig& c) { c.threads = 5000; }),
            "threads must be in [0, 1024] (0: every core), got 5000");
  EXPECT_NE(error([](TrainConfig& c) { c.lr = 1e-50; }).find("lr 1e-50 is not representable"),
            std::string::npos);
  EXPECT_EQ(error([](TrainConfig& c) { c.resize = 20000; }),
            "resize must be in [0, 16384] pixels, got 20000");
  EXPECT_EQ(error([](TrainConfig& c) { c.num_classes = 2'000'000; }),
            "num_classes must be in [0, 1000000], got 2000000");
  TrainConfig c;
  c.epochs = 100'000;
  EXPECT_EQ(error_of([&] { c.validate_steps(100'000); }),
            "epochs x steps per epoch = 100000 x 100000 is over the limit of 2147483648 steps");
  EXPECT_EQ(error_of([] {
              check_image_shape({32, 32, 0}, "x");
            }),
            "x: channels 0 of image shape [32, 32, 0] are outside [1, 4096]");
}

}  // namespace
}  // namespace cnn::train
