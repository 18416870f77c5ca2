/// \file
/// Learning-rate schedules: the learning rate as a pure function of the optimizer step
/// (step 0 is the first update), closed forms of torch.optim.lr_scheduler's rules so that a
/// resumed run needs nothing but its step number. An LrScheduler (lr_scheduler.h) applies one
/// to an optimizer.
///
/// Every schedule computes in double and returns float, as PyTorch computes in Python floats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnn::optim {

class Schedule {
 public:
  virtual ~Schedule() = default;
  /// The learning rate of update number `step` (>= 0; raises cnn::Error when negative).
  virtual float lr_at(int64_t step) const = 0;
  /// One line for logs and run records, e.g. "cosine(lr=0.1, min_lr=0, total_steps=1000)".
  virtual std::string describe() const = 0;
};

/// lr(t) = lr.
class ConstantSchedule : public Schedule {
 public:
  explicit ConstantSchedule(float lr);
  float lr_at(int64_t step) const override;
  std::string describe() const override;

 private:
  float lr_;
};

/// PyTorch's StepLR (step_size > 0): lr(t) = lr * gamma^floor(t / step_size), or MultiStepLR
/// (milestones): lr(t) = lr * gamma^(number of milestones <= t). Both in steps; exactly one of
/// the two must be given, milestones strictly increasing and positive.
struct StepScheduleOptions {
  float lr = 0.1f;
  float gamma = 0.1f;
  int64_t step_size = 0;
  std::vector<int64_t> milestones = {};
};

class StepSchedule : public Schedule {
 public:
  explicit StepSchedule(const StepScheduleOptions& options);
  float lr_at(int64_t step) const override;
  std::string describe() const override;

 private:
  StepScheduleOptions options_;
};

/// PyTorch's CosineAnnealingLR with T_max = total_steps, eta_min = min_lr:
/// ```text
///   lr(t) = min_lr + (lr - min_lr) * (1 + cos(pi * t / total_steps)) / 2
/// ```
/// From t = total_steps on it stays at min_lr (PyTorch would climb back along the cosine).
struct CosineScheduleOptions {
  float lr = 0.1f;
  int64_t total_steps = 0;
  float min_lr = 0.0f;
};

class CosineSchedule : public Schedule {
 public:
  explicit CosineSchedule(const CosineScheduleOptions& options);
  float lr_at(int64_t step) const override;
  std::string describe() const override;

 private:
  CosineScheduleOptions options_;
};

/// PyTorch's OneCycleLR with anneal_strategy='cos', three_phase=False and no momentum cycling
/// (cycle_momentum=False: the schedule drives the learning rate only). With
/// initial = max_lr / div_factor, final = initial / final_div_factor and
/// a = pct_start * total_steps - 1 (a float, as in PyTorch):
/// ```text
///   t <= a:  cos_anneal(initial -> max_lr, t / a)
///   t >  a:  cos_anneal(max_lr -> final, (t - a) / (total_steps - 1 - a))
///   cos_anneal(s -> e, x) = e + (s - e) / 2 * (1 + cos(pi * x))
/// ```
/// Steps past the last (t >= total_steps, where PyTorch raises) stay at `final`.
struct OneCycleScheduleOptions {
  float max_lr = 0.1f;
  int64_t total_steps = 0;
  float pct_start = 0.3f;
  float div_factor = 25.0f;
  float final_div_factor = 1e4f;
};

class OneCycleSchedule : public Schedule {
 public:
  explicit OneCycleSchedule(const OneCycleScheduleOptions& options);
  float lr_at(int64_t step) const override;
  std::string describe() const override;

 private:
  OneCycleScheduleOptions options_;
};

/// A linear warm-up in front of another schedule, PyTorch's
/// ```text
///   SequentialLR([LinearLR(start_factor, total_iters=steps), after], milestones=[steps]):
///   t <  steps:  lr(t) = target * (start_factor + (1 - start_factor) * t / steps)
///   t >= steps:  lr(t) = after.lr_at(t - steps)       (`after` starts at its own step 0)
/// ```
/// where target = after.lr_at(0): the base lr for constant, step and cosine schedules, as in
/// PyTorch; for one-cycle, its starting lr (PyTorch would ramp to the optimizer's lr instead).
/// start_factor may be 0 (PyTorch's LinearLR requires > 0).
struct WarmupOptions {
  int64_t steps = 0;
  float start_factor = 1.0f / 3.0f;  ///< LinearLR's default
};

class LinearWarmup : public Schedule {
 public:
  LinearWarmup(std::shared_ptr<const Schedule> after, const WarmupOptions& options);
  float lr_at(int64_t step) const override;
  std::string describe() const override;

 private:
  std::shared_ptr<const Schedule> after_;
  WarmupOptions options_;
};

// ---- by name, for the command line ----

/// A schedule over a whole run of `total_steps` optimizer steps. The step schedule's sizes are
/// in epochs (converted with steps_per_epoch); a warm-up takes the first warmup_steps of the
/// run and the named schedule the rest (so a cosine reaches min_lr as the run ends).
struct ScheduleConfig {
  std::string name = "constant";  ///< one of schedule_names()
  float lr = 0.1f;                ///< base lr; onecycle: the peak (max_lr)
  int64_t total_steps = 0;        ///< the whole run, warm-up included
  int64_t steps_per_epoch = 1;
  int64_t warmup_steps = 0;
  float warmup_start_factor = 1.0f / 3.0f;
  /// "step": one of step_size_epochs (StepLR) or milestone_epochs (MultiStepLR)
  float gamma = 0.1f;
  int64_t step_size_epochs = 0;
  std::vector<int64_t> milestone_epochs = {};
  /// "cosine"
  float min_lr = 0.0f;
  /// "onecycle"
  float pct_start = 0.3f;
  float div_factor = 25.0f;
  float final_div_factor = 1e4f;
};

/// "constant", "step", "cosine", "onecycle".
const std::vector<std::string>& schedule_names();
/// Raises cnn::Error for an unknown name (listing the valid ones) or an invalid option.
std::shared_ptr<const Schedule> make_schedule(const ScheduleConfig& config);

}  // namespace cnn::optim
