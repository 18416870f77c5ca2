/// \file
/// Evaluation of a classifier over a data set: mean loss, accuracy and the confusion matrix.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cnn/data/loader.h"
#include "cnn/nn/module.h"

namespace cnn::train {

struct Evaluation {
  double loss = 0.0;      ///< mean cross-entropy per example
  double accuracy = 0.0;  ///< fraction correct, in [0, 1]
  int64_t examples = 0;
  std::vector<std::vector<int64_t>> confusion;  ///< [true class][predicted class]

  /// Recall of each class: confusion[c][c] / sum of row c (NaN for a class without examples).
  std::vector<double> per_class_accuracy() const;
};

/// Runs `model` in evaluation mode, without recording the graph, over one pass of `loader`;
/// restores the model's previous mode.
Evaluation evaluate(nn::Module& model, const data::DataLoader& loader, int64_t classes);
/// The same with any inference function of a batch (a prepared model, cnn/prepare.h), run
/// without recording the graph.
Evaluation evaluate(const std::function<Tensor(const Tensor&)>& forward,
                    const data::DataLoader& loader, int64_t classes);

/// evaluate(model, loader, classes) for one rank's shard of a data set in data-parallel
/// training: a shard may have no examples (loss and accuracy are then 0).
Evaluation evaluate_shard(nn::Module& model, const data::DataLoader& loader, int64_t classes);

/// Index of the largest logit of each row of logits [N, classes].
std::vector<int64_t> argmax_rows(const Tensor& logits);

}  // namespace cnn::train
