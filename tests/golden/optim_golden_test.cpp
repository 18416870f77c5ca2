// Optimizers and learning-rate schedules against torch.optim (scripts/golden/optim.py): the
// same initial parameters and gradient sequence give the same parameters after every step and
// the same final state; the same schedule gives the same learning rate at every step.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "cnn/optim/adam.h"
#include "cnn/optim/schedule.h"
#include "cnn/optim/sgd.h"
#include "golden/golden.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

// Each step is a handful of float32 operations per element (PyTorch's own order; its kernels
// may fuse a multiply-add that ours round twice), so after five steps the parameters and
// moments differ by a few float32 roundings: a few 1e-8 relative to their largest element.
// Learning rates are computed in double on both sides and stored as float32. Measured worst:
// 1.8e-7 (an AdamW first moment), 1e-7 for parameters, 7.5e-8 for learning rates.
constexpr double kTolerance = 1e-6;

void record_error(const golden::Case& c, const std::string& what, double error) {
  std::ofstream out(std::filesystem::path(CNN_GOLDEN_DIR) / "errors.csv", std::ios::app);
  out << c.family << ',' << c.name << ',' << c.op << ',' << what << ',' << error << '\n';
}

void expect_close(const golden::Case& c, const std::string& what, const Tensor& ours,
                  const Tensor& torch) {
  const double err = testing::relative_error(ours, torch);
  EXPECT_LE(err, kTolerance) << what;
  record_error(c, what, err);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const golden::Case& c,
                                                 const std::vector<Tensor>& params) {
  const nlohmann::json& o = c.params["options"];
  if (c.op == "sgd")
    return std::make_unique<optim::SGD>(
        params, optim::SGDOptions{.lr = o["lr"],
                                  .momentum = o.value("momentum", 0.0f),
                                  .dampening = o.value("dampening", 0.0f),
                                  .weight_decay = o.value("weight_decay", 0.0f),
                                  .nesterov = o.value("nesterov", false)});
  if (c.op == "adam")
    return std::make_unique<optim::Adam>(
        params, optim::AdamOptions{.lr = o["lr"],
                                   .beta1 = o.value("beta1", 0.9),
                                   .beta2 = o.value("beta2", 0.999),
                                   .eps = o.value("eps", 1e-8f),
                                   .weight_decay = o.value("weight_decay", 0.0f),
                                   .amsgrad = o.value("amsgrad", false)});
  EXPECT_EQ(c.op, "adamw");
  return std::make_unique<optim::AdamW>(
      params, optim::AdamWOptions{.lr = o["lr"],
                                  .beta1 = o.value("beta1", 0.9),
                                  .beta2 = o.value("beta2", 0.999),
                                  .eps = o.value("eps", 1e-8f),
                                  .weight_decay = o.value("weight_decay", 1e-2f),
                                  .amsgrad = o.value("amsgrad", false)});
}

// Row t of a stacked [steps, ...] tensor, as a tensor of the remaining shape.
Tensor row(const Tensor& stacked, int64_t t) {
  Shape shape(stacked.shape().begin() + 1, stacked.shape().end());
  return stacked.slice(0, t, t + 1).reshape(shape).contiguous();
}

void check_optimizer_case(const golden::Case& c) {
  SCOPED_TRACE(c.name + " (" + c.op + ", options " + c.params["options"].dump() + ")");
  std::vector<Tensor> params = {c.inputs.at("p0").clone().requires_grad_(),
                                c.inputs.at("p1").clone().requires_grad_()};
  const Tensor grads[2] = {c.inputs.at("g0"), c.inputs.at("g1")};
  const std::vector<int64_t> has_grad = c.inputs.at("has_grad").to_vector_i64();  // [2, steps]
  auto opt = make_optimizer(c, params);
  const int64_t steps = grads[0].size(0);
  for (int64_t t = 0; t < steps; ++t) {
    for (size_t i = 0; i < 2; ++i) {
      const bool present = has_grad[i * static_cast<size_t>(steps) + static_cast<size_t>(t)] != 0;
      params[i].set_grad(present ? row(grads[i], t) : Tensor());
    }
    opt->step();
    for (size_t i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "p0" : "p1";
      expect_close(c, name + ".step" + std::to_string(t), params[i], row(c.outputs.at(name), t));
    }
  }
  // The final state: the same keys as PyTorch's (under our names), the same values.
  const nn::StateDict state = opt->state_dict();
  size_t expected_keys = 0;
  for (const auto& [name, expected] : c.outputs) {
    if (name.rfind("state.", 0) != 0) continue;
    ++expected_keys;
    const std::string key = name.substr(6);
    const Tensor* ours = state.find(key);
    if (ours == nullptr) {
      ADD_FAILURE() << "our state has no '" << key << "'";
    } else if (expected.dtype() == DType::i64) {
      EXPECT_EQ(ours->to_vector_i64(), expected.to_vector_i64()) << key;
    } else {
      expect_close(c, name, *ours, expected);
    }
  }
  EXPECT_EQ(state.size(), expected_keys) << "our state has keys PyTorch's has not";
}

void check_schedule_case(const golden::Case& c) {
  const nlohmann::json& j = c.params["config"];
  SCOPED_TRACE(c.name + " (config " + j.dump() + ")");
  const optim::ScheduleConfig config{
      .name = j["name"],
      .lr = j["lr"],
      .total_steps = j["total_steps"],
      .steps_per_epoch = j.value("steps_per_epoch", int64_t{1}),
      .warmup_steps = j.value("warmup_steps", int64_t{0}),
      .warmup_start_factor = j.value("warmup_start_factor", 1.0f / 3.0f),
      .gamma = j.value("gamma", 0.1f),
      .step_size_epochs = j.value("step_size_epochs", int64_t{0}),
      .milestone_epochs = j.value("milestone_epochs", std::vector<int64_t>{}),
      .min_lr = j.value("min_lr", 0.0f),
      .pct_start = j.value("pct_start", 0.3f),
      .div_factor = j.value("div_factor", 25.0f),
      .final_div_factor = j.value("final_div_factor", 1e4f)};
  const auto schedule = optim::make_schedule(config);
  const Tensor& expected = c.outputs.at("lrs");
  std::vector<float> ours;
  for (int64_t t = 0; t < expected.numel(); ++t) ours.push_back(schedule->lr_at(t));
  expect_close(c, "lrs", Tensor::from_data(expected.shape(), ours), expected);
}

TEST(GoldenOptim, MatchesPyTorch) {
  int optimizers = 0, schedules = 0;
  for (const golden::Case& c : golden::load_family("optim")) {
    if (c.op == "schedule") {
      check_schedule_case(c);
      ++schedules;
    } else {
      check_optimizer_case(c);
      ++optimizers;
    }
  }
  EXPECT_EQ(optimizers, 12);
  EXPECT_EQ(schedules, 9);
}

}  // namespace
}  // namespace cnn
