/// \file
/// Pictures drawn with PLplot (device "pngcairo") as PNG files: line plots (a training run's
/// loss and accuracy by epoch, the lab's measurements) and a confusion matrix as a heat map.
///
/// Every picture is rendered into a temporary file beside the target and renamed into place,
/// so a kill at any moment leaves the old picture or the new one, never half of one. A path
/// whose folder is missing or not writable raises cnn::Error naming the path before PLplot
/// starts (PLplot itself would retry, print and exit the process). PLplot keeps global state,
/// so the functions here take one process-wide lock: call them from any thread, one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnn::plot {

/// A named curve: y[k] drawn at x[k]; x and y have the same length.
struct Series {
  std::string label;
  std::vector<double> x, y;
};

enum class LegendPlace { best, top_right, top_left, bottom_right, bottom_left, none };

struct PlotOptions {
  int width = 800;                         ///< pixels, 200..8000
  int height = 600;                        ///< pixels, 150..8000
  bool log_y = false;                      ///< log10 y axis; values <= 0 are skipped like NaN
  std::optional<double> y_min{}, y_max{};  ///< fixed ends of the y axis; unset: from the data
  LegendPlace legend = LegendPlace::best;  ///< best: the corner that covers the fewest points
  bool integer_x = false;                  ///< x ticks on whole numbers only (epochs)
};

/// Lines through each series' points, in distinct colours (and marker shapes when a series
/// has few points), with a legend, axis labels, a grid and a title.
/// Non-finite points (and, on a log axis, points with y <= 0) are skipped: the line breaks
/// there and an isolated point keeps its marker. Empty series are allowed: a series without a
/// drawable point appears in the legend as "(no data)", and a plot with no drawable point at
/// all is still written, with "no data" in the middle. Throws cnn::Error on x/y length
/// mismatch, bad options or an unwritable path.
void plot_lines(const std::string& png_path, const std::string& title, const std::string& x_label,
                const std::string& y_label, const std::vector<Series>& series,
                const PlotOptions& options = {});

/// A heat map of counts[true][predicted] for n = class_names.size() classes (2..256): each
/// cell coloured by its share of the row (so the diagonal shows each class's recall), with
/// the count written in it up to 30 classes, class names on both axes and a colour bar.
/// The picture's size follows from n. Throws cnn::Error on a non-square matrix, negative
/// counts, a wrong number of names or an unwritable path.
void plot_confusion_matrix(const std::string& png_path,
                           const std::vector<std::vector<int64_t>>& counts,
                           const std::vector<std::string>& class_names, const std::string& title);

}  // namespace cnn::plot
