/// \file
/// A trained model read back from a checkpoint: the network with its weights, in evaluation
/// mode, and what is needed to feed it (input shape, normalization) and read it (class names).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/nn/module.h"
#include "cnn/train/config.h"
#include "cnn/train/data_source.h"

namespace cnn::train {

struct TrainedModel {
  std::shared_ptr<nn::Module> model;
  TrainConfig config;
  std::vector<std::string> classes;
  Shape input_shape;  ///< [H, W, C]
  ChannelStats normalization;
  int64_t epochs_done = 0;
  std::string path;  ///< the checkpoint it came from
};

/// How to read an ONNX file as a trained model, where the file does not say itself (cnn export
/// writes the classes, input shape and normalization into its metadata).
struct ModelFileOptions {
  std::string labels;     ///< a text file with one class name per line
  std::string normalize;  ///< "imagenet" (torchvision's mean and std), "none", or "": the file's
                          ///< own, else none
};

/// `path` is a checkpoint file, a run folder (its checkpoint-best.ckpt, else
/// checkpoint-latest.ckpt), or an ONNX file (*.onnx) with one [N, C, H, W] input. Raises
/// cnn::Error naming the file on any problem.
TrainedModel load_trained_model(const std::string& path, const ModelFileOptions& options = {});

}  // namespace cnn::train
