// The confusion matrix as a heat map, drawn with PLplot on a PngCanvas (png_canvas.h).
//
// Row i is the true class i (class 0 on top), column j the predicted class. A cell's colour
// is its share of the row, counts[i][j] / sum_j counts[i][j], so the diagonal shows each
// class's recall and the rest of a row where that class goes wrong, whatever the class sizes.
// The page is sized from the number of classes and the longest name; labels outside the
// matrix are drawn in page pixel coordinates, where nothing clips them.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "cnn/error.h"
#include "cnn/plot/plots.h"
#include "plot/png_canvas.h"

namespace cnn::plot {
namespace {

using detail::Color;
using detail::plplot_text;
using detail::text_width;

constexpr size_t kMinClasses = 2, kMaxClasses = 256;
constexpr size_t kMaxClassesWithCounts = 30;  // beyond this the cells are too small for text

// Colour map 1: ColorBrewer "Blues", from near-white (0) to dark blue (the whole row).
constexpr std::array<PLFLT, 5> kStops = {0.0, 0.25, 0.5, 0.75, 1.0};
constexpr std::array<PLFLT, 5> kRed = {0.969, 0.776, 0.420, 0.129, 0.031};
constexpr std::array<PLFLT, 5> kGreen = {0.984, 0.859, 0.682, 0.443, 0.188};
constexpr std::array<PLFLT, 5> kBlue = {1.000, 0.937, 0.839, 0.710, 0.420};

// Luminance of the map's colour at f, to choose black or white text on it (the sRGB
// channels are weighted as if linear: rough, but far from the threshold either way).
double luminance_at(double f) {
  size_t k = 1;
  while (k + 1 < kStops.size() && f > kStops[k]) ++k;
  const double t = (f - kStops[k - 1]) / (kStops[k] - kStops[k - 1]);
  auto mix = [&](const std::array<PLFLT, 5>& c) { return c[k - 1] + t * (c[k] - c[k - 1]); };
  return 0.2126 * mix(kRed) + 0.7152 * mix(kGreen) + 0.0722 * mix(kBlue);
}

void check_matrix(const std::vector<std::vector<int64_t>>& counts,
                  const std::vector<std::string>& names) {
  const size_t n = names.size();
  CNN_CHECK(n >= kMinClasses && n <= kMaxClasses, "plot_confusion_matrix: needs ", kMinClasses,
            "..", kMaxClasses, " class names, got ", n);
  CNN_CHECK(counts.size() == n, "plot_confusion_matrix: counts has ", counts.size(), " rows for ",
            n, " class names");
  for (size_t i = 0; i < n; ++i) {
    CNN_CHECK(counts[i].size() == n, "plot_confusion_matrix: counts row ", i, " has ",
              counts[i].size(), " entries for ", n, " class names");
    for (size_t j = 0; j < n; ++j)
      CNN_CHECK(counts[i][j] >= 0, "plot_confusion_matrix: counts[", i, "][", j, "] is ",
                counts[i][j], "; counts must be >= 0");
  }
}

}  // namespace

void plot_confusion_matrix(const std::string& png_path,
                           const std::vector<std::vector<int64_t>>& counts,
                           const std::vector<std::string>& class_names, const std::string& title) {
  check_matrix(counts, class_names);
  const size_t n = class_names.size();
  const double nd = static_cast<double>(n);
  const bool write_counts = n <= kMaxClassesWithCounts;

  // Layout in pixels.
  const double cell = std::clamp(std::floor(560.0 / nd), 14.0, 130.0);
  const double text_px = 14.0;  // title, axis titles, colour bar
  const double name_px = std::clamp(0.6 * cell, 8.0, 14.0);
  double name_w = 0;
  std::vector<std::string> names;
  for (const std::string& name : class_names) {
    names.push_back(plplot_text(name));
    name_w = std::max(name_w, text_width(name, name_px));
  }
  // x names: level when they fit their column, else at 45 degrees, or upright for many classes.
  const double angle = name_w <= 0.9 * cell ? 0.0 : write_counts ? 45.0 : 90.0;
  const double sin_a = std::sin(angle * M_PI / 180), cos_a = std::cos(angle * M_PI / 180);
  const double gap = 0.6 * name_px;
  const double x_names_h = name_w * sin_a + name_px * (angle == 0 ? 1.0 : cos_a);
  const double left = std::max(18 + 2 * text_px + name_w + gap, name_w * cos_a + 20);
  const double bottom = gap + x_names_h + 2.6 * text_px + 10;
  const double top = 3.4 * text_px;
  const double bar_gap = 16, bar_w = 18;
  const double right = bar_gap + bar_w + text_width("100", text_px) + 4.2 * text_px;
  const int width = static_cast<int>(std::ceil(left + nd * cell + right));
  const int height = static_cast<int>(std::ceil(top + nd * cell + bottom));

  detail::PngCanvas canvas("plot_confusion_matrix", png_path, width, height);
  plstream& pls = canvas.pls();
  pls.scmap1n(256);
  pls.scmap1l(true, static_cast<PLINT>(kStops.size()), kStops.data(), kRed.data(), kGreen.data(),
              kBlue.data(), nullptr);
  canvas.viewport_px(left, right, bottom, top);
  pls.wind(0, nd, 0, nd);

  // Cells, with counts.
  int64_t largest = 1;
  for (const auto& row : counts)
    largest = std::max(largest, *std::max_element(row.begin(), row.end()));
  const double count_w = text_width(std::to_string(largest), 1.0);  // in text heights
  canvas.text_height_px(std::min({0.36 * cell, 0.85 * cell / count_w, 16.0}));
  for (size_t i = 0; i < n; ++i) {
    double row_total = 0;  // a double cannot overflow here, and the share is a double anyway
    for (const int64_t c : counts[i]) row_total += static_cast<double>(c);
    const double y0 = nd - 1 - static_cast<double>(i);  // class 0 on top
    for (size_t j = 0; j < n; ++j) {
      const double share = row_total > 0 ? static_cast<double>(counts[i][j]) / row_total : 0.0;
      const double x0 = static_cast<double>(j);
      const std::array<PLFLT, 4> xs = {x0, x0 + 1, x0 + 1, x0}, ys = {y0, y0, y0 + 1, y0 + 1};
      pls.col1(share);
      pls.fill(4, xs.data(), ys.data());
      if (!write_counts) continue;
      pls.col0(counts[i][j] == 0            ? Color::kMidGrey
               : luminance_at(share) < 0.45 ? Color::kWhite
                                            : Color::kBlack);
      pls.ptex(x0 + 0.5, y0 + 0.5, 1, 0, 0.5, std::to_string(counts[i][j]).c_str());
    }
  }
  pls.col0(Color::kBlack);
  pls.box("bc", 0, 0, "bc", 0, 0);

  // Colour bar: the share of the row, in %.
  {
    canvas.text_height_px(text_px);
    PLFLT vx0, vx1, vy0, vy1;
    pls.gvpd(vx0, vx1, vy0, vy1);
    const double plot_w = (vx1 - vx0) * width;
    const char* bar_label = "% of the true class";
    PLINT label_opt = PL_COLORBAR_LABEL_RIGHT, sub_ticks = 2, n_values = 2;
    const char* axis_opts = "bcmtv";
    PLFLT ticks = 20;
    const PLFLT range[2] = {0, 100};
    const PLFLT* values[1] = {range};
    PLFLT bar_out_w = 0, bar_out_h = 0;
    pls.colorbar(&bar_out_w, &bar_out_h, PL_COLORBAR_GRADIENT,
                 PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, bar_gap / plot_w,
                 0, bar_w / plot_w, 1.0,           // x, y, width, height: of the matrix
                 Color::kWhite, Color::kBlack, 1,  // background, frame colour, frame style
                 0, 0, 0, 0,                       // no end caps, no contours
                 1, &label_opt, &bar_label, 1, &axis_opts, &ticks, &sub_ticks, &n_values, values);
  }

  // Titles, on the matrix's viewport.
  pls.mtex("l", (name_w + gap) / text_px + 1.2, 0.5, 0.5, "true class");
  pls.mtex("b", (gap + x_names_h) / text_px + 1.6, 0.5, 0.5, "predicted class");
  canvas.text_height_px(1.2 * text_px);
  pls.mtex("t", 1.2, 0.5, 0.5, plplot_text(title).c_str());

  // Class names, in page pixel coordinates (y up from the page's bottom). plptex clips at
  // the viewport, now the page, and puts (x, y) on a line through the middle of the text.
  pls.vpor(0, 1, 0, 1);
  pls.wind(0, width, 0, height);
  canvas.text_height_px(name_px);
  for (size_t k = 0; k < n; ++k) {
    const double along = static_cast<double>(k) + 0.5;
    // True class k: right-aligned left of row k.
    pls.ptex(left - gap, height - top - along * cell, 1, 0, 1.0, names[k].c_str());
    // Predicted class k: below column k, its end under the column's middle.
    const double cx = left + along * cell, cy = bottom - gap - 0.5 * name_px;
    if (angle == 0)
      pls.ptex(cx, cy, 1, 0, 0.5, names[k].c_str());
    else
      pls.ptex(cx, cy, cos_a, sin_a, 1.0, names[k].c_str());
  }
  canvas.finish();
}

}  // namespace cnn::plot
