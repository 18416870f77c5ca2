// What a run shows while it trains: on a terminal, a live bar redrawn in place (epoch, step,
// loss, images/s, time left); in a log or a pipe, one plain line per epoch and nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cnn::train {

class Progress {
 public:
  // interactive: redraw a bar (stdout is a terminal). out null: silent (ranks other than 0).
  Progress(std::FILE* out, bool interactive) : out_(out), interactive_(interactive) {}

  void start_epoch(int64_t epoch, int64_t epochs, int64_t steps, int64_t first_step);
  // After each step: the running mean loss and throughput of this epoch.
  void step(int64_t step, double mean_loss, double images_per_second);
  // Clears the bar and prints `line` (with a newline).
  void line(const std::string& text);

 private:
  std::FILE* out_;
  bool interactive_;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0, first_step_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace cnn::train
