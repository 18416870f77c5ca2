/// \file
/// A training run's metrics by epoch and their pictures: loss.png and accuracy.png in the run
/// folder, drawn with cnn::plot::plot_lines.
#pragma once

#include <string>
#include <vector>

namespace cnn::train {

/// One row of a training run: the trainer writes these to metrics.csv and plots them.
struct EpochMetrics {
  int epoch = 0;                ///< 1 for the first epoch
  double train_loss = 0.0;      ///< mean loss over the epoch's training batches
  double train_accuracy = 0.0;  ///< fraction correct in [0, 1] (plotted as %)
  double test_loss = 0.0;       ///< mean loss over the test set after the epoch
  double test_accuracy = 0.0;   ///< fraction correct in [0, 1] (plotted as %)
  double seconds = 0.0;         ///< wall time of the epoch
  double images_per_second = 0.0;
};

/// Writes folder/loss.png (train and test loss by epoch) and folder/accuracy.png (train and
/// test accuracy in % by epoch). The folder must exist; `rows` may be empty.
void plot_training_curves(const std::string& folder, const std::vector<EpochMetrics>& rows);

}  // namespace cnn::train
