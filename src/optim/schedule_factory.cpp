// make_schedule: a schedule by name, for the command line. Epoch counts become step counts
// here, and a warm-up takes its steps from the front of the run.
#include <limits>

#include "cnn/error.h"
#include "cnn/optim/schedule.h"
#include "optim/checks.h"

namespace cnn::optim {

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> names = {"constant", "step", "cosine", "onecycle"};
  return names;
}

namespace {

// epochs * steps_per_epoch, refusing a product that overflows.
int64_t epochs_to_steps(int64_t epochs, int64_t steps_per_epoch, const char* option) {
  CNN_CHECK(epochs >= 0 && epochs <= std::numeric_limits<int64_t>::max() / steps_per_epoch,
            "make_schedule: ", option, " must be non-negative and fit in int64 as steps, got ",
            epochs, " epochs of ", steps_per_epoch, " steps");
  return epochs * steps_per_epoch;
}

// The named schedule over `steps` steps (the run after its warm-up).
std::shared_ptr<const Schedule> named_schedule(const ScheduleConfig& c, int64_t steps) {
  if (c.name == "constant") return std::make_shared<ConstantSchedule>(c.lr);
  if (c.name == "step") {
    StepScheduleOptions o{
        .lr = c.lr,
        .gamma = c.gamma,
        .step_size = epochs_to_steps(c.step_size_epochs, c.steps_per_epoch, "step_size_epochs")};
    for (const int64_t epoch : c.milestone_epochs)
      o.milestones.push_back(epochs_to_steps(epoch, c.steps_per_epoch, "milestone_epochs"));
    return std::make_shared<StepSchedule>(o);
  }
  if (c.name == "cosine")
    return std::make_shared<CosineSchedule>(
        CosineScheduleOptions{.lr = c.lr, .total_steps = steps, .min_lr = c.min_lr});
  if (c.name == "onecycle")
    return std::make_shared<OneCycleSchedule>(
        OneCycleScheduleOptions{.max_lr = c.lr,
                                .total_steps = steps,
                                .pct_start = c.pct_start,
                                .div_factor = c.div_factor,
                                .final_div_factor = c.final_div_factor});
  std::string valid;
  for (const std::string& name : schedule_names()) valid += (valid.empty() ? "" : ", ") + name;
  fail("make_schedule: unknown schedule '", c.name, "' (valid: ", valid, ")");
}

}  // namespace

std::shared_ptr<const Schedule> make_schedule(const ScheduleConfig& c) {
  CNN_CHECK(c.total_steps > 0, "make_schedule: total_steps must be positive, got ", c.total_steps);
  CNN_CHECK(c.steps_per_epoch > 0, "make_schedule: steps_per_epoch must be positive, got ",
            c.steps_per_epoch);
  CNN_CHECK(c.warmup_steps >= 0 && c.warmup_steps < c.total_steps,
            "make_schedule: warmup_steps must lie in [0, total_steps) = [0, ", c.total_steps,
            "), got ", c.warmup_steps);
  std::shared_ptr<const Schedule> main = named_schedule(c, c.total_steps - c.warmup_steps);
  if (c.warmup_steps == 0) return main;
  return std::make_shared<LinearWarmup>(
      main, WarmupOptions{.steps = c.warmup_steps, .start_factor = c.warmup_start_factor});
}

}  // namespace cnn::optim
