#include "cnn/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/ops/upsample.h"

namespace cnn::data {
namespace {

// Makes `image` a contiguous float32 [H, W, C] (a copy only when it is not one already).
void check_image(Tensor& image, const char* transform) {
  CNN_CHECK(image.defined() && image.dtype() == DType::f32 && image.dim() == 3, transform,
            ": image must be float32 [rows, cols, channels], got ",
            image.defined() ? to_string(image.shape()) + " " + dtype_name(image.dtype())
                            : "an undefined tensor");
  if (!image.is_contiguous()) image = image.contiguous();
}

// Raises unless each side of `size` is in [1, kMaxTransformSide].
void check_output_size(const char* transform, Size2 size) {
  CNN_CHECK(size.h >= 1 && size.w >= 1, transform, ": size must be at least 1 x 1, got ", size);
  CNN_CHECK(size.h <= kMaxTransformSide && size.w <= kMaxTransformSide, transform, ": size ", size,
            " is over the limit of ", kMaxTransformSide, " per side (kMaxTransformSide)");
}

}  // namespace

Compose::Compose(std::vector<std::shared_ptr<const Transform>> transforms)
    : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i)
    CNN_CHECK(transforms_[i] != nullptr, "Compose: transform ", i, " is null");
}

void Compose::apply(Tensor& image, Generator& gen) const {
  for (const auto& t : transforms_) t->apply(image, gen);
}

Normalize::Normalize(std::vector<float> mean, std::vector<float> stddev)
    : mean_(std::move(mean)), stddev_(std::move(stddev)) {
  CNN_CHECK(!mean_.empty() && mean_.size() == stddev_.size(),
            "Normalize: mean and stddev need one ", "value per channel, got ", mean_.size(),
            " means and ", stddev_.size(), " stddevs");
  for (size_t c = 0; c < stddev_.size(); ++c)
    CNN_CHECK(std::isfinite(mean_[c]) && std::isnormal(stddev_[c]) && stddev_[c] > 0.0f,
              "Normalize: channel ", c, " has mean ", mean_[c], " and stddev ", stddev_[c],
              " (the stddev must be positive and at least ", std::numeric_limits<float>::min(),
              ", the smallest normal float; both finite)");
}

void Normalize::apply(Tensor& image, Generator&) const {
  check_image(image, "Normalize");
  const int64_t channels = image.size(2);
  CNN_CHECK(channels == static_cast<int64_t>(mean_.size()), "Normalize: ", mean_.size(),
            " means and stddevs for an image of shape ", to_string(image.shape()), " with ",
            channels, " channels");
  float* p = image.data();
  const int64_t pixels = image.size(0) * image.size(1);
  for (int64_t i = 0; i < pixels; ++i, p += channels)
    for (int64_t c = 0; c < channels; ++c) p[c] = (p[c] - mean_[c]) / stddev_[c];
}

RandomCrop::RandomCrop(Size2 size, Pad2d padding) : size_(size), padding_(padding) {
  check_output_size("RandomCrop", size);
  CNN_CHECK(padding.top >= 0 && padding.bottom >= 0 && padding.left >= 0 && padding.right >= 0,
            "RandomCrop: padding must not be negative, got ", padding);
  const struct {
    int64_t padding, extent;
    const char *side, *unit;
  } sides[] = {{padding.top, size.h, "top", "rows"},
               {padding.bottom, size.h, "bottom", "rows"},
               {padding.left, size.w, "left", "columns"},
               {padding.right, size.w, "right", "columns"}};
  for (const auto& s : sides)
    CNN_CHECK(s.padding < s.extent, "RandomCrop: padding ", s.padding, " on the ", s.side,
              " is not below the crop's ", s.extent, " ", s.unit,
              " (the limit: a crop could otherwise hold padding only, no pixel of the image)");
}

// out[y, x, c] = padded[top + y, left + x, c], where padded[r, s, c] is
// image[r - pad.top, s - pad.left, c] inside the image and 0 in the border.
void RandomCrop::apply(Tensor& image, Generator& gen) const {
  check_image(image, "RandomCrop");
  const int64_t rows = image.size(0), cols = image.size(1), channels = image.size(2);
  const int64_t padded_rows = rows + padding_.top + padding_.bottom;
  const int64_t padded_cols = cols + padding_.left + padding_.right;
  CNN_CHECK(padded_rows >= size_.h && padded_cols >= size_.w, "RandomCrop: crop of ", size_,
            " is larger than the image ", to_string(image.shape()), " padded by ", padding_, " (",
            padded_rows, " x ", padded_cols, ")");
  int64_t top = 0, left = 0;
  if (padded_rows != size_.h || padded_cols != size_.w) {
    top = static_cast<int64_t>(gen.below(static_cast<uint64_t>(padded_rows - size_.h + 1)));
    left = static_cast<int64_t>(gen.below(static_cast<uint64_t>(padded_cols - size_.w + 1)));
  }
  Tensor out = Tensor::zeros({size_.h, size_.w, channels});
  const float* src = image.data();
  float* dst = out.data();
  // Output columns x whose source column left + x - pad.left lies inside the image.
  const int64_t x_begin = std::clamp<int64_t>(padding_.left - left, 0, size_.w);
  const int64_t x_end = std::clamp<int64_t>(padding_.left + cols - left, 0, size_.w);
  for (int64_t y = 0; y < size_.h; ++y) {
    const int64_t r = top + y - padding_.top;
    if (r < 0 || r >= rows || x_begin >= x_end) continue;
    const float* from = src + (r * cols + (left + x_begin - padding_.left)) * channels;
    std::copy(from, from + (x_end - x_begin) * channels, dst + (y * size_.w + x_begin) * channels);
  }
  image = out;
}

RandomHorizontalFlip::RandomHorizontalFlip(float p) : p_(p) {
  CNN_CHECK(p >= 0.0f && p <= 1.0f, "RandomHorizontalFlip: p must be in [0, 1], got ", p);
}

void RandomHorizontalFlip::apply(Tensor& image, Generator& gen) const {
  check_image(image, "RandomHorizontalFlip");
  if (!(gen.uniform() < p_)) return;
  const int64_t rows = image.size(0), cols = image.size(1), channels = image.size(2);
  float* p = image.data();
  for (int64_t y = 0; y < rows; ++y) {
    float* row = p + y * cols * channels;
    for (int64_t x = 0; x < cols / 2; ++x)
      std::swap_ranges(row + x * channels, row + (x + 1) * channels,
                       row + (cols - 1 - x) * channels);
  }
}

RandomErasing::RandomErasing(const RandomErasingOptions& options) : options_(options) {
  const auto& o = options;
  CNN_CHECK(o.p >= 0.0f && o.p <= 1.0f, "RandomErasing: p must be in [0, 1], got ", o.p);
  CNN_CHECK(0.0f <= o.scale.first && o.scale.first <= o.scale.second && o.scale.second <= 1.0f,
            "RandomErasing: scale must be (min, max) with 0 <= min <= max <= 1, got (",
            o.scale.first, ", ", o.scale.second, ")");
  CNN_CHECK(
      0.0f < o.ratio.first && o.ratio.first <= o.ratio.second && std::isfinite(o.ratio.second),
      "RandomErasing: ratio must be (min, max) with 0 < min <= max, got (", o.ratio.first, ", ",
      o.ratio.second, ")");
  CNN_CHECK(std::isfinite(o.value), "RandomErasing: value must be finite, got ", o.value);
}

Resize::Resize(Size2 size) : size_(size) {
  check_output_size("Resize", size);
}

void Resize::apply(Tensor& image, Generator& /*gen*/) const {
  CNN_CHECK(image.dim() == 3, "Resize: expected an image [H, W, C], got shape ",
            to_string(image.shape()));
  if (image.size(0) == size_.h && image.size(1) == size_.w) return;
  NoGradGuard no_grad;
  const Tensor batch = image.reshape({1, image.size(0), image.size(1), image.size(2)});
  image = upsample_bilinear2d(batch, size_).reshape({size_.h, size_.w, image.size(2)});
}

void RandomErasing::apply(Tensor& image, Generator& gen) const {
  check_image(image, "RandomErasing");
  if (!(gen.uniform() < options_.p)) return;
  const int64_t rows = image.size(0), cols = image.size(1), channels = image.size(2);
  const double area = static_cast<double>(rows * cols);
  const double log_lo = std::log(static_cast<double>(options_.ratio.first));
  const double log_hi = std::log(static_cast<double>(options_.ratio.second));
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double scale = options_.scale.first +
                         (options_.scale.second - options_.scale.first) * double{gen.uniform()};
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * double{gen.uniform()});
    const double erase_area = area * scale;
    // std::nearbyint rounds half to even, as Python's round() does.
    const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area * aspect)));
    const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area / aspect)));
    if (!(h < rows && w < cols)) continue;
    const auto top = static_cast<int64_t>(gen.below(static_cast<uint64_t>(rows - h + 1)));
    const auto left = static_cast<int64_t>(gen.below(static_cast<uint64_t>(cols - w + 1)));
    float* p = image.data();
    for (int64_t y = top; y < top + h; ++y)
      std::fill(p + (y * cols + left) * channels, p + (y * cols + left + w) * channels,
                options_.value);
    return;
  }
}

}  // namespace cnn::data
