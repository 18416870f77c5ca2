/// \file
/// Dataset: indexed access to labelled images, the input of a DataLoader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/data/idx.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::data {

struct Example {
  Tensor image;       ///< float32 [H, W, C]
  int64_t label = 0;  ///< class index, in [0, classes().size())
};

/// A fixed, ordered collection of examples. get() must be safe to call from another thread
/// while other const methods run (the DataLoader calls it from its producer thread), and it
/// returns an image the caller owns: modifying it never changes the dataset, so transforms
/// may work in place.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Raises cnn::Error for an index outside [0, size()).
  virtual Example get(int64_t index) const = 0;
  /// Class names, in label order.
  virtual const std::vector<std::string>& classes() const = 0;
  /// [H, W, C] of every image get() returns.
  virtual Shape example_shape() const = 0;
};

/// Examples held in memory: images float32 [N, H, W, C] and labels int64 [N], e.g. an MNIST
/// split from load_mnist_folder. get(i) copies image i.
class TensorDataset : public Dataset {
 public:
  /// Checks the shapes and that every label indexes `classes`; empty `classes` names the
  /// classes "0", "1", ... up to the largest label.
  TensorDataset(const Tensor& images, const Tensor& labels, std::vector<std::string> classes = {});
  TensorDataset(const LabeledImages& data, std::vector<std::string> classes)
      : TensorDataset(data.images, data.labels, std::move(classes)) {}

  int64_t size() const override { return images_.size(0); }
  Example get(int64_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  Shape example_shape() const override;

 private:
  Tensor images_;  ///< contiguous
  Tensor labels_;  ///< contiguous
  std::vector<std::string> classes_;
};

}  // namespace cnn::data
