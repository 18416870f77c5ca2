// Plots: the files are PNGs of the asked size, written atomically; non-finite values are
// skipped; bad arguments and unwritable paths raise cnn::Error naming them.
//
// A person judges how the pictures look: CNN_PLOTS_SAMPLE_DIR=/some/folder test_plot
// --gtest_filter='*Samples*' writes a representative set there.
#include "cnn/plot/plots.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "cnn/error.h"
#include "cnn/train/training_curves.h"
#include "support/tensor_testing.h"

namespace cnn::plot {
namespace {

using train::EpochMetrics;
using train::plot_training_curves;

namespace fs = std::filesystem;
using cnn::testing::error_of;

const std::vector<std::string> kFashionClasses = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};

// A small CNN's Fashion-MNIST test set (1000 images per class) after some epochs: shirts
// taken for T-shirts, pullovers and coats, sandals for sneakers and ankle boots.
const std::vector<std::vector<int64_t>> kFashionCounts = {
    {856, 0, 15, 22, 4, 1, 95, 0, 7, 0},    {3, 973, 1, 17, 3, 0, 2, 0, 1, 0},
    {17, 1, 836, 10, 72, 0, 62, 0, 2, 0},   {21, 6, 10, 905, 31, 0, 25, 0, 2, 0},
    {1, 1, 80, 28, 838, 0, 51, 0, 1, 0},    {0, 0, 0, 1, 0, 968, 0, 21, 1, 9},
    {128, 2, 77, 28, 74, 0, 679, 0, 12, 0}, {0, 0, 0, 0, 0, 12, 0, 962, 0, 26},
    {4, 1, 3, 4, 2, 2, 5, 3, 976, 0},       {0, 0, 0, 0, 0, 6, 1, 36, 0, 957}};

// Twenty epochs of a run that starts to overfit: test loss turns up after epoch 12.
std::vector<EpochMetrics> realistic_run(int epochs = 20) {
  std::vector<EpochMetrics> rows;
  for (int e = 1; e <= epochs; ++e) {
    const double wobble = 0.008 * std::sin(1.7 * e);
    const double train_loss = 0.26 + 0.6 * std::exp(-e / 3.0) + wobble;
    const double test_loss = 0.31 + 0.5 * std::exp(-e / 3.5) + 0.004 * std::max(0, e - 12) - wobble;
    rows.push_back(
        {e, train_loss, 1 - train_loss / 3.1, test_loss, 1 - test_loss / 2.9, 11.5, 5200.0});
  }
  return rows;
}

struct PngSize {
  uint32_t width = 0, height = 0;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A short stand-in for a file's bytes, so that a failed comparison prints a line, not a PNG.
std::string digest(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  return std::to_string(bytes.size()) + " bytes, hash " +
         std::to_string(std::hash<std::string>{}(bytes));
}

// The size from the IHDR chunk, which a PNG must start with after its 8-byte signature.
PngSize png_size(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  EXPECT_GE(bytes.size(), 24u) << path;
  if (bytes.size() < 24) return {};
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
  EXPECT_EQ(bytes.substr(12, 4), "IHDR") << path;
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<uint8_t>(bytes[at + k]);
    return v;
  };
  return {be32(16), be32(20)};
}

class PlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cnn_plots_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The names in the test folder: finished pictures only, no temporary files left behind.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // One series at x = 0, 1, 2, ... through `y`.
  std::string plot_y(const std::string& name, const std::vector<double>& y,
                     PlotOptions options = {}) {
    Series s{"values", {}, y};
    for (size_t k = 0; k < y.size(); ++k) s.x.push_back(static_cast<double>(k));
    plot_lines(path(name), "title", "x", "y", {s}, options);
    return digest(path(name));
  }

  fs::path dir_;
};

TEST_F(PlotsTest, TrainingCurvesAreTwoPngsOfTheDefaultSize) {
  plot_training_curves(dir_.string(), realistic_run());
  EXPECT_EQ(listing(), (std::vector<std::string>{"accuracy.png", "loss.png"}));
  for (const char* name : {"loss.png", "accuracy.png"}) {
    const PngSize size = png_size(dir_ / name);
    EXPECT_EQ(size.width, 800u) << name;
    EXPECT_EQ(size.height, 600u) << name;
  }
  // The two pictures show different data.
  EXPECT_NE(digest(dir_ / "loss.png"), digest(dir_ / "accuracy.png"));
}

TEST_F(PlotsTest, TrainingCurvesOfNoEpochsOrOneEpochAreWritten) {
  plot_training_curves(dir_.string(), {});
  EXPECT_EQ(png_size(dir_ / "loss.png").width, 800u);
  plot_training_curves(dir_.string(), realistic_run(1));
  EXPECT_EQ(png_size(dir_ / "accuracy.png").height, 600u);
  EXPECT_EQ(listing(), (std::vector<std::string>{"accuracy.png", "loss.png"}));
}

TEST_F(PlotsTest, PictureHasTheRequestedSize) {
  for (const auto& [w, h] : {std::pair{1024, 400}, std::pair{300, 900}, std::pair{1600, 1200}}) {
    plot_y("sized.png", {3, 1, 2}, {.width = w, .height = h});
    const PngSize size = png_size(dir_ / "sized.png");
    EXPECT_EQ(size.width, static_cast<uint32_t>(w));
    EXPECT_EQ(size.height, static_cast<uint32_t>(h));
  }
}

TEST_F(PlotsTest, SamePlotGivesTheSameBytes) {
  EXPECT_EQ(plot_y("a.png", {0, 0.5, 1}), plot_y("b.png", {0, 0.5, 1}));
  EXPECT_NE(plot_y("a.png", {0, 0.5, 1}), plot_y("b.png", {0, 0.7, 1}));
}

TEST_F(PlotsTest, NonFiniteValuesAreSkipped) {
  const std::string gap = plot_y("nan.png", {0, NAN, 1});
  EXPECT_EQ(plot_y("inf.png", {0, INFINITY, 1}), gap);
  EXPECT_EQ(plot_y("neg_inf.png", {0, -INFINITY, 1}), gap);
  // Not ignored either: the line breaks at the skipped point.
  EXPECT_NE(plot_y("line.png", {0, 0.5, 1}), gap);
  // A non-finite x is skipped the same way.
  Series s{"values", {0, NAN, 2}, {0, 0.5, 1}};
  plot_lines(path("nan_x.png"), "title", "x", "y", {s});
  EXPECT_EQ(digest(path("nan_x.png")), gap);
}

TEST_F(PlotsTest, SeriesWithoutFinitePointsIsLikeAnEmptySeries) {
  const std::string all_nan = plot_y("all_nan.png", {NAN, INFINITY, NAN});
  EXPECT_EQ(plot_y("empty.png", {}), all_nan);
  EXPECT_EQ(png_size(dir_ / "empty.png").width, 800u);
  plot_lines(path("no_series.png"), "title", "x", "y", {});
  EXPECT_EQ(png_size(dir_ / "no_series.png").height, 600u);
}

TEST_F(PlotsTest, SinglePointIsDrawn) {
  EXPECT_NE(plot_y("one.png", {0.5}), plot_y("none.png", {}));
  EXPECT_NE(plot_y("one.png", {0.5}), plot_y("other.png", {0.7}, {.y_min = 0.0, .y_max = 1.0}));
}

TEST_F(PlotsTest, ExtremeValuesArePlottedOrRefused) {
  for (const auto& [name, y] : {std::pair{"huge.png", std::vector<double>{1e20}},
                                std::pair{"close.png", std::vector<double>{1e9, 1e9 + 1e-6, 1e9}},
                                std::pair{"tiny.png", std::vector<double>{1e-12, 3e-12}}}) {
    plot_y(name, y);
    EXPECT_EQ(png_size(dir_ / name).width, 800u) << name;
  }
  EXPECT_EQ(error_of([&] {
              plot_y("wide.png", {-1e308, 1e308});
            }),
            "plot_lines: values from -1e+308 to 1e+308 are too far apart to plot");
}

TEST_F(PlotsTest, LogAxisSkipsValuesAtOrBelowZero) {
  const PlotOptions log{.log_y = true};
  const std::string gap = plot_y("nan.png", {0.01, NAN, 10}, log);
  EXPECT_EQ(plot_y("zero.png", {0.01, 0.0, 10}, log), gap);
  EXPECT_EQ(plot_y("negative.png", {0.01, -3.0, 10}, log), gap);
  EXPECT_NE(plot_y("linear.png", {0.01, NAN, 10}), gap);
}

TEST_F(PlotsTest, FixedYRangeChangesThePicture) {
  EXPECT_NE(plot_y("auto.png", {0.2, 0.4}),
            plot_y("fixed.png", {0.2, 0.4}, {.y_min = 0.0, .y_max = 1.0}));
  EXPECT_NE(plot_y("auto.png", {0.2, 0.4}), plot_y("low.png", {0.2, 0.4}, {.y_min = 0.0}));
}

TEST_F(PlotsTest, LegendPlacesDiffer) {
  std::vector<std::string> pictures;
  for (const LegendPlace place :
       {LegendPlace::top_right, LegendPlace::top_left, LegendPlace::bottom_right,
        LegendPlace::bottom_left, LegendPlace::none})
    pictures.push_back(plot_y("legend.png", {0.2, 0.4}, {.legend = place}));
  for (size_t a = 0; a < pictures.size(); ++a)
    for (size_t b = a + 1; b < pictures.size(); ++b)
      EXPECT_NE(pictures[a], pictures[b]) << a << " vs " << b;
  // A falling curve leaves the top-right corner free, a rising one the top-left.
  EXPECT_EQ(plot_y("best.png", {1, 0.5, 0.1, 0}),
            plot_y("tr.png", {1, 0.5, 0.1, 0}, {.legend = LegendPlace::top_right}));
  EXPECT_EQ(plot_y("best.png", {0, 0.5, 0.9, 1}),
            plot_y("tl.png", {0, 0.5, 0.9, 1}, {.legend = LegendPlace::top_left}));
}

TEST_F(PlotsTest, TextWithPlplotEscapeCharacterIsWritten) {
  Series s{"loss #2", {1, 2}, {1, 2}};
  plot_lines(path("hash.png"), "run #7", "#epoch", "y", {s});
  EXPECT_EQ(png_size(dir_ / "hash.png").width, 800u);
}

TEST_F(PlotsTest, ExistingPictureIsReplacedWithoutLeftovers) {
  std::ofstream(path("curve.png")) << "an old file that is not a picture";
  plot_y("curve.png", {1, 2, 3});
  EXPECT_EQ(png_size(dir_ / "curve.png").width, 800u);
  EXPECT_EQ(listing(), std::vector<std::string>{"curve.png"});
}

TEST_F(PlotsTest, UnwritablePathsNameThePath) {
  const std::string missing = path("no_such_folder/loss.png");
  std::string msg = error_of([&] { plot_y("no_such_folder/loss.png", {1, 2}); });
  EXPECT_NE(msg.find("plot_lines: cannot write '" + missing + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;

  std::ofstream(path("file")) << "x";
  msg = error_of([&] { plot_y("file/loss.png", {1, 2}); });
  EXPECT_NE(msg.find(path("file/loss.png")), std::string::npos) << msg;
  EXPECT_NE(msg.find("is not a folder"), std::string::npos) << msg;

  fs::create_directory(path("taken.png"));  // the target is a folder: the rename fails
  msg = error_of([&] { plot_y("taken.png", {1, 2}); });
  EXPECT_NE(msg.find("cannot write '" + path("taken.png") + "'"), std::string::npos) << msg;
  EXPECT_EQ(listing(), (std::vector<std::string>{"file", "taken.png"}));  // no temporary file left

  if (::geteuid() != 0) {  // root writes anywhere
    fs::create_directory(path("read_only"));
    fs::permissions(path("read_only"), fs::perms::owner_read | fs::perms::owner_exec);
    msg = error_of([&] { plot_y("read_only/loss.png", {1, 2}); });
    EXPECT_NE(msg.find("cannot write '" + path("read_only/loss.png") + "': Permission denied"),
              std::string::npos)
        << msg;
    fs::remove(path("read_only"));
  }

  msg = error_of([&] { plot_training_curves(path("missing_run"), realistic_run()); });
  EXPECT_NE(msg.find(path("missing_run/loss.png")), std::string::npos) << msg;
  msg = error_of([&] { plot_confusion_matrix(missing, kFashionCounts, kFashionClasses, "t"); });
  EXPECT_NE(msg.find("plot_confusion_matrix: cannot write '" + missing + "'"), std::string::npos)
      << msg;
}

TEST_F(PlotsTest, BadLineArgumentsAreNamed) {
  Series s{"train", {1, 2, 3}, {1, 2}};
  EXPECT_EQ(error_of([&] { plot_lines(path("p.png"), "t", "x", "y", {s}); }),
            "plot_lines: series 'train' has 3 x values but 2 y values");
  EXPECT_EQ(error_of([&] { plot_y("p.png", {1}, {.width = 10}); }),
            "plot_lines: options.width must be in 200..8000 pixels, got 10");
  EXPECT_EQ(error_of([&] { plot_y("p.png", {1}, {.height = 100000}); }),
            "plot_lines: options.height must be in 150..8000 pixels, got 100000");
  EXPECT_EQ(error_of([&] { plot_y("p.png", {1}, {.y_min = 2.0, .y_max = 1.0}); }),
            "plot_lines: options.y_min (2) must be below options.y_max (1)");
  EXPECT_EQ(error_of([&] { plot_y("p.png", {1}, {.y_max = NAN}); }),
            "plot_lines: options.y_max must be finite, got nan");
  EXPECT_EQ(error_of([&] { plot_y("p.png", {1}, {.log_y = true, .y_min = 0.0}); }),
            "plot_lines: options.y_min must be > 0 on a log axis, got 0");
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotsTest, ConfusionMatrixOfFashionMnist) {
  plot_confusion_matrix(path("confusion.png"), kFashionCounts, kFashionClasses,
                        "Fashion-MNIST test set");
  const PngSize size = png_size(dir_ / "confusion.png");
  // 10 cells of 56 pixels and room for the names, the titles and the colour bar.
  EXPECT_GT(size.width, 10u * 56u);
  EXPECT_LT(size.width, 1000u);
  EXPECT_GT(size.height, 10u * 56u);
  EXPECT_LT(size.height, 1000u);
  EXPECT_EQ(listing(), std::vector<std::string>{"confusion.png"});
}

TEST_F(PlotsTest, ConfusionMatrixFrom2To100Classes) {
  PngSize previous{};
  for (const size_t n : {2u, 3u, 30u, 31u, 100u}) {
    std::vector<std::vector<int64_t>> counts(n, std::vector<int64_t>(n, 1));
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      counts[i][i] = 50;
      names.push_back("class " + std::to_string(i));
    }
    counts[0].assign(n, 0);  // a class absent from the test set
    plot_confusion_matrix(path("cm.png"), counts, names, std::to_string(n) + " classes");
    const PngSize size = png_size(dir_ / "cm.png");
    EXPECT_GE(size.width, previous.width) << n << " classes";
    EXPECT_GE(size.height, previous.height) << n << " classes";
    previous = size;
  }
  EXPECT_GT(previous.width, 1000u);  // 100 classes need more room
}

TEST_F(PlotsTest, BadConfusionMatrixArgumentsAreNamed) {
  const std::string p = path("cm.png");
  EXPECT_EQ(error_of([&] { plot_confusion_matrix(p, {{1}}, {"only"}, "t"); }),
            "plot_confusion_matrix: needs 2..256 class names, got 1");
  EXPECT_EQ(error_of([&] {
              plot_confusion_matrix(p, {{1, 2}}, {"a", "b"}, "t");
            }),
            "plot_confusion_matrix: counts has 1 rows for 2 class names");
  EXPECT_EQ(error_of([&] {
              plot_confusion_matrix(p, {{1, 2}, {3}}, {"a", "b"}, "t");
            }),
            "plot_confusion_matrix: counts row 1 has 1 entries for 2 class names");
  EXPECT_EQ(error_of([&] {
              plot_confusion_matrix(p, {{1, 2}, {3, -4}}, {"a", "b"}, "t");
            }),
            "plot_confusion_matrix: counts[1][1] is -4; counts must be >= 0");
  EXPECT_TRUE(listing().empty());
}

TEST_F(PlotsTest, PlotsFromSeveralThreadsAreTheSameAsOneByOne) {
  const std::string alone = plot_y("alone.png", {3, 1, 2});
  plot_confusion_matrix(path("alone_cm.png"), kFashionCounts, kFashionClasses, "t");
  const std::string alone_cm = digest(path("alone_cm.png"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string name = std::to_string(t);
      plot_lines(path(name + ".png"), "title", "x", "y", {{"values", {0, 1, 2}, {3, 1, 2}}});
      plot_confusion_matrix(path(name + "_cm.png"), kFashionCounts, kFashionClasses, "t");
    });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(digest(path(std::to_string(t) + ".png")), alone) << t;
    EXPECT_EQ(digest(path(std::to_string(t) + "_cm.png")), alone_cm) << t;
  }
}

// Not a check: writes the pictures a person should look at when the drawing code changes.
TEST(PlotsSamples, WriteForALook) {
  const char* folder = std::getenv("CNN_PLOTS_SAMPLE_DIR");
  if (folder == nullptr) GTEST_SKIP() << "set CNN_PLOTS_SAMPLE_DIR to write the samples";
  const fs::path dir(folder);
  fs::create_directories(dir);
  plot_training_curves(dir.string(), realistic_run());
  plot_confusion_matrix((dir / "confusion_fashion_mnist.png").string(), kFashionCounts,
                        kFashionClasses, "Fashion-MNIST test set, epoch 20");
  plot_confusion_matrix((dir / "confusion_2.png").string(), {{480, 20}, {35, 465}}, {"cat", "dog"},
                        "Two classes");
  std::vector<std::vector<int64_t>> many(100, std::vector<int64_t>(100, 0));
  std::vector<std::string> names;
  for (size_t i = 0; i < 100; ++i) {
    names.push_back("class_" + std::to_string(i));
    many[i][i] = 60 + static_cast<int64_t>(i % 7) * 5;
    many[i][(i + 1) % 100] = 100 - many[i][i];
  }
  plot_confusion_matrix((dir / "confusion_100.png").string(), many, names, "100 classes");
  std::vector<Series> decays;
  for (int k = 0; k < 3; ++k) {
    Series s{"rate " + std::to_string(k + 1) + (k == 1 ? " (NaN gap, one inf)" : ""), {}, {}};
    for (int i = 0; i <= 100; ++i) {
      s.x.push_back(i * 0.1);
      const bool hole = k == 1 && ((i > 40 && i < 55) || i == 70);
      s.y.push_back(hole ? (i == 70 ? INFINITY : NAN) : 2.5 * std::exp(-0.03 * (k + 1) * i) + 0.01);
    }
    decays.push_back(s);
  }
  plot_lines((dir / "lines_nan.png").string(), "Three decays", "time (s)", "value", decays);
  plot_lines((dir / "lines_log.png").string(), "Three decays, log scale", "time (s)", "value",
             decays, {.log_y = true});
  plot_lines((dir / "single_point.png").string(), "One epoch", "epoch", "loss",
             {{"train", {1}, {0.5}}}, {.integer_x = true});
  plot_lines((dir / "empty.png").string(), "Nothing yet", "epoch", "loss",
             {{"train", {}, {}}, {"test", {1, 2}, {NAN, NAN}}});
}

}  // namespace
}  // namespace cnn::plot
