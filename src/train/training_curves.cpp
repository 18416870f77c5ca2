#include "cnn/train/training_curves.h"

#include <filesystem>

#include "cnn/plot/plots.h"

namespace cnn::train {

using plot::plot_lines;
using plot::PlotOptions;
using plot::Series;

void plot_training_curves(const std::string& folder, const std::vector<EpochMetrics>& rows) {
  Series train_loss{"train", {}, {}}, test_loss{"test", {}, {}};
  Series train_acc{"train", {}, {}}, test_acc{"test", {}, {}};
  for (const EpochMetrics& r : rows) {
    for (Series* s : {&train_loss, &test_loss, &train_acc, &test_acc}) s->x.push_back(r.epoch);
    train_loss.y.push_back(r.train_loss);
    test_loss.y.push_back(r.test_loss);
    train_acc.y.push_back(100.0 * r.train_accuracy);
    test_acc.y.push_back(100.0 * r.test_accuracy);
  }
  const PlotOptions options{.integer_x = true};
  const std::filesystem::path dir(folder);
  plot_lines((dir / "loss.png").string(), "Loss", "epoch", "loss", {train_loss, test_loss},
             options);
  plot_lines((dir / "accuracy.png").string(), "Accuracy", "epoch", "accuracy (%)",
             {train_acc, test_acc}, options);
}

}  // namespace cnn::train
