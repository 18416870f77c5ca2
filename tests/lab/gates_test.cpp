// `cnn lab gates --quick`: the lecture's units wired into circuits are right on every row, and
// SGD learns the same truth tables to 100 %.
#include <gtest/gtest.h>

#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

using testing::value;

class Gates : public testing::LabTest {};

TEST_F(Gates, WiredCircuitsAreExactAndSgdLearnsThem) {
  const nlohmann::json m = run("gates").at("measurements");
  ASSERT_EQ(m.at("wired").size(), 5u);
  for (const nlohmann::json& w : m.at("wired")) {
    EXPECT_EQ(w.at("rows_correct"), w.at("rows")) << w.dump();
    EXPECT_LT(value(w.at("max_error")), 1e-3) << w.dump();
  }
  ASSERT_EQ(m.at("learned").size(), 2u);
  for (const nlohmann::json& l : m.at("learned")) {
    EXPECT_GT(l.at("solved_at").get<int64_t>(), 0) << l.dump();
    EXPECT_EQ(value(l.at("final_accuracy")), 1.0) << l.dump();
  }
  for (const char* id : {"and_unit", "or_unit", "not_unit", "circuits", "universality"})
    EXPECT_TRUE(claim(id).held) << id;
  expect_files("gates");
}

}  // namespace
}  // namespace cnn::lab
