// `cnn formula` and `cnn bench --formulas`: what a user reads, and errors as exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cnn {
namespace {

using testing::run_cnn;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(FormulaCli, PrintsShapesKernelAndTheTransposedGradients) {
  const auto r = run_cnn(
      "formula 'Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x+dx, s*y+dy, i] - B[j]' --const s=2 "
      "--shape L=2x15x15x3 --shape W=3x3x3x8 --shape B=8 --grad");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "output:   Y 2x7x7x8")) << r.output;
  EXPECT_TRUE(contains(r.output, "runs on:  conv2d(stride 2x2) - bias")) << r.output;
  EXPECT_TRUE(contains(r.output, "flops:    ")) << r.output;
  // x = (x' - dx) / 2 where exact: the lecture's strided convolution transposed.
  EXPECT_TRUE(
      contains(r.output, "dL[b, x', y', i] = dY[b, (x' - dx)/2, (y' - dy)/2, j] * W[dx, dy, i, j]"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "dW[dx, dy, i, j] = dY[b, x, y, j] * L[b, 2*x + dx, 2*y + dy, i]"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "dB[j] = -dY[b, x, y, j]")) << r.output;
}

TEST(FormulaCli, BenchShowsTheKernelsSpeedAndTheLoopNests) {
  const auto r = run_cnn("formula 'Y[b,j] = W[j,i] * L[b,i]' --shape L=4x5 --shape W=3x5 --bench");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "speed:    forward ")) << r.output;
  EXPECT_TRUE(contains(r.output, "FMA peak on")) << r.output;
  EXPECT_TRUE(contains(r.output, "the same formula on the loop nest (no kernels)")) << r.output;
}

TEST(FormulaCli, JsonCarriesTheSameFacts) {
  const auto r = run_cnn("formula 'Y[b,j] = W[j,i] * L[b,i]' --shape L=4x5 --shape W=3x5 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("results").at("Y"), nlohmann::json({4, 3}));
  EXPECT_EQ(j.at("flops").get<double>(), 4 * 3 * 5 * 2);
  EXPECT_EQ(j.at("kernels").at(0), "linear");
}

TEST(FormulaCli, ErrorsNameTheColumnOrTheOption) {
  auto r = run_cnn("formula 'Y[x] = L[x*y]' --shape L=5");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.output, "column 11: index expression is not affine")) << r.output;
  r = run_cnn("formula 'Y[x] = L[x]'");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "give its shape with --shape L=")) << r.output;
  r = run_cnn("formula 'Y[x] = L[x]' --shape L=5xq");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "a shape is extents joined by x")) << r.output;
  r = run_cnn("formula 'Y[x] = L[s*x]' --shape L=5 --const s=two");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "s=two: the value is not a number")) << r.output;
}

TEST(FormulaCli, BenchFormulasQuickJson) {
  const auto r = run_cnn("bench --formulas --quick --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_GT(j.at("fma_peak_gflops").get<double>(), 0);
  ASSERT_EQ(j.at("formulas").size(), 5u);
  for (const auto& row : j.at("formulas")) {
    EXPECT_GT(row.at("forward_seconds").get<double>(), 0) << row.dump();
    EXPECT_GT(row.at("flops").get<double>(), 0) << row.dump();
  }
  EXPECT_EQ(j.at("formulas").at(0).at("runs_on"), "conv2d(stride 1x1, padding 1,1,1,1)");
  EXPECT_TRUE(j.at("formulas").at(0).contains("builtin_forward_seconds"));
  EXPECT_EQ(j.at("formulas").at(4).at("runs_on"), "contraction loop nest");
}

}  // namespace
}  // namespace cnn
