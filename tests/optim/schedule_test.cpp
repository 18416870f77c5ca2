// Learning-rate schedules on hand-computable points, the factory by name, their errors, and
// LrScheduler driving an optimizer through a checkpoint and back.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "cnn/optim/lr_scheduler.h"
#include "cnn/optim/schedule.h"
#include "cnn/optim/sgd.h"
#include "support/tensor_testing.h"

namespace cnn::optim {
namespace {

using testing::error_of;

TEST(Schedule, Constant) {
  const ConstantSchedule s(0.1f);
  EXPECT_EQ(s.lr_at(0), 0.1f);
  EXPECT_EQ(s.lr_at(1000000), 0.1f);
  EXPECT_EQ(s.describe(), "constant(lr=0.1)");
}

TEST(Schedule, StepEveryStepSize) {
  const StepSchedule s({.lr = 1.0f, .gamma = 0.5f, .step_size = 3});
  const float expected[] = {1, 1, 1, 0.5f, 0.5f, 0.5f, 0.25f};
  for (int t = 0; t < 7; ++t) EXPECT_EQ(s.lr_at(t), expected[t]) << t;
}

TEST(Schedule, StepAtMilestones) {
  // The drop applies from the milestone itself on (MultiStepLR's bisect_right).
  const StepSchedule s({.lr = 1.0f, .gamma = 0.1f, .milestones = {2, 5}});
  EXPECT_FLOAT_EQ(s.lr_at(1), 1.0f);
  EXPECT_FLOAT_EQ(s.lr_at(2), 0.1f);
  EXPECT_FLOAT_EQ(s.lr_at(4), 0.1f);
  EXPECT_FLOAT_EQ(s.lr_at(5), 0.01f);
  EXPECT_FLOAT_EQ(s.lr_at(500), 0.01f);
}

TEST(Schedule, CosineFromLrToMinLrThenHolds) {
  const CosineSchedule s({.lr = 1.0f, .total_steps = 4, .min_lr = 0.2f});
  EXPECT_FLOAT_EQ(s.lr_at(0), 1.0f);
  EXPECT_FLOAT_EQ(s.lr_at(1), 0.2f + 0.8f * (1.0f + std::cos(std::numbers::pi_v<float> / 4)) / 2);
  EXPECT_FLOAT_EQ(s.lr_at(2), 0.6f);
  EXPECT_FLOAT_EQ(s.lr_at(4), 0.2f);
  EXPECT_FLOAT_EQ(s.lr_at(7), 0.2f);  // PyTorch would climb back; we hold the minimum
}

TEST(Schedule, OneCycleRisesThenAnneals) {
  // total 10, pct_start 0.5: the peak is at step 0.5 * 10 - 1 = 4; initial 1/25, final 0.04/1e4.
  const OneCycleSchedule s({.max_lr = 1.0f, .total_steps = 10, .pct_start = 0.5f});
  EXPECT_FLOAT_EQ(s.lr_at(0), 0.04f);
  EXPECT_FLOAT_EQ(s.lr_at(2), 1.0f - 0.96f / 2);  // half-way up: cos(pi / 2) = 0
  EXPECT_FLOAT_EQ(s.lr_at(4), 1.0f);
  EXPECT_FLOAT_EQ(s.lr_at(9), 4e-6f);
  EXPECT_FLOAT_EQ(s.lr_at(50), 4e-6f);
  // pct_start * total_steps = 1 puts the peak at step 0, where PyTorch divides by zero.
  EXPECT_FLOAT_EQ(OneCycleSchedule({.max_lr = 1.0f, .total_steps = 2, .pct_start = 0.5f}).lr_at(0),
                  1.0f);
}

TEST(Schedule, LinearWarmupRampsToTheNextScheduleStart) {
  auto after = std::make_shared<CosineSchedule>(
      CosineScheduleOptions{.lr = 1.0f, .total_steps = 4, .min_lr = 0.0f});
  const LinearWarmup s(after, {.steps = 4, .start_factor = 0.25f});
  const float ramp[] = {0.25f, 0.4375f, 0.625f, 0.8125f};
  for (int t = 0; t < 4; ++t) EXPECT_FLOAT_EQ(s.lr_at(t), ramp[t]) << t;
  for (int t = 4; t < 10; ++t) EXPECT_EQ(s.lr_at(t), after->lr_at(t - 4)) << t;
  EXPECT_EQ(s.describe(),
            "warmup(steps=4, start_factor=0.25) then cosine(lr=1, min_lr=0, total_steps=4)");
}

TEST(Schedule, Errors) {
  EXPECT_EQ(error_of([] { ConstantSchedule(1.0f).lr_at(-1); }),
            "ConstantSchedule::lr_at: step must be non-negative, got -1");
  EXPECT_EQ(error_of([] { ConstantSchedule(-1.0f); }),
            "ConstantSchedule: lr must be finite and at least 0, got -1");
  EXPECT_EQ(error_of([] { StepSchedule({.step_size = 2, .milestones = {3}}); }),
            "StepSchedule: give exactly one of step_size (got 2) and milestones (got 1)");
  EXPECT_EQ(error_of([] { StepSchedule({}); }),
            "StepSchedule: give exactly one of step_size (got 0) and milestones (got 0)");
  EXPECT_EQ(error_of([] { StepSchedule({.step_size = -2}); }),
            "StepSchedule: step_size must be positive, got -2");
  EXPECT_EQ(error_of([] {
              StepSchedule({.milestones = {5, 5}});
            }),
            "StepSchedule: milestones must be positive and strictly increasing; milestone 1 is 5 "
            "after 5");
  EXPECT_EQ(error_of([] { CosineSchedule({.total_steps = 0}); }),
            "CosineSchedule: total_steps must be positive, got 0");
  EXPECT_EQ(error_of([] { OneCycleSchedule({.total_steps = 10, .pct_start = 1.5f}); }),
            "OneCycleSchedule: pct_start must lie in [0, 1], got 1.5");
  EXPECT_EQ(error_of([] { OneCycleSchedule({.total_steps = 10, .div_factor = 0.0f}); }),
            "OneCycleSchedule: div_factor must be positive and finite, got 0");
  EXPECT_EQ(error_of([] { LinearWarmup(nullptr, {.steps = 3}); }),
            "LinearWarmup: the schedule after the warm-up is null");
  EXPECT_EQ(error_of([] {
              LinearWarmup(std::make_shared<ConstantSchedule>(1.0f),
                           {.steps = 3, .start_factor = 2.0f});
            }),
            "LinearWarmup: start_factor must lie in [0, 1], got 2");
}

// ---- by name ----

TEST(MakeSchedule, ConvertsEpochsAndPlacesTheWarmUpFirst) {
  // Steps of 10 per epoch, drop every 2 epochs = 20 steps, after a 5-step warm-up.
  const auto s = make_schedule({.name = "step",
                                .lr = 1.0f,
                                .total_steps = 100,
                                .steps_per_epoch = 10,
                                .warmup_steps = 5,
                                .warmup_start_factor = 0.0f,
                                .gamma = 0.5f,
                                .step_size_epochs = 2});
  EXPECT_FLOAT_EQ(s->lr_at(0), 0.0f);
  EXPECT_FLOAT_EQ(s->lr_at(1), 0.2f);
  EXPECT_FLOAT_EQ(s->lr_at(5), 1.0f);
  EXPECT_FLOAT_EQ(s->lr_at(24), 1.0f);
  EXPECT_FLOAT_EQ(s->lr_at(25), 0.5f);
  // A cosine after a warm-up spans the rest of the run: min_lr when the run ends.
  const auto c = make_schedule(
      {.name = "cosine", .lr = 1.0f, .total_steps = 100, .warmup_steps = 10, .min_lr = 0.01f});
  EXPECT_FLOAT_EQ(c->lr_at(10), 1.0f);
  EXPECT_FLOAT_EQ(c->lr_at(55), 0.505f);
  EXPECT_FLOAT_EQ(c->lr_at(100), 0.01f);
  EXPECT_EQ(make_schedule({.name = "onecycle", .lr = 0.5f, .total_steps = 10})->describe(),
            "onecycle(max_lr=0.5, total_steps=10, pct_start=0.3, div_factor=25, "
            "final_div_factor=10000)");
}

TEST(MakeSchedule, Errors) {
  EXPECT_EQ(error_of([] { make_schedule({.name = "cosin", .total_steps = 10}); }),
            "make_schedule: unknown schedule 'cosin' (valid: constant, step, cosine, onecycle)");
  EXPECT_EQ(error_of([] { make_schedule({.name = "cosine", .total_steps = 0}); }),
            "make_schedule: total_steps must be positive, got 0");
  EXPECT_EQ(error_of([] { make_schedule({.total_steps = 10, .warmup_steps = 10}); }),
            "make_schedule: warmup_steps must lie in [0, total_steps) = [0, 10), got 10");
  EXPECT_EQ(error_of([] { make_schedule({.total_steps = 10, .steps_per_epoch = 0}); }),
            "make_schedule: steps_per_epoch must be positive, got 0");
  EXPECT_NE(error_of([] {
              make_schedule({.name = "step",
                             .total_steps = 10,
                             .steps_per_epoch = 1 << 30,
                             .step_size_epochs = int64_t{1} << 40});
            }).find("step_size_epochs must be non-negative and fit in int64"),
            std::string::npos);
  EXPECT_EQ(schedule_names(), (std::vector<std::string>{"constant", "step", "cosine", "onecycle"}));
}

// ---- LrScheduler ----

TEST(LrScheduler, SetsTheOptimizersLrAtEveryStep) {
  Tensor p = Tensor::zeros({2}).requires_grad_(true);
  SGD opt({p}, {.lr = 123.0f});
  const auto schedule = make_schedule(
      {.name = "step", .lr = 1.0f, .total_steps = 10, .gamma = 0.5f, .milestone_epochs = {1, 2}});
  LrScheduler scheduler(opt, schedule);
  EXPECT_FLOAT_EQ(opt.lr(), 1.0f);
  scheduler.step();
  EXPECT_FLOAT_EQ(opt.lr(), 0.5f);
  scheduler.step();
  EXPECT_FLOAT_EQ(opt.lr(), 0.25f);
  EXPECT_EQ(scheduler.position(), 2);
  EXPECT_EQ(error_of([&] { LrScheduler(opt, nullptr); }), "LrScheduler: the schedule is null");
}

TEST(LrScheduler, ResumesAtTheSavedPosition) {
  const auto schedule = make_schedule({.name = "onecycle", .lr = 0.1f, .total_steps = 20});
  Tensor p = Tensor::zeros({1}).requires_grad_(true);
  SGD straight_opt({p}, {});
  LrScheduler straight(straight_opt, schedule);
  SGD first_opt({p}, {});
  LrScheduler first(first_opt, schedule);
  for (int t = 0; t < 7; ++t) first.step();
  const nn::StateDict state = first.state_dict();
  SGD resumed_opt({p}, {});
  LrScheduler resumed(resumed_opt, schedule);
  resumed.load_state_dict(state);
  EXPECT_EQ(resumed.position(), 7);
  for (int t = 0; t < 7; ++t) straight.step();
  for (int t = 7; t < 20; ++t) {
    EXPECT_EQ(resumed_opt.lr(), straight_opt.lr()) << t;
    straight.step();
    resumed.step();
  }
}

TEST(LrScheduler, LoadErrorsChangeNothing) {
  Tensor p = Tensor::zeros({1}).requires_grad_(true);
  SGD opt({p}, {});
  LrScheduler scheduler(opt, make_schedule({.name = "cosine", .lr = 1.0f, .total_steps = 10}));
  scheduler.step();
  const float lr = opt.lr();
  EXPECT_EQ(error_of([&] { scheduler.load_state_dict({}); }),
            "LrScheduler::load_state_dict: missing key 'position'");
  EXPECT_EQ(error_of([&] {
              scheduler.load_state_dict({{"position", Tensor::from_data_i64({}, {1})},
                                         {"step", Tensor::from_data_i64({}, {1})}});
            }),
            "LrScheduler::load_state_dict: unexpected key 'step' (the state holds only "
            "'position')");
  EXPECT_EQ(error_of([&] {
              scheduler.load_state_dict({{"position", Tensor::scalar(3.0f)}});
            }),
            "LrScheduler::load_state_dict: 'position' must be an int64 scalar, got [] float32");
  EXPECT_EQ(error_of([&] {
              scheduler.load_state_dict({{"position", Tensor::from_data_i64({}, {-2})}});
            }),
            "LrScheduler::load_state_dict: 'position' must be non-negative, got -2");
  EXPECT_EQ(scheduler.position(), 1);
  EXPECT_EQ(opt.lr(), lr);
}

}  // namespace
}  // namespace cnn::optim
