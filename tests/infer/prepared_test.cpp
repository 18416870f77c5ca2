// cnn::prepare (cnn/prepare.h): every zoo model prepared gives the module's own output within
// 1e-4 relative, at the prepared shape and at another batch; the prepared form is never stale
// (load_state_dict, an optimizer step, a training-mode forward's running statistics, a raw
// write marked modified); an imported ONNX model prepares on its own graph; outputs do not
// share the arena.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "cnn/onnx/onnx.h"
#include "cnn/prepare.h"
#include "kernels/cpu/gemm.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

// Random running statistics (var in [0.5, 1.5]) and affine parameters for every batch norm, so
// that folding them changes the weights.
void randomize_batch_norms(nn::Module& m, Generator& gen) {
  for (const auto& child : m.children()) randomize_batch_norms(*child, gen);
  auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m);
  if (bn == nullptr) return;
  for (Tensor t : {bn->running_mean(), bn->weight(), bn->bias()}) {
    float* v = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = 0.5f * gen.normal();
    t.mark_modified();
  }
  Tensor var = bn->running_var();
  for (int64_t i = 0; i < var.numel(); ++i) var.data()[i] = gen.uniform(0.5f, 1.5f);
  var.mark_modified();
}

Tensor unprepared(nn::Module& m, const Tensor& x) {
  const NoGradGuard no_grad;
  return m(x);
}

// The smallest convenient image each model takes.
Shape input_for(const std::string& name, int64_t batch) {
  if (name == "inception_v3") return {batch, 75, 75, 3};
  if (name == "alexnet_lecture") return {batch, 227, 227, 3};
  if (name == "alexnet") return {batch, 63, 63, 3};
  if (name.rfind("squeezenet", 0) == 0) return {batch, 48, 48, 3};
  return {batch, 32, 32, 3};
}

class PreparedZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(PreparedZoo, EqualsTheModuleAtTheShapeAndAnotherBatch) {
  const std::string name = GetParam();
  Generator gen(3);
  auto model = models::create(name, {.classes = 10}, gen);
  randomize_batch_norms(*model, gen);
  model->eval();
  const Shape shape = input_for(name, 2);
  // half the models measure their convolutions, half take the default choices
  const bool measure = std::hash<std::string>{}(name) % 2 == 0;
  auto prepared = prepare(model, shape, {.measure = measure});
  const Tensor x = testing::randn(shape, 5);
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*model, x)), 1e-4);
  const Tensor one = testing::randn(input_for(name, 1), 6);
  EXPECT_LT(testing::relative_error((*prepared)(one), unprepared(*model, one)), 1e-4);
  EXPECT_EQ(prepared->builds(), 1);
}

INSTANTIATE_TEST_SUITE_P(Models, PreparedZoo, ::testing::ValuesIn(models::names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

std::shared_ptr<nn::Module> small_resnet(uint64_t seed) {
  Generator gen(seed);
  auto m = models::create("resnet18", {.classes = 10}, gen);
  randomize_batch_norms(*m, gen);
  m->eval();
  return m;
}

TEST(Prepared, RebuildsAfterLoadStateDict) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3});
  const Tensor x = testing::randn({1, 32, 32, 3}, 2);
  const Tensor before = (*prepared)(x);
  EXPECT_FALSE(prepared->stale());
  model->load_state_dict(small_resnet(9)->state_dict());
  EXPECT_TRUE(prepared->stale());
  const Tensor after = (*prepared)(x);
  EXPECT_EQ(prepared->builds(), 2);
  EXPECT_FALSE(prepared->stale());
  EXPECT_GT(testing::relative_error(after, before), 1e-2);  // the weights did change
  EXPECT_LT(testing::relative_error(after, unprepared(*model, x)), 1e-4);
}

TEST(Prepared, RebuildsAfterATrainingStep) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {2, 32, 32, 3});
  const Tensor x = testing::randn({2, 32, 32, 3}, 2);
  (*prepared)(x);
  // one SGD step in training mode: the weights and the running statistics change
  model->train();
  optim::SGD sgd(model->parameters(), {.lr = 0.1f, .momentum = 0.9f});
  sgd.zero_grad();
  cross_entropy((*model)(x), Tensor::from_data_i64({2}, {1, 7})).backward();
  sgd.step();
  model->eval();
  EXPECT_TRUE(prepared->stale());
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*model, x)), 1e-4);
  EXPECT_EQ(prepared->builds(), 2);
}

TEST(Prepared, SeesARawWriteMarkedModified) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3});
  const Tensor x = testing::randn({1, 32, 32, 3}, 2);
  (*prepared)(x);
  Tensor w = model->named_parameters().front().second;  // conv1.weight
  w.data()[0] += 1.0f;
  EXPECT_FALSE(prepared->stale());  // not seen until marked
  w.mark_modified();
  EXPECT_TRUE(prepared->stale());
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*model, x)), 1e-4);
}

TEST(Prepared, OutputsAreTheCallersNotTheArenas) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3});
  const Tensor x1 = testing::randn({1, 32, 32, 3}, 2), x2 = testing::randn({1, 32, 32, 3}, 3);
  const Tensor y1 = (*prepared)(x1);
  const Tensor copy = y1.clone();
  (*prepared)(x2);
  EXPECT_TRUE(testing::bit_identical(y1, copy));
  EXPECT_GT(prepared->arena_bytes(), 0);
  EXPECT_GT(prepared->packed_bytes(), 0);
}

TEST(Prepared, ABatchOfEightReadsThePackedClassifier) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {8, 32, 32, 3});
  const Tensor x = testing::randn({8, 32, 32, 3}, 2);
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*model, x)), 1e-4);
}

TEST(Prepared, ProfileTimesEveryStepAndCountsTheConvolutionsWork) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3}, {.measure = false});
  const std::vector<PreparedStep> steps = prepared->profile(testing::randn({1, 32, 32, 3}, 2), 3);
  double flops = 0;
  for (const PreparedStep& s : steps) {
    EXPECT_GE(s.seconds, 0.0) << s.name;
    flops += s.flops;
  }
  // ResNet-18's convolutions and classifier at 32x32: 37.1 M multiply-adds
  EXPECT_NEAR(flops, 2 * 37.1e6, 2 * 0.1e6);
  EXPECT_THROW(prepared->profile(testing::randn({1, 32, 32, 3}, 2), 0), Error);
}

// The algorithm choices and packed weights belong to a thread count and an instruction set: a
// call under others is planned again for them.
TEST(Prepared, AnotherThreadCountOrInstructionSetIsPlannedAgain) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3});
  const Tensor x = testing::randn({1, 32, 32, 3}, 2);
  const Tensor expected = unprepared(*model, x);
  {
    const ThreadCountGuard one(1);
    EXPECT_LT(testing::relative_error((*prepared)(x), expected), 1e-4);
  }
  const std::string isa = kernels::cpu::gemm_isa();
  for (const std::string& other : kernels::cpu::gemm_isas_supported()) {
    SCOPED_TRACE(other);
    kernels::cpu::set_gemm_isa(other);
    EXPECT_LT(testing::relative_error((*prepared)(x), expected), 1e-4);
  }
  kernels::cpu::set_gemm_isa(isa);
  EXPECT_LT(testing::relative_error((*prepared)(x), expected), 1e-4);
  EXPECT_EQ(prepared->builds(), 1);
}

TEST(Prepared, AnotherImageSizeIsTracedAgain) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3});
  const Tensor x = testing::randn({1, 40, 48, 3}, 2);
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*model, x)), 1e-4);
}

TEST(Prepared, StepsNameEachConvolutionsAlgorithm) {
  auto model = small_resnet(1);
  auto prepared = prepare(model, {1, 32, 32, 3}, {.measure = false});
  int convolutions = 0, others = 0;
  for (const PreparedStep& s : prepared->steps({1, 32, 32, 3})) {
    if (s.algorithm.empty()) continue;
    if (s.algorithm == "linear" || s.algorithm == "pool") {
      ++others;
      continue;
    }
    ++convolutions;
    EXPECT_EQ(s.op.rfind("Conv", 0), 0u) << s.op;
    EXPECT_EQ(s.output_shape.size(), 4u);
  }
  EXPECT_EQ(convolutions, 20);  // every convolution of a ResNet-18, the 3 shortcuts' included
  EXPECT_EQ(others, 3);         // the max pool, the average pool and the classifier
}

TEST(Prepared, AnImportedOnnxModelPreparesOnItsOwnGraph) {
  auto model = small_resnet(1);
  const std::string path = ::testing::TempDir() + "prepared_resnet18.onnx";
  onnx::save(*model, {1, 32, 32, 3}, path);
  auto imported = onnx::load(path);
  imported->eval();
  auto prepared = prepare(imported, {1, 32, 32, 3});
  const Tensor x = testing::randn({3, 32, 32, 3}, 2);
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*imported, x)), 1e-4);
  // its parameters are watched too
  imported->load_state_dict(small_resnet(9)->state_dict(), /*strict=*/false);
  EXPECT_TRUE(prepared->stale());
  EXPECT_LT(testing::relative_error((*prepared)(x), unprepared(*imported, x)), 1e-4);
}

// A forward pass with an op that does not report itself to the tracer cannot be prepared; the
// error is the exporter's, naming the op.
TEST(Prepared, AModuleThatDoesNotTraceIsRefusedWithTheOpsName) {
  struct Hidden : nn::Module {
    Hidden() : nn::Module("Hidden") {}
    Tensor forward(const Tensor& x) override {
      Tensor y = Tensor::empty(x.shape());
      std::copy_n(x.contiguous().data(), x.numel(), y.data());
      autograd::record("my_copy", {x}, {y},
                       [](const autograd::TensorList& g) { return autograd::TensorList{g[0]}; });
      return relu(y);
    }
  };
  try {
    prepare(std::make_shared<Hidden>(), {1, 4, 4, 2});
    FAIL() << "prepared a module whose forward does not trace";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'my_copy'"), std::string::npos) << e.what();
  }
}

TEST(Prepared, RefusesBadArguments) {
  auto model = small_resnet(1);
  EXPECT_THROW(prepare(nullptr, {1, 32, 32, 3}), Error);
  EXPECT_THROW(prepare(model, {}), Error);
  EXPECT_THROW(prepare(model, {1, 0, 32, 3}), Error);
  auto prepared = prepare(model, {1, 32, 32, 3});
  EXPECT_THROW((*prepared)(Tensor()), Error);
  EXPECT_THROW((*prepared)(Tensor::zeros({1, 32, 32, 3}, DType::i64)), Error);
}

}  // namespace
}  // namespace cnn
