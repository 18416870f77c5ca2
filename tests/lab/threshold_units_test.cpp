// The lecture's linear threshold units compute logic on near-boolean inputs:
//   P and Q ~ sigma(100 P + 100 Q - 150),  P or Q ~ sigma(100 P + 100 Q - 50),
//   not P ~ sigma(100 (1 - P) - 50),
// each a fully connected layer followed by the sigmoid with the lecture's weights; composed,
// they compute XOR and a 2-bit adder on every row of their truth tables.
#include "cnn/lab/threshold_units.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cnn/cnn.h"

namespace cnn::lab {
namespace {

// Near-boolean inputs: values close to 0 or close to 1, as the lecture assumes.
const std::vector<std::pair<float, float>> kInputs = {
    {0.03f, 0.01f}, {0.02f, 0.96f}, {0.98f, 0.04f}, {0.97f, 0.99f}};

Tensor column(size_t which) {
  std::vector<float> v;
  for (auto [p, q] : kInputs) v.push_back(which == 0 ? p : q);
  return Tensor::from_data({4, 1}, v);
}

TEST(ThresholdUnits, AndOrNot) {
  const std::vector<float> and_out = logic_and(column(0), column(1)).to_vector();
  const std::vector<float> or_out = logic_or(column(0), column(1)).to_vector();
  const std::vector<float> not_out = logic_not(column(0)).to_vector();
  for (size_t i = 0; i < kInputs.size(); ++i) {
    const bool p = kInputs[i].first > 0.5f, q = kInputs[i].second > 0.5f;
    EXPECT_NEAR(and_out[i], (p && q) ? 1.0f : 0.0f, 1e-3) << "AND row " << i;
    EXPECT_NEAR(or_out[i], (p || q) ? 1.0f : 0.0f, 1e-3) << "OR row " << i;
    EXPECT_NEAR(not_out[i], p ? 0.0f : 1.0f, 1e-3) << "NOT row " << i;
  }
}

TEST(ThresholdUnits, UnitIsSigmoidOfWeightedSumMinusThreshold) {
  const Tensor x = Tensor::from_data({2, 2}, {0.5f, 0.25f, -1.0f, 2.0f});
  const std::vector<float> out = threshold_unit(x, {2.0f, -4.0f}, 0.5f).to_vector();
  EXPECT_NEAR(out[0], 1.0f / (1.0f + std::exp(-(1.0f - 1.0f - 0.5f))), 1e-6);
  EXPECT_NEAR(out[1], 1.0f / (1.0f + std::exp(-(-2.0f - 8.0f - 0.5f))), 1e-6);
  EXPECT_THROW(threshold_unit(x, {1.0f}, 0.0f), Error);
}

TEST(ThresholdUnits, TruthTables) {
  EXPECT_EQ(xor_table().inputs.to_vector(), (std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}));
  EXPECT_EQ(xor_table().targets.to_vector(), (std::vector<float>{0, 1, 1, 0}));
  const TruthTable add = adder2_table();
  ASSERT_EQ(add.inputs.shape(), (Shape{16, 4}));
  ASSERT_EQ(add.targets.shape(), (Shape{16, 3}));
  // Row 0b1110: a = 3, b = 2, sum 5 = 101.
  EXPECT_EQ(add.inputs.slice(0, 14, 15).to_vector(), (std::vector<float>{1, 1, 1, 0}));
  EXPECT_EQ(add.targets.slice(0, 14, 15).to_vector(), (std::vector<float>{1, 0, 1}));
}

// Every row right, to within 1e-3, on inputs up to 0.05 away from 0 and 1.
void expect_computes(const Tensor& out, const Tensor& truth, const char* what) {
  const std::vector<float> o = out.to_vector(), t = truth.to_vector();
  ASSERT_EQ(o.size(), t.size()) << what;
  for (size_t i = 0; i < o.size(); ++i) EXPECT_NEAR(o[i], t[i], 1e-3) << what << " element " << i;
}

TEST(ThresholdUnits, XorAndTwoBitAdderCircuits) {
  const TruthTable x = xor_table();
  const std::vector<Tensor> pq = near_boolean_columns(x.inputs, 0.05f, 7);
  expect_computes(logic_xor(pq[0], pq[1]), x.targets, "XOR");
  const TruthTable a = adder2_table();
  const std::vector<Tensor> ab = near_boolean_columns(a.inputs, 0.05f, 8);
  expect_computes(adder2(ab[0], ab[1], ab[2], ab[3]), a.targets, "adder");
}

TEST(ThresholdUnits, NearBooleanColumnsStayNearTheirBits) {
  const TruthTable a = adder2_table();
  const std::vector<Tensor> cols = near_boolean_columns(a.inputs, 0.05f, 3);
  ASSERT_EQ(cols.size(), 4u);
  const std::vector<float> bits = a.inputs.to_vector();
  bool moved = false;
  for (size_t c = 0; c < 4; ++c) {
    const std::vector<float> v = cols[c].to_vector();
    for (size_t r = 0; r < 16; ++r) {
      EXPECT_LE(std::abs(v[r] - bits[r * 4 + c]), 0.05f);
      moved = moved || v[r] != bits[r * 4 + c];
    }
  }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace cnn::lab
