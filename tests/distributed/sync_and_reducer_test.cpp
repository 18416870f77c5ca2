// The pieces of data-parallel training in one process: sync batch norm's own backward against
// batch_norm's kernels, and the gradient reducer against plain backward.
#include <gtest/gtest.h>

#include "cnn/distributed.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/norm.h"
#include "cnn/ops/reduce.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;

void expect_close(const Tensor& a, const Tensor& b, double tolerance) {
  EXPECT_LE(testing::relative_error(a, b), tolerance);
}

// A weighted sum of the output, so every element's gradient differs.
Tensor weighted(const Tensor& y, uint64_t seed) {
  return sum(mul(y, randn(y.shape(), seed)));
}

struct BatchNormRun {
  Tensor y, dx, dgamma, dbeta, running_mean, running_var;
};

BatchNormRun run_batch_norm(bool relu, distributed::Communicator* sync) {
  Tensor x = randn({4, 5, 3, 8}, 1, 2.0f);
  x = add(x, Tensor::full({8}, 0.7f)).detach();
  x.requires_grad_(true);
  Tensor gamma = randn({8}, 2), beta = randn({8}, 3);
  gamma.requires_grad_(true);
  beta.requires_grad_(true);
  BatchNormRun r;
  r.running_mean = Tensor::zeros({8});
  r.running_var = Tensor::full({8}, 1.0f);
  const BatchNormOptions options{.sync = sync};
  r.y = relu ? batch_norm_relu(x, r.running_mean, r.running_var, gamma, beta, options)
             : batch_norm(x, r.running_mean, r.running_var, gamma, beta, options);
  weighted(r.y, 4).backward();
  r.dx = x.grad();
  r.dgamma = gamma.grad();
  r.dbeta = beta.grad();
  return r;
}

void expect_same_batch_norm(bool relu) {
  const auto one = distributed::single_process();
  const BatchNormRun plain = run_batch_norm(relu, nullptr),
                     synced = run_batch_norm(relu, one.get());
  expect_close(synced.y, plain.y, 1e-5);
  expect_close(synced.dx, plain.dx, 1e-4);
  expect_close(synced.dgamma, plain.dgamma, 1e-4);
  expect_close(synced.dbeta, plain.dbeta, 1e-4);
  expect_close(synced.running_mean, plain.running_mean, 1e-6);
  expect_close(synced.running_var, plain.running_var, 1e-6);
}

TEST(SyncBatchNorm, OneRankEqualsBatchNorm) {
  expect_same_batch_norm(false);
}

TEST(SyncBatchNorm, OneRankEqualsBatchNormRelu) {
  expect_same_batch_norm(true);
}

TEST(SyncBatchNorm, EmptyRankNeedsRowsElsewhere) {
  const auto one = distributed::single_process();
  const Tensor x = Tensor::empty({0, 2, 2, 3});
  EXPECT_THROW(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.sync = one.get()}), Error);
}

// w1 used twice, w2 once, w3 not at all: the reducer's gradients are plain backward's (zeros
// for w3), whatever the bucket size, in the first pass (learning) and the next.
TEST(GradientReducer, OneRankGivesBackwardsGradients) {
  for (const int64_t bucket_bytes : {int64_t{4}, int64_t{64}, int64_t{1} << 20}) {
    Tensor w1 = randn({3, 4}, 5), w2 = randn({4}, 6), w3 = randn({2}, 7);
    for (Tensor* w : {&w1, &w2, &w3}) w->requires_grad_(true);
    const Tensor x = randn({3, 4}, 8);
    const auto loss = [&] { return sum(mul(add(mul(x, w1), w2), add(w1, x))); };
    loss().backward();
    const Tensor g1 = w1.grad(), g2 = w2.grad();
    distributed::GradientReducer reducer({w1, w2, w3}, distributed::single_process(),
                                         {.bucket_bytes = bucket_bytes});
    EXPECT_EQ(reducer.buckets(), bucket_bytes == 4 ? 3 : bucket_bytes == 64 ? 2 : 1);
    for (int pass = 0; pass < 2; ++pass) {
      for (Tensor* w : {&w1, &w2, &w3}) w->set_grad(Tensor());
      reducer.backward(loss(), 0.5);
      expect_close(w1.grad(), mul(g1, Tensor::full({1}, 0.5f)), 1e-6);
      expect_close(w2.grad(), mul(g2, Tensor::full({1}, 0.5f)), 1e-6);
      expect_close(w3.grad(), Tensor::zeros({2}), 0.0);
    }
  }
}

TEST(GradientReducer, ARankWithoutRowsGivesZeros) {
  Tensor w = randn({5}, 9);
  w.requires_grad_(true);
  distributed::GradientReducer reducer({w}, distributed::single_process());
  reducer.backward(Tensor(), 0.0);
  expect_close(w.grad(), Tensor::zeros({5}), 0.0);
}

TEST(Distributed, RequiringALauncherWithoutOneIsAClearError) {
  if (distributed::launched_by_mpi()) GTEST_SKIP() << "running under an MPI launcher";
  try {
    distributed::init({.require_launcher = true});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun -np N"), std::string::npos) << e.what();
  }
  EXPECT_EQ(distributed::init()->size(), 1);
}

}  // namespace
}  // namespace cnn
