/// \file
/// LrScheduler: applies a Schedule to an Optimizer. It keeps the position (how many updates
/// have been made) and sets the optimizer's learning rate to schedule.lr_at(position), so the
/// loop is PyTorch's:
/// ```
///   LrScheduler scheduler(opt, make_schedule({.name = "cosine", .lr = 0.1f, .total_steps = n}));
///   for (...) { opt.zero_grad(); loss.backward(); opt.step(); scheduler.step(); }
/// ```
/// Checkpoint state: {"position": i64 scalar}. Loading it sets the optimizer's lr again, so a
/// resumed run continues with exactly the learning rates of an uninterrupted one.
#pragma once

#include <cstdint>
#include <memory>

#include "cnn/nn/state_dict.h"
#include "cnn/optim/optimizer.h"
#include "cnn/optim/schedule.h"

namespace cnn::optim {

class LrScheduler {
 public:
  /// Refers to `optimizer` (which must outlive the scheduler) and sets its lr to lr_at(0).
  /// Raises cnn::Error when `schedule` is null.
  LrScheduler(Optimizer& optimizer, std::shared_ptr<const Schedule> schedule);

  /// Advances one update and sets the optimizer's lr for the next one.
  void step();
  /// Updates made so far: lr() is the rate of the next one.
  int64_t position() const { return position_; }
  float lr() const { return schedule_->lr_at(position_); }
  const Schedule& schedule() const { return *schedule_; }

  nn::StateDict state_dict() const;
  /// Validates (exactly the key "position", a non-negative int64 scalar; otherwise one
  /// cnn::Error and nothing changes), then moves to that position and sets the optimizer's lr.
  void load_state_dict(const nn::StateDict& state);

 private:
  Optimizer& optimizer_;
  std::shared_ptr<const Schedule> schedule_;
  int64_t position_ = 0;
};

}  // namespace cnn::optim
