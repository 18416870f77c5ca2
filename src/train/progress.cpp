#include "train/progress.h"

#include <cmath>

namespace cnn::train {
namespace {

std::string clock_text(double seconds) {
  const long long s = std::llround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

void Progress::start_epoch(int64_t epoch, int64_t epochs, int64_t steps, int64_t first_step) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  first_step_ = first_step;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = {};
}

void Progress::step(int64_t step, double mean_loss, double images_per_second) {
  if (!interactive_ || out_ == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = step + 1 == steps_;
  if (!last && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double done = static_cast<double>(step + 1 - first_step_);
  const double left = done > 0 ? elapsed / done * static_cast<double>(steps_ - step - 1) : 0.0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * (step + 1) / std::max<int64_t>(1, steps_));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '-');
  std::fprintf(out_, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  loss %.4f  %.0f img/s  left %s",
               static_cast<long long>(epoch_) + 1, static_cast<long long>(epochs_), bar.c_str(),
               static_cast<long long>(step) + 1, static_cast<long long>(steps_), mean_loss,
               images_per_second, clock_text(left).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void Progress::line(const std::string& text) {
  if (out_ == nullptr) return;
  if (drawn_) std::fputs("\r\033[K", out_);
  drawn_ = false;
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace cnn::train
