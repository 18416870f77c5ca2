// Transforms on small hand-made images: exact results for Normalize, flips and crops (against
// a padded image written out by hand), RandomErasing's rectangle bounds and its 10 attempts.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "cnn/data/transforms.h"
#include "support/tensor_testing.h"

namespace cnn::data {
namespace {

using cnn::testing::error_of;

// [rows, cols, channels] with element i = i.
Tensor iota_image(int64_t rows, int64_t cols, int64_t channels) {
  std::vector<float> v(static_cast<size_t>(rows * cols * channels));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return Tensor::from_data({rows, cols, channels}, v);
}

TEST(TransformsTest, NormalizePerChannel) {
  Tensor image = Tensor::from_data({1, 2, 2}, {1, 10, 3, 20});
  Generator gen(0);
  Normalize({1, 10}, {2, 5}).apply(image, gen);
  EXPECT_EQ(image.to_vector(), (std::vector<float>{0, 0, 1, 2}));
  Tensor rgb = iota_image(2, 2, 3);
  EXPECT_EQ(error_of([&] {
              Normalize({0.5f, 0.5f}, {1, 1}).apply(rgb, gen);
            }),
            "Normalize: 2 means and stddevs for an image of shape [2, 2, 3] with 3 channels");
  EXPECT_NE(error_of([&] { Normalize({0.5f}, {0}); }).find("the stddev must be positive"),
            std::string::npos);
  // A subnormal stddev would turn pixels into infinities.
  EXPECT_NE(error_of([&] { Normalize({0.5f}, {1e-40f}); }).find("at least 1.17549e-38"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              Normalize({0.5f}, {1, 2});
            }).find("got 1 means and 2 stddevs"),
            std::string::npos);
}

TEST(TransformsTest, HorizontalFlipMirrorsColumns) {
  Tensor image = iota_image(2, 3, 2);  // pixel (r, c) holds {6r + 2c, 6r + 2c + 1}
  Generator gen(1);
  RandomHorizontalFlip(1.0f).apply(image, gen);
  EXPECT_EQ(image.to_vector(), (std::vector<float>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}));
  RandomHorizontalFlip(0.0f).apply(image, gen);
  EXPECT_EQ(image.to_vector(), (std::vector<float>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}));
  // p = 0.5 flips about half the time.
  int flipped = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    Tensor row = Tensor::from_data({1, 2, 1}, {0, 1});
    Generator g(seed);
    RandomHorizontalFlip().apply(row, g);
    flipped += row.at({0, 0, 0}) == 1.0f;
  }
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);
  EXPECT_NE(error_of([] { RandomHorizontalFlip(1.5f); }).find("p must be in [0, 1], got 1.5"),
            std::string::npos);
}

TEST(TransformsTest, RandomCropWithPaddingMatchesAHandPaddedImage) {
  // 2 x 3 image 1..6, padded by 1 on every side:
  const std::vector<std::vector<float>> padded = {{0, 0, 0, 0, 0},  //
                                                  {0, 1, 2, 3, 0},
                                                  {0, 4, 5, 6, 0},
                                                  {0, 0, 0, 0, 0}};
  std::set<std::pair<int64_t, int64_t>> corners;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    Tensor image = Tensor::from_data({2, 3, 1}, {1, 2, 3, 4, 5, 6});
    Generator gen(seed), replay(seed);
    RandomCrop({2, 3}, 1).apply(image, gen);
    // torchvision draws the top row first, then the left column.
    const auto top = static_cast<int64_t>(replay.below(3)),
               left = static_cast<int64_t>(replay.below(3));
    corners.insert({top, left});
    std::vector<float> expected;
    for (int64_t y = 0; y < 2; ++y)
      for (int64_t x = 0; x < 3; ++x) expected.push_back(padded[top + y][left + x]);
    ASSERT_EQ(image.shape(), (Shape{2, 3, 1}));
    EXPECT_EQ(image.to_vector(), expected) << "seed " << seed;
  }
  EXPECT_EQ(corners.size(), 9u);  // every window position occurs
}

TEST(TransformsTest, RandomCropAsymmetricPaddingAndChannels) {
  Tensor image = iota_image(1, 2, 2);  // pixels {0, 1}, {2, 3}
  Generator gen(5), replay(5);
  RandomCrop({1, 3}, Pad2d{0, 0, 2, 0}).apply(image, gen);  // padded row: 0, 0, p0, p1
  replay.below(1);                                          // the top row, from a range of one
  const auto left = static_cast<int64_t>(replay.below(2));
  const std::vector<std::vector<float>> windows = {{0, 0, 0, 0, 0, 1}, {0, 0, 0, 1, 2, 3}};
  EXPECT_EQ(image.to_vector(), windows[left]);
  Tensor same = iota_image(2, 2, 1);
  Generator untouched(9), fresh(9);
  RandomCrop(2).apply(same, untouched);  // the crop is the whole image: no random draw
  EXPECT_EQ(same.to_vector(), (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(untouched.next_u64(), fresh.next_u64());
  EXPECT_EQ(
      error_of([&] { RandomCrop(5, 1).apply(same, gen); }),
      "RandomCrop: crop of (5, 5) is larger than the image [2, 2, 1] padded by (top 1, bottom "
      "1, left 1, right 1) (4 x 4)");
}

TEST(TransformsTest, OutOfRangeSizesAndPaddingAreRefusedAtConstruction) {
  EXPECT_EQ(error_of([] { RandomCrop(32, 32); }),
            "RandomCrop: padding 32 on the top is not below the crop's 32 rows (the limit: a crop "
            "could otherwise hold padding only, no pixel of the image)");
  EXPECT_NE(error_of([] {
              RandomCrop({8, 4}, Pad2d{0, 0, 1, 4});
            }).find("padding 4 on the right is not below the crop's 4 columns"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              RandomCrop({8, 4}, Pad2d{0, 8, 0, 0});
            }).find("8 on the bottom"),
            std::string::npos);
  Tensor image = iota_image(2, 2, 1);
  Generator gen(3);
  RandomCrop(2, 1).apply(image, gen);  // the largest padding accepted for a crop of 2
  EXPECT_EQ(image.shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(error_of([] {
              Resize({16385, 2});
            }),
            "Resize: size (16385, 2) is over the limit of 16384 per side (kMaxTransformSide)");
  EXPECT_EQ(error_of([] { RandomCrop(Size2(1, 16385)); }),
            "RandomCrop: size (1, 16385) is over the limit of 16384 per side (kMaxTransformSide)");
  EXPECT_EQ(error_of([] { Resize({0, 2}); }), "Resize: size must be at least 1 x 1, got (0, 2)");
  EXPECT_EQ(error_of([] { RandomErasing({.value = NAN}); }),
            "RandomErasing: value must be finite, got nan");
}

TEST(TransformsTest, RandomErasingRectangleWithinItsBounds) {
  const int64_t rows = 20, cols = 30;
  int erased_count = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Tensor image = Tensor::ones({rows, cols, 2});
    Generator gen(seed);
    RandomErasing({.p = 1.0f, .value = -2.0f}).apply(image, gen);
    // The erased pixels form one rectangle, the same in both channels.
    int64_t top = rows, bottom = -1, left = cols, right = -1, count = 0;
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) {
        ASSERT_EQ(image.at({y, x, 0}), image.at({y, x, 1}));
        if (image.at({y, x, 0}) == 1.0f) continue;
        ASSERT_EQ(image.at({y, x, 0}), -2.0f);
        top = std::min(top, y);
        bottom = std::max(bottom, y);
        left = std::min(left, x);
        right = std::max(right, x);
        ++count;
      }
    if (count == 0) continue;  // all 10 attempts too large: unchanged
    ++erased_count;
    const int64_t h = bottom - top + 1, w = right - left + 1;
    ASSERT_EQ(count, h * w) << "seed " << seed;
    EXPECT_LT(h, rows);
    EXPECT_LT(w, cols);
    // h w = round(sqrt(A r)) round(sqrt(A / r)) with A in [0.02, 0.33] x 600 and r in
    // [0.3, 3.3]: rounding moves the area by at most (h + w) / 2 + 1 / 4.
    const double slack = 0.5 * static_cast<double>(h + w) + 0.25;
    EXPECT_GE(static_cast<double>(h * w), 0.02 * rows * cols - slack) << "seed " << seed;
    EXPECT_LE(static_cast<double>(h * w), 0.33 * rows * cols + slack) << "seed " << seed;
    // h / w = sqrt(A r) / sqrt(A / r) = r before rounding, each side moving by at most 1/2.
    EXPECT_LE(static_cast<double>(h) - 0.5, 3.3 * (static_cast<double>(w) + 0.5))
        << "seed " << seed;
    EXPECT_GE(static_cast<double>(h) + 0.5, 0.3 * (static_cast<double>(w) - 0.5))
        << "seed " << seed;
  }
  EXPECT_GT(erased_count, 250);
}

TEST(TransformsTest, RandomErasingGivesUpAfterTenAttempts) {
  // scale = ratio = 1 asks for the whole 8 x 8 image, never strictly smaller: every attempt
  // fails, the image is unchanged, and exactly 1 + 10 x 2 uniforms were drawn.
  Tensor image = iota_image(8, 8, 1);
  Generator gen(3), replay(3);
  RandomErasing({.p = 1.0f, .scale = {1.0f, 1.0f}, .ratio = {1.0f, 1.0f}}).apply(image, gen);
  EXPECT_EQ(image.to_vector(), iota_image(8, 8, 1).to_vector());
  for (int i = 0; i < 21; ++i) replay.uniform();
  EXPECT_EQ(gen.next_u64(), replay.next_u64());
  Tensor kept = iota_image(4, 4, 1);
  RandomErasing({.p = 0.0f}).apply(kept, gen);
  EXPECT_EQ(kept.to_vector(), iota_image(4, 4, 1).to_vector());
  EXPECT_NE(error_of([] {
              RandomErasing({.scale = {0.5f, 0.1f}});
            }).find("scale must be (min, max)"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              RandomErasing({.ratio = {0.0f, 1.0f}});
            }).find("ratio must be (min, max)"),
            std::string::npos);
}

TEST(TransformsTest, ComposeAppliesInOrder) {
  const Compose both({std::make_shared<Normalize>(std::vector<float>{1}, std::vector<float>{2}),
                      std::make_shared<RandomHorizontalFlip>(1.0f)});
  Tensor image = Tensor::from_data({1, 3, 1}, {1, 3, 5});
  Generator gen(0);
  both.apply(image, gen);
  EXPECT_EQ(image.to_vector(), (std::vector<float>{2, 1, 0}));
  Tensor flat = Tensor::zeros({4, 4});
  EXPECT_EQ(error_of([&] { both.apply(flat, gen); }),
            "Normalize: image must be float32 [rows, cols, channels], got [4, 4] float32");
  EXPECT_EQ(error_of([] { Compose({nullptr}); }), "Compose: transform 0 is null");
}

}  // namespace
}  // namespace cnn::data
