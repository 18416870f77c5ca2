// ImageFolder over temporary folders: class order, file order and filtering, lazy decoding,
// resizing and channel conversion, and the errors for shapes that differ and empty folders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cnn/autograd.h"
#include "cnn/data/image.h"
#include "cnn/data/image_folder.h"
#include "cnn/ops/upsample.h"
#include "support/tensor_testing.h"

namespace cnn::data {
namespace {

namespace fs = std::filesystem;
using cnn::testing::error_of;

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cnn_image_folder_test_" + std::to_string(::getpid()));
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes a constant image of `value` at root/relative.
  std::string image(const std::string& relative, Shape shape, float value) const {
    const fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    save_png(p.string(), Tensor::full(shape, value));
    return p.string();
  }
  std::string root() const { return root_.string(); }

  fs::path root_;
};

TEST_F(ImageFolderTest, ClassesAreSortedFoldersAndFilesFollowWalkOrder) {
  image("dog/b.png", {2, 2, 1}, 0.0f);
  image("cat/z.PNG", {2, 2, 1}, 1 / 255.f);
  image("cat/kitten/a.jpeg", {2, 2, 1}, 2 / 255.f);  // a PNG under a .jpeg name: magic wins
  image("cat/a.Jpg", {2, 2, 1}, 3 / 255.f);
  std::ofstream(root_ / "cat" / "notes.txt") << "not an image";
  std::ofstream(root_ / "README") << "a file beside the class folders";

  const ImageFolder folder(root());
  EXPECT_EQ(folder.classes(), (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(folder.size(), 4);
  // os.walk order: the files of cat/ (sorted), then those of cat/kitten/, then dog/.
  const std::vector<std::string> expected = {"cat/a.Jpg", "cat/z.PNG", "cat/kitten/a.jpeg",
                                             "dog/b.png"};
  const std::vector<int64_t> labels = {0, 0, 0, 1};
  const std::vector<float> values = {3, 1, 2, 0};
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(folder.path(i), (root_ / expected[i]).string());
    const Example ex = folder.get(i);
    EXPECT_EQ(ex.label, labels[i]);
    EXPECT_EQ(ex.image.at({1, 1, 0}), values[i] / 255.f);
  }
  EXPECT_EQ(folder.example_shape(), (Shape{2, 2, 1}));
}

TEST_F(ImageFolderTest, DecodingIsLazy) {
  image("a/1.png", {2, 2, 3}, 0.5f);
  std::ofstream(root_ / "a" / "2.png") << "this is not a PNG";
  const ImageFolder folder(root());  // lists both files, decodes only the first
  ASSERT_EQ(folder.size(), 2);
  EXPECT_EQ(folder.get(0).image.shape(), (Shape{2, 2, 3}));
  const std::string msg = error_of([&] { folder.get(1); });
  EXPECT_EQ(msg, (root_ / "a" / "2.png").string() + ": not a PNG or JPEG image (looks like text)");
}

TEST_F(ImageFolderTest, ResizesBilinearlyToTheGivenSize) {
  const Tensor small = Tensor::from_data({2, 2, 1}, {0, 1, 1, 0});
  fs::create_directories(root_ / "a");
  save_png((root_ / "a" / "1.png").string(), small);
  image("a/2.png", {5, 3, 1}, 0.6f);
  image("b/3.png", {4, 6, 1}, 0.2f);  // already the target size: returned as decoded
  const ImageFolder folder(root(), {.size = {4, 6}});
  EXPECT_EQ(folder.example_shape(), (Shape{4, 6, 1}));
  NoGradGuard no_grad;
  const Tensor expected =
      upsample_bilinear2d(small.reshape({1, 2, 2, 1}), {4, 6}).reshape({4, 6, 1});
  EXPECT_TRUE(cnn::testing::bit_identical(folder.get(0).image, expected));
  // A constant image stays constant under bilinear interpolation.
  EXPECT_EQ(folder.get(1).image.to_vector(), std::vector<float>(24, 0.6f));
  EXPECT_EQ(folder.get(2).image.to_vector(), std::vector<float>(24, 0.2f));
}

TEST_F(ImageFolderTest, ConvertsChannelsOnRequest) {
  image("a/gray.png", {3, 3, 1}, 0.4f);
  image("a/rgb.png", {3, 3, 3}, 0.8f);
  const ImageFolder rgb(root(), {.channels = 3});
  EXPECT_EQ(rgb.example_shape(), (Shape{3, 3, 3}));
  EXPECT_EQ(rgb.get(0).image.shape(), (Shape{3, 3, 3}));
  const ImageFolder gray(root(), {.size = 2, .channels = 1});
  EXPECT_EQ(gray.example_shape(), (Shape{2, 2, 1}));
  EXPECT_NEAR(gray.get(1).image.at({0, 0, 0}), 0.8f, 1e-6f);
}

TEST_F(ImageFolderTest, DifferentShapesWithoutOptionsNameTheImage) {
  const std::string first = image("a/1.png", {3, 4, 1}, 0.0f);
  const std::string wide = image("a/2.png", {3, 5, 1}, 0.0f);
  const std::string colour = image("b/3.png", {3, 4, 3}, 0.0f);
  const ImageFolder folder(root());
  EXPECT_EQ(error_of([&] { folder.get(1); }),
            "ImageFolder: " + wide + " is 3 x 5 pixels but the first image, " + first +
                ", is 3 x 4; set ImageFolderOptions::size to resize every image");
  EXPECT_EQ(error_of([&] { folder.get(2); }),
            "ImageFolder: " + colour + " has 3 channels but the first image, " + first +
                ", has 1; set ImageFolderOptions::channels to convert every image");
  EXPECT_NE(error_of([&] { folder.get(3); }).find("index 3 is outside [0, 3)"), std::string::npos);
}

TEST_F(ImageFolderTest, EmptyFoldersAreErrors) {
  EXPECT_EQ(error_of([&] { ImageFolder((root_ / "missing").string()); }),
            "ImageFolder: " + (root_ / "missing").string() + ": no such folder");
  EXPECT_NE(
      error_of([&] { ImageFolder{root()}; }).find(": no class folders (expected one sub-folder"),
      std::string::npos);
  image("a/1.png", {1, 1, 1}, 0.0f);
  fs::create_directories(root_ / "b" / "nested");
  std::ofstream(root_ / "b" / "labels.csv") << "x";
  EXPECT_EQ(error_of([&] { ImageFolder{root()}; }), "ImageFolder: class folder " +
                                                        (root_ / "b").string() +
                                                        " holds no .png, .jpg or .jpeg files");
  EXPECT_NE(error_of([&] { ImageFolder(root(), {.channels = 2}); }).find("channels must be 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              ImageFolder(root(), {.size = {0, 3}});
            }).find("size must be at least 1 x 1"),
            std::string::npos);
}

TEST_F(ImageFolderTest, RootMustBeAFolderAndSizeWithinTheLimits) {
  const std::string file = image("a/1.png", {1, 1, 1}, 0.0f);
  EXPECT_EQ(error_of([&] { ImageFolder{file}; }), "ImageFolder: " + file + ": not a folder");
  EXPECT_EQ(error_of([&] {
              ImageFolder(root(), {.size = {20000, 3}});
            }),
            "ImageFolder: " + root() +
                ": size (20000, 3) is over the limit of 16384 per side (ImageLimits::max_side)");
  EXPECT_EQ(
      error_of([&] {
        ImageFolder(root(), {.size = {40, 40}, .limits = {.max_pixels = 1000}});
      }),
      "ImageFolder: " + root() +
          ": size (40, 40) gives 1600 pixels, over the limit of 1000 (ImageLimits::max_pixels)");
  EXPECT_EQ(ImageFolder(root(), {.size = {40, 40}}).example_shape(), (Shape{40, 40, 1}));
}

// A name with an image extension must be a regular file (or a link to one); a folder under
// such a name is walked like any other.
TEST_F(ImageFolderTest, NonFilesUnderImageNamesAreRefusedFoldersWalked) {
  image("a/1.png", {1, 1, 1}, 0.0f);
  image("a/photos.png/2.png", {1, 1, 1}, 1.0f);
  EXPECT_EQ(ImageFolder(root()).size(), 2);
  fs::create_symlink("/dev/null", root_ / "a" / "null.jpg");
  EXPECT_EQ(error_of([&] { ImageFolder{root()}; }),
            (root_ / "a" / "null.jpg").string() +
                ": is a character device, not a file (an image of an image folder must be a "
                "regular file)");
}

}  // namespace
}  // namespace cnn::data
