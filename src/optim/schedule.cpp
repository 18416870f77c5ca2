// The learning-rate schedules of schedule.h: closed forms of PyTorch's schedulers, in double.
#include "cnn/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "optim/checks.h"

namespace cnn::optim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_step(const char* owner, int64_t step) {
  CNN_CHECK(step >= 0, owner, "::lr_at: step must be non-negative, got ", step);
}

void check_positive(const char* owner, const char* option, double value) {
  CNN_CHECK(std::isfinite(value) && value > 0.0, owner, ": ", option,
            " must be positive and finite, got ", value);
}

// PyTorch's _annealing_cos: from `start` (x = 0) to `end` (x = 1) along half a cosine.
double cos_anneal(double start, double end, double x) {
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * x) + 1.0);
}

template <class... Parts>
std::string text(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace

// ---- constant ----

ConstantSchedule::ConstantSchedule(float lr) : lr_(lr) {
  check_option("ConstantSchedule", "lr", lr, 0.0, kInf);
}

float ConstantSchedule::lr_at(int64_t step) const {
  check_step("ConstantSchedule", step);
  return lr_;
}

std::string ConstantSchedule::describe() const {
  return text("constant(lr=", lr_, ")");
}

// ---- step ----

StepSchedule::StepSchedule(const StepScheduleOptions& options) : options_(options) {
  check_option("StepSchedule", "lr", options.lr, 0.0, kInf);
  check_option("StepSchedule", "gamma", options.gamma, 0.0, kInf);
  const bool by_size = options.step_size != 0, by_milestones = !options.milestones.empty();
  CNN_CHECK(by_size != by_milestones, "StepSchedule: give exactly one of step_size (got ",
            options.step_size, ") and milestones (got ", options.milestones.size(), ")");
  CNN_CHECK(options.step_size >= 0, "StepSchedule: step_size must be positive, got ",
            options.step_size);
  for (size_t i = 0; i < options.milestones.size(); ++i) {
    const int64_t m = options.milestones[i];
    CNN_CHECK(m > 0 && (i == 0 || m > options.milestones[i - 1]),
              "StepSchedule: milestones must be positive and strictly increasing; milestone ", i,
              " is ", m, (i == 0 ? "" : text(" after ", options.milestones[i - 1])));
  }
}

float StepSchedule::lr_at(int64_t step) const {
  check_step("StepSchedule", step);
  const auto& m = options_.milestones;
  const int64_t drops = options_.step_size > 0
                            ? step / options_.step_size
                            : std::upper_bound(m.begin(), m.end(), step) - m.begin();
  return static_cast<float>(options_.lr * std::pow(static_cast<double>(options_.gamma), drops));
}

std::string StepSchedule::describe() const {
  std::ostringstream out;
  out << "step(lr=" << options_.lr << ", gamma=" << options_.gamma;
  if (options_.step_size > 0) {
    out << ", step_size=" << options_.step_size;
  } else {
    out << ", milestones=";
    for (size_t i = 0; i < options_.milestones.size(); ++i)
      out << (i ? "," : "") << options_.milestones[i];
  }
  out << ")";
  return out.str();
}

// ---- cosine ----

CosineSchedule::CosineSchedule(const CosineScheduleOptions& options) : options_(options) {
  check_option("CosineSchedule", "lr", options.lr, 0.0, kInf);
  check_option("CosineSchedule", "min_lr", options.min_lr, 0.0, kInf);
  CNN_CHECK(options.total_steps > 0, "CosineSchedule: total_steps must be positive, got ",
            options.total_steps);
}

float CosineSchedule::lr_at(int64_t step) const {
  check_step("CosineSchedule", step);
  const double t = static_cast<double>(std::min(step, options_.total_steps));
  const double lr = options_.lr, min_lr = options_.min_lr;
  return static_cast<float>(
      min_lr + (lr - min_lr) * (1.0 + std::cos(std::numbers::pi * t / options_.total_steps)) / 2.0);
}

std::string CosineSchedule::describe() const {
  return text("cosine(lr=", options_.lr, ", min_lr=", options_.min_lr,
              ", total_steps=", options_.total_steps, ")");
}

// ---- one-cycle ----

OneCycleSchedule::OneCycleSchedule(const OneCycleScheduleOptions& options) : options_(options) {
  check_option("OneCycleSchedule", "max_lr", options.max_lr, 0.0, kInf);
  check_option("OneCycleSchedule", "pct_start", options.pct_start, 0.0, 1.0);
  check_positive("OneCycleSchedule", "div_factor", options.div_factor);
  check_positive("OneCycleSchedule", "final_div_factor", options.final_div_factor);
  CNN_CHECK(options.total_steps > 0, "OneCycleSchedule: total_steps must be positive, got ",
            options.total_steps);
}

float OneCycleSchedule::lr_at(int64_t step) const {
  check_step("OneCycleSchedule", step);
  const OneCycleScheduleOptions& o = options_;
  const double max_lr = o.max_lr;
  const double initial = max_lr / o.div_factor, final_lr = initial / o.final_div_factor;
  const double last = static_cast<double>(o.total_steps - 1);
  const double t = std::min(static_cast<double>(step), last);
  const double peak = static_cast<double>(o.pct_start) * static_cast<double>(o.total_steps) - 1.0;
  // A phase of zero length (peak == 0 or peak == last) is complete as soon as it starts;
  // PyTorch would divide by zero there.
  if (t <= peak)
    return static_cast<float>(cos_anneal(initial, max_lr, peak > 0.0 ? t / peak : 1.0));
  const double length = last - peak;
  return static_cast<float>(cos_anneal(max_lr, final_lr, length > 0.0 ? (t - peak) / length : 1.0));
}

std::string OneCycleSchedule::describe() const {
  return text("onecycle(max_lr=", options_.max_lr, ", total_steps=", options_.total_steps,
              ", pct_start=", options_.pct_start, ", div_factor=", options_.div_factor,
              ", final_div_factor=", options_.final_div_factor, ")");
}

// ---- linear warm-up ----

LinearWarmup::LinearWarmup(std::shared_ptr<const Schedule> after, const WarmupOptions& options)
    : after_(std::move(after)), options_(options) {
  CNN_CHECK(after_ != nullptr, "LinearWarmup: the schedule after the warm-up is null");
  CNN_CHECK(options.steps > 0, "LinearWarmup: steps must be positive, got ", options.steps);
  check_option("LinearWarmup", "start_factor", options.start_factor, 0.0, 1.0);
}

float LinearWarmup::lr_at(int64_t step) const {
  check_step("LinearWarmup", step);
  if (step >= options_.steps) return after_->lr_at(step - options_.steps);
  const double f = options_.start_factor;
  const double factor =
      f + (1.0 - f) * static_cast<double>(step) / static_cast<double>(options_.steps);
  return static_cast<float>(static_cast<double>(after_->lr_at(0)) * factor);
}

std::string LinearWarmup::describe() const {
  return text("warmup(steps=", options_.steps, ", start_factor=", options_.start_factor, ") then ",
              after_->describe());
}

}  // namespace cnn::optim
