#include "cnn/data/dataset.h"

#include <algorithm>
#include <cstring>

#include "cnn/error.h"

namespace cnn::data {

TensorDataset::TensorDataset(const Tensor& images, const Tensor& labels,
                             std::vector<std::string> classes)
    : classes_(std::move(classes)) {
  CNN_CHECK(images.defined() && images.dtype() == DType::f32 && images.dim() == 4,
            "TensorDataset: images must be float32 [N, H, W, C], got ",
            images.defined() ? to_string(images.shape()) + " " + dtype_name(images.dtype())
                             : "an undefined tensor");
  CNN_CHECK(labels.defined() && labels.dtype() == DType::i64 && labels.dim() == 1 &&
                labels.size(0) == images.size(0),
            "TensorDataset: labels must be int64 [N] with N = ", images.size(0),
            " (the image count of images ", to_string(images.shape()), "), got ",
            labels.defined() ? to_string(labels.shape()) + " " + dtype_name(labels.dtype())
                             : "an undefined tensor");
  images_ = images.detach().contiguous();
  labels_ = labels.detach().contiguous();
  const int64_t* l = labels_.data_i64();
  const int64_t n = labels_.numel();
  if (classes_.empty()) {
    const int64_t largest = n == 0 ? -1 : *std::max_element(l, l + n);
    for (int64_t c = 0; c <= largest; ++c) classes_.push_back(std::to_string(c));
  }
  for (int64_t i = 0; i < n; ++i)
    CNN_CHECK(l[i] >= 0 && l[i] < static_cast<int64_t>(classes_.size()), "TensorDataset: label ",
              l[i], " at index ", i, " is outside [0, ", classes_.size(), ") for ", classes_.size(),
              " classes");
}

Example TensorDataset::get(int64_t index) const {
  CNN_CHECK(index >= 0 && index < size(), "TensorDataset::get: index ", index, " is outside [0, ",
            size(), ")");
  const Shape shape = example_shape();
  Tensor image = Tensor::empty(shape);
  const int64_t per_image = image.numel();
  std::memcpy(image.data(), images_.data() + index * per_image,
              static_cast<size_t>(per_image) * sizeof(float));
  return {image, labels_.data_i64()[index]};
}

Shape TensorDataset::example_shape() const {
  return {images_.size(1), images_.size(2), images_.size(3)};
}

}  // namespace cnn::data
