// Optimizer checkpoints: resuming from a saved state continues bit for bit, and a state that
// does not fit (another model, another rule) is refused whole, with every problem named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>

#include "cnn/io/safetensors.h"
#include "cnn/optim/adam.h"
#include "cnn/optim/sgd.h"
#include "support/tensor_testing.h"

namespace cnn::optim {
namespace {

using testing::bit_identical;
using testing::error_of;

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(const std::vector<Tensor>&)>;

// Three parameters of assorted shapes, seeded.
std::vector<Tensor> make_params() {
  std::vector<Tensor> params;
  uint64_t seed = 1;
  for (const Shape& shape : {Shape{3, 4}, Shape{5}, Shape{2, 2, 3}})
    params.push_back(testing::randn(shape, seed++).requires_grad_(true));
  return params;
}

// The gradients of step t; parameter 1 has none on step 1 (skipped, its state must not move).
void set_grads(std::vector<Tensor>& params, int t) {
  for (size_t i = 0; i < params.size(); ++i) {
    const bool skipped = i == 1 && t == 1;
    params[i].set_grad(skipped ? Tensor() : testing::randn(params[i].shape(), 100 + 10 * t + i));
  }
}

void run_steps(Optimizer& opt, std::vector<Tensor>& params, int from, int to) {
  for (int t = from; t < to; ++t) {
    set_grads(params, t);
    opt.step();
  }
}

// Five steps straight, against two steps, a state saved to a file, a new optimizer on copies
// of the parameters that loads it, and three more steps.
void expect_resume_is_bit_identical(const MakeOptimizer& make) {
  std::vector<Tensor> straight = make_params();
  auto opt = make(straight);
  run_steps(*opt, straight, 0, 5);

  std::vector<Tensor> first = make_params();
  auto before = make(first);
  run_steps(*before, first, 0, 2);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("cnn_optim_state_" + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  io::save_safetensors(path, before->state_dict());
  std::vector<Tensor> resumed;
  for (const Tensor& p : first) resumed.push_back(p.detach().clone().requires_grad_(true));
  auto after = make(resumed);
  after->load_state_dict(io::load_safetensors(path));
  std::filesystem::remove(path);
  EXPECT_EQ(after->step_count(), 2);
  run_steps(*after, resumed, 2, 5);

  for (size_t i = 0; i < straight.size(); ++i)
    EXPECT_TRUE(bit_identical(straight[i], resumed[i])) << "parameter " << i;
  const nn::StateDict a = opt->state_dict(), b = after->state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, value] : a) {
    ASSERT_TRUE(b.contains(key)) << key;
    EXPECT_EQ(value.dtype(), b.at(key).dtype()) << key;
    if (value.dtype() == DType::i64)
      EXPECT_EQ(value.to_vector_i64(), b.at(key).to_vector_i64()) << key;
    else
      EXPECT_TRUE(bit_identical(value, b.at(key))) << key;
  }
}

TEST(OptimizerState, SgdResumesBitIdentically) {
  expect_resume_is_bit_identical([](const std::vector<Tensor>& p) {
    return std::make_unique<SGD>(
        p, SGDOptions{.lr = 0.05f, .momentum = 0.9f, .weight_decay = 1e-3f, .nesterov = true});
  });
}

TEST(OptimizerState, AdamResumesBitIdentically) {
  expect_resume_is_bit_identical([](const std::vector<Tensor>& p) {
    return std::make_unique<Adam>(p,
                                  AdamOptions{.lr = 0.01f, .weight_decay = 0.1f, .amsgrad = true});
  });
}

TEST(OptimizerState, AdamWResumesBitIdentically) {
  expect_resume_is_bit_identical([](const std::vector<Tensor>& p) {
    return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01f});
  });
}

TEST(OptimizerState, KeysNameEveryBufferAndCounter) {
  std::vector<Tensor> params = make_params();
  Adam opt(params, {.amsgrad = true});
  run_steps(opt, params, 0, 2);
  std::vector<std::string> keys;
  for (const auto& [key, value] : opt.state_dict()) keys.push_back(key);
  std::vector<std::string> expected = {"step", "param_count"};  // the counters, then by parameter
  for (const char* i : {"0", "1", "2"})
    for (const char* slot : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"})
      expected.push_back(std::string("param.") + i + "." + slot);
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(opt.state_dict().at("param.1.step").to_vector_i64(), std::vector<int64_t>{1});
  EXPECT_EQ(opt.state_dict().at("param.1.exp_avg").shape(), (Shape{5}));
}

// A loaded state is copied: stepping the optimizer does not write into the caller's map.
TEST(OptimizerState, LoadCopiesTheTensors) {
  std::vector<Tensor> params = make_params();
  SGD source(params, {.lr = 0.1f, .momentum = 0.9f});
  run_steps(source, params, 0, 1);
  const nn::StateDict state = source.state_dict();
  const Tensor saved = state.at("param.0.momentum_buffer").clone();
  std::vector<Tensor> other = make_params();
  SGD target(other, {.lr = 0.1f, .momentum = 0.9f});
  target.load_state_dict(state);
  run_steps(target, other, 0, 1);
  EXPECT_TRUE(bit_identical(source.state_dict().at("param.0.momentum_buffer"), saved));
}

class OptimizerStateErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    params_ = make_params();
    source_ = std::make_unique<Adam>(params_, AdamOptions{});
    run_steps(*source_, params_, 0, 2);
    state_ = source_->state_dict();
    target_params_ = make_params();
    target_ = std::make_unique<Adam>(target_params_, AdamOptions{});
    run_steps(*target_, target_params_, 0, 1);
    for (const auto& [key, value] : target_->state_dict())
      target_before_.insert(key, value.clone());
  }

  // The error loading `state` into the target, which must be left exactly as it was.
  std::string load_error(const nn::StateDict& state) {
    const std::string msg = error_of([&] { target_->load_state_dict(state); });
    const nn::StateDict now = target_->state_dict();
    EXPECT_EQ(now.size(), target_before_.size());
    for (const auto& [key, value] : target_before_) {
      if (value.dtype() == DType::i64)
        EXPECT_EQ(now.at(key).to_vector_i64(), value.to_vector_i64()) << key;
      else
        EXPECT_TRUE(bit_identical(now.at(key), value)) << key;
    }
    return msg;
  }

  std::vector<Tensor> params_, target_params_;
  std::unique_ptr<Adam> source_, target_;
  nn::StateDict state_, target_before_;
};

TEST_F(OptimizerStateErrors, AnotherModelsParameterCount) {
  std::vector<Tensor> two = {Tensor::zeros({3, 4}).requires_grad_(true)};
  Adam small(two, {});
  EXPECT_EQ(error_of([&] { small.load_state_dict(state_); }),
            "Adam::load_state_dict: the state does not fit this optimizer (1 parameters; slots per "
            "parameter: exp_avg, exp_avg_sq, step); nothing was loaded:\n  the state is for 3 "
            "parameters but this optimizer has 1");
}

TEST_F(OptimizerStateErrors, AnotherModelsShapes) {
  nn::StateDict state = state_;
  state.insert_or_assign("param.2.exp_avg", Tensor::zeros({12}));
  state.insert_or_assign("param.2.exp_avg_sq", Tensor::zeros({2, 2, 3}, DType::i64));
  const std::string msg = load_error(state);
  EXPECT_NE(msg.find("'param.2.exp_avg' is [12] float32 but parameter 2 is [2, 2, 3] float32"),
            std::string::npos)
      << msg;
  EXPECT_NE(
      msg.find("'param.2.exp_avg_sq' is [2, 2, 3] int64 but parameter 2 is [2, 2, 3] float32"),
      std::string::npos)
      << msg;
}

TEST_F(OptimizerStateErrors, AnotherRulesState) {
  std::vector<Tensor> params = make_params();
  SGD sgd(params, {.lr = 0.1f, .momentum = 0.9f});
  run_steps(sgd, params, 0, 1);
  const std::string msg = load_error(sgd.state_dict());
  EXPECT_NE(msg.find("unexpected key 'param.0.momentum_buffer'"), std::string::npos) << msg;
  // And the other way: Adam's moments are unknown to SGD.
  EXPECT_NE(error_of([&] { sgd.load_state_dict(state_); }).find("unexpected key 'param.0.exp_avg'"),
            std::string::npos);
}

TEST_F(OptimizerStateErrors, PartialSlotsMalformedKeysAndCounters) {
  nn::StateDict state = state_;
  state.erase("param.1.exp_avg_sq");
  state.insert_or_assign("param.01.exp_avg", Tensor::zeros({5}));
  state.insert_or_assign("param.7.exp_avg", Tensor::zeros({5}));
  state.insert_or_assign("param.0.step", Tensor::scalar(2.0f));
  state.insert_or_assign("step", Tensor::from_data_i64({}, {-1}));
  const std::string msg = load_error(state);
  for (const char* part : {"parameter 1 has exp_avg, step but not exp_avg_sq",
                           "unexpected key 'param.01.exp_avg'", "unexpected key 'param.7.exp_avg'",
                           "'param.0.step' is [] float32 but must be a non-negative int64 scalar",
                           "'step' is negative"})
    EXPECT_NE(msg.find(part), std::string::npos) << part << "\n" << msg;
  state = state_;
  state.erase("param_count");
  EXPECT_NE(load_error(state).find("missing key 'param_count'"), std::string::npos);
}

TEST_F(OptimizerStateErrors, AFreshStateLoads) {
  // A parameter never updated has no slots: that is a valid state, and loading it clears the
  // target's slots for that parameter.
  std::vector<Tensor> params = make_params();
  Adam fresh(params, {});
  target_->load_state_dict(fresh.state_dict());
  EXPECT_EQ(target_->state_dict().size(), 2u);
  EXPECT_EQ(target_->step_count(), 0);
}

}  // namespace
}  // namespace cnn::optim
