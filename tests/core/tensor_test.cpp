#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

TEST(Tensor, CreationAndAccess) {
  Tensor t = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_FLOAT_EQ(t.at({1, 2}), 6.0f);
  EXPECT_FLOAT_EQ(t.at({-1, 0}), 4.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  EXPECT_THROW(Tensor::from_data({2, 2}, {1, 2, 3}), Error);
  EXPECT_THROW(t.at({2, 0}), Error);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor tt = t.transpose(0, 1);
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.storage().get(), t.storage().get());
  EXPECT_EQ(tt.to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  Tensor s = t.slice(1, 1, 3);
  EXPECT_EQ(s.to_vector(), (std::vector<float>{2, 3, 5, 6}));
  EXPECT_EQ(t.slice(1, 0, 3, 2).to_vector(), (std::vector<float>{1, 3, 4, 6}));
  Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.storage().get(), t.storage().get());
  EXPECT_EQ(tt.contiguous().to_vector(), tt.to_vector());
  EXPECT_THROW(t.reshape({4, -1}), Error);
  EXPECT_THROW(t.permute({0, 0}), Error);
}

TEST(Tensor, ShapeOverflowIsAnError) {
  EXPECT_THROW(checked_numel({1LL << 40, 1LL << 40}), Error);
  EXPECT_THROW(Tensor::empty({-1, 3}), Error);
  // No elements (a zero extent), but the other extents' product overflows the strides (a
  // fuzzing finding: an ONNX initializer, fuzz/regressions/onnx/).
  EXPECT_EQ(checked_numel({0, 268435443, 13507304949336000}), 0);
  EXPECT_THROW(Tensor::empty({0, 268435443, 13507304949336000}), Error);
  EXPECT_THROW(Tensor::empty({0, 1LL << 40, 1LL << 40}), Error);
  EXPECT_EQ(Tensor::empty({0, 1LL << 40, 1LL << 22}).numel(), 0);  // strides still fit
  EXPECT_EQ(contiguous_strides({0, 1LL << 40, 1LL << 22}), (Shape{1LL << 62, 1LL << 22, 1}));
}

TEST(Generator, SameSeedSameStream) {
  Generator a(7), b(7), c(8);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Generator d(1);
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = d.normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(sq / n, 1.0, 0.03);
  const auto state = d.state();
  const uint64_t next = d.next_u64();
  d.set_state(state);
  EXPECT_EQ(d.next_u64(), next);
}

TEST(Parallel, CoversRangeOnceAndIsNestedSafe) {
  std::vector<int> hits(1000, 0);
  parallel_for(1000, 7, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ++hits[static_cast<size_t>(i)];
      parallel_for(3, 1, [](int64_t, int64_t) {});
    }
  });
  for (int h : hits) EXPECT_EQ(h, 1);
  EXPECT_THROW(parallel_for(10, 1, [](int64_t, int64_t) { fail("boom"); }), Error);
}

}  // namespace
}  // namespace cnn
