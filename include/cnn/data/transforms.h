/// \file
/// Per-example transforms (augmentation and normalization) on images float32 [H, W, C], with
/// torchvision's semantics where torchvision has the transform.
///
/// The interface: `apply(image, gen)` changes `image` in place or replaces it with a new tensor
/// (RandomCrop, whose output has another shape). The image belongs to the caller (Dataset::get
/// returns a fresh copy), so in-place work is safe and saves a copy per transform. Every random
/// choice comes from `gen`, which the DataLoader seeds per example from (seed, epoch, position),
/// so augmentation never depends on thread timing and a resumed run repeats it exactly.
/// The random streams are not PyTorch's: the same seed gives other, equally distributed, crops.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "cnn/generator.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::data {

/// Largest output side of Resize and RandomCrop (ImageLimits' default max_side): a larger size
/// is refused when the transform is built, before any image is allocated.
inline constexpr int64_t kMaxTransformSide = 16384;

class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(Tensor& image, Generator& gen) const = 0;
};

/// Applies the transforms in order.
class Compose final : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<const Transform>> transforms);
  void apply(Tensor& image, Generator& gen) const override;

 private:
  std::vector<std::shared_ptr<const Transform>> transforms_;
};

/// image[y, x, c] = (image[y, x, c] - mean[c]) / stddev[c], one mean and stddev per channel.
/// Means must be finite and stddevs normal positive floats (a subnormal stddev would turn
/// pixels into infinities).
class Normalize final : public Transform {
 public:
  Normalize(std::vector<float> mean, std::vector<float> stddev);
  void apply(Tensor& image, Generator& gen) const override;

 private:
  std::vector<float> mean_, stddev_;
};

/// Resizes to `size` = (rows, cols) by bilinear interpolation (PyTorch's align_corners=False,
/// without antialiasing): lets a model with a larger minimum input train on small images.
/// Each side of `size` must be within kMaxTransformSide.
class Resize final : public Transform {
 public:
  explicit Resize(Size2 size);
  void apply(Tensor& image, Generator& gen) const override;

 private:
  Size2 size_;
};

/// Zero-pads the image by `padding`, then cuts a `size` window at a uniformly random position:
/// top in [0, Hp - size.h], then left in [0, Wp - size.w] (torchvision's RandomCrop with
/// padding_mode='constant', fill=0; no random draw when the padded image is exactly `size`).
/// At construction, each side of `size` must be within kMaxTransformSide and the
/// padding of each side below the crop's extent along it (more would allow a crop of padding
/// alone, no pixel of the image); an image smaller than `size` after padding raises an error
/// when the crop is applied.
class RandomCrop final : public Transform {
 public:
  explicit RandomCrop(Size2 size, Pad2d padding = 0);
  void apply(Tensor& image, Generator& gen) const override;

 private:
  Size2 size_;
  Pad2d padding_;
};

/// Mirrors the columns (image[y, x] <- image[y, W - 1 - x]) when gen.uniform() < p.
class RandomHorizontalFlip final : public Transform {
 public:
  explicit RandomHorizontalFlip(float p = 0.5f);
  void apply(Tensor& image, Generator& gen) const override;

 private:
  float p_;
};

struct RandomErasingOptions {
  float p = 0.5f;
  std::pair<float, float> scale = {0.02f, 0.33f};  ///< erased area / image area
  std::pair<float, float> ratio = {0.3f, 3.3f};    ///< rows / cols of the erased rectangle
  float value = 0.0f;
};

/// torchvision's RandomErasing (Zhong et al. 2017): with probability p, up to 10 attempts of
/// ```text
///   area = H W uniform(scale),  aspect = exp(uniform(log ratio)),
///   h = round(sqrt(area aspect)), w = round(sqrt(area / aspect))   (round half to even)
/// ```
/// and the first with h < H and w < W sets image[top : top + h, left : left + w, :] = value
/// (finite),
/// top uniform in [0, H - h], left in [0, W - w]. When all 10 fail the image is unchanged.
class RandomErasing final : public Transform {
 public:
  explicit RandomErasing(const RandomErasingOptions& options = {});
  void apply(Tensor& image, Generator& gen) const override;

 private:
  RandomErasingOptions options_;
};

}  // namespace cnn::data
