// LrScheduler: the position in a schedule, applied to an optimizer's learning rate.
#include "cnn/optim/lr_scheduler.h"

#include "cnn/error.h"

namespace cnn::optim {

namespace {
constexpr const char* kPositionKey = "position";
}

LrScheduler::LrScheduler(Optimizer& optimizer, std::shared_ptr<const Schedule> schedule)
    : optimizer_(optimizer), schedule_(std::move(schedule)) {
  CNN_CHECK(schedule_ != nullptr, "LrScheduler: the schedule is null");
  optimizer_.set_lr(lr());
}

void LrScheduler::step() {
  ++position_;
  optimizer_.set_lr(lr());
}

nn::StateDict LrScheduler::state_dict() const {
  return {{kPositionKey, Tensor::from_data_i64({}, {position_})}};
}

void LrScheduler::load_state_dict(const nn::StateDict& state) {
  for (const auto& [key, tensor] : state)
    CNN_CHECK(key == kPositionKey, "LrScheduler::load_state_dict: unexpected key '", key,
              "' (the state holds only '", kPositionKey, "')");
  const Tensor* found = state.find(kPositionKey);
  CNN_CHECK(found != nullptr, "LrScheduler::load_state_dict: missing key '", kPositionKey, "'");
  const Tensor& t = *found;
  CNN_CHECK(t.defined() && t.dtype() == DType::i64 && t.shape().empty(),
            "LrScheduler::load_state_dict: '", kPositionKey, "' must be an int64 scalar, got ",
            t.defined() ? to_string(t.shape()) + " " + dtype_name(t.dtype()) : "undefined");
  const int64_t position = t.data_i64()[0];
  CNN_CHECK(position >= 0, "LrScheduler::load_state_dict: '", kPositionKey,
            "' must be non-negative, got ", position);
  optimizer_.set_lr(schedule_->lr_at(position));  // may raise; then nothing has changed
  position_ = position;
}

}  // namespace cnn::optim
