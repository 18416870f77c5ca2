// Line plots, drawn with PLplot on a PngCanvas.
//
// Layout is computed in pixels, the margins made to fit the estimated label widths.
// Ticks and their labels are chosen here too (1, 2, 5 times a power of ten), so their
// widths are known and a log axis reads 0.1, 0.2, 0.5 instead of only powers of ten.
#include "cnn/plot/plots.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "cnn/error.h"
#include "plot/png_canvas.h"

namespace cnn::plot {
namespace {

using detail::Color;
using detail::plplot_text;
using detail::PngCanvas;
using detail::text_width;

// A series with at most this many drawable points gets a marker on each point.
constexpr size_t kMaxMarkedPoints = 60;
const std::array<const char*, 5> kMarkers = {"●", "■", "▲", "◆", "▼"};

struct Range {
  double lo = 0.0, hi = 1.0;
  double span() const { return hi - lo; }
};

// ---------------------------------------------------------------------------------------
// Ticks
// ---------------------------------------------------------------------------------------

struct Ticks {
  std::vector<double> at;  // in axis units (log10 of the value on a log axis)
  std::vector<std::string> labels;
  double step = 0.0;  // for plbox: 0 lets PLplot place log ticks
  int minor = 0;      // minor intervals per step, 0: PLplot's choice
};

// The smallest of 1, 2, 5 times a power of ten that cuts `span` into at most `max_ticks`.
double nice_step(double span, int max_ticks) {
  const double raw = span / max_ticks;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (m * decade >= raw * (1 - 1e-9)) return m * decade;
  return 10.0 * decade;
}

Ticks linear_ticks(Range r, int max_ticks, bool integer) {
  Ticks t;
  t.step = nice_step(r.span(), max_ticks);
  if (integer) {
    t.step = std::max(1.0, t.step);
    // Minor ticks on whole numbers while they stay few (step 10: every 2, 20: every 5).
    const double lead = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
    t.minor = t.step <= 5 ? static_cast<int>(t.step) : (std::lround(lead) == 2 ? 4 : 5);
  }
  // Fixed decimals read best; far from 1, "%g" keeps a label short.
  const bool fixed = std::max(std::abs(r.lo), std::abs(r.hi)) < 1e6 && t.step >= 1e-4;
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(t.step) - 1e-9)));
  // Counted, not stepped by adding: near 1e17, k + 1 == k.
  const double first = std::ceil(r.lo / t.step - 1e-9), last = std::floor(r.hi / t.step + 1e-9);
  for (int i = 0; i <= std::min(last - first, 100.0); ++i) {
    const double v = (first + i) * t.step;
    char text[64];
    std::snprintf(text, sizeof text, fixed ? "%.*f" : "%.*g", fixed ? decimals : 6,
                  first + i == 0 ? 0.0 : v);
    t.at.push_back(v);
    t.labels.push_back(text);
  }
  return t;
}

// A log axis spanning more decades than this gets ticks only at its labels.
constexpr double kMaxDecadesWithMinorTicks = 12.0;

// Ticks at 1, 2, 5 x 10^k over a short range, at powers of ten over a long one.
Ticks log_ticks(Range r) {
  Ticks t;
  const bool fine = r.span() <= 3.0;
  const int stride = fine ? 1 : std::max(1, static_cast<int>(std::ceil(r.span() / 8)));
  t.step = stride;
  // Exponents at multiples of the stride, where PLplot puts the ticks of a long axis.
  const int first = stride * static_cast<int>(std::floor(std::floor(r.lo) / stride));
  for (int e = first; e <= static_cast<int>(std::ceil(r.hi)); e += stride)
    for (const double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double at = e + std::log10(m);
      if (at < r.lo - 1e-9 || at > r.hi + 1e-9) continue;
      char text[64];
      if (e >= -4 && e <= 5)
        std::snprintf(text, sizeof text, "%g", m * std::pow(10.0, e));
      else if (m == 1)  // PLplot markup: #u ... #d is a superscript
        std::snprintf(text, sizeof text, "10#u%d#d", e);
      else
        std::snprintf(text, sizeof text, "%g×10#u%d#d", m, e);
      t.at.push_back(at);
      t.labels.push_back(text);
    }
  return t;
}

// ---------------------------------------------------------------------------------------
// Line plots
// ---------------------------------------------------------------------------------------

// A series' drawable points in axis units, as runs between the skipped points.
struct Curve {
  std::vector<std::vector<PLFLT>> xs, ys;
  size_t points = 0;
};

Curve curve_of(const Series& s, bool log_y) {
  Curve c;
  bool in_run = false;
  for (size_t k = 0; k < s.x.size(); ++k) {
    const double x = s.x[k], y = s.y[k];
    if (!std::isfinite(x) || !std::isfinite(y) || (log_y && y <= 0)) {
      in_run = false;
      continue;
    }
    if (!in_run) {
      c.xs.emplace_back();
      c.ys.emplace_back();
      in_run = true;
    }
    c.xs.back().push_back(x);
    c.ys.back().push_back(log_y ? std::log10(y) : y);
    ++c.points;
  }
  return c;
}

// The range of the drawn values, widened by `pad` of its span on each free end; a fixed end
// is kept as given. A single value gets `half` (or a tenth of itself) on either side.
Range axis_range(const std::vector<Curve>& curves, bool use_y, std::optional<double> lo,
                 std::optional<double> hi, double pad, double half) {
  double data_lo = INFINITY, data_hi = -INFINITY;
  for (const Curve& c : curves)
    for (const auto& run : use_y ? c.ys : c.xs)
      for (const double v : run) {
        data_lo = std::min(data_lo, v);
        data_hi = std::max(data_hi, v);
      }
  if (data_lo > data_hi) data_lo = 0, data_hi = 1;  // nothing drawable
  const double magnitude = std::max(std::abs(data_lo), std::abs(data_hi));
  if (data_hi - data_lo <= 1e-9 * magnitude) {  // one value, up to rounding
    const double mid = data_lo / 2 + data_hi / 2, h = std::max(half, 0.1 * magnitude);
    data_lo = mid - h, data_hi = mid + h;
  }
  const double span = data_hi - data_lo;
  CNN_CHECK(std::isfinite(span), "plot_lines: values from ", data_lo, " to ", data_hi,
            " are too far apart to plot");
  Range r{lo.value_or(data_lo - pad * span), hi.value_or(data_hi + pad * span)};
  if (r.hi <= r.lo) {  // one end fixed, the data all beyond it
    if (lo)
      r.hi = r.lo + span;
    else
      r.lo = r.hi - span;
  }
  return r;
}

// The corner whose legend-sized box (fractions of the plot area) holds the fewest points
// of the curves, counting points along each segment too; ties go to the earlier corner.
LegendPlace best_corner(const std::vector<Curve>& curves, Range xr, Range yr, double box_w,
                        double box_h) {
  const std::array<LegendPlace, 4> order = {LegendPlace::top_right, LegendPlace::top_left,
                                            LegendPlace::bottom_right, LegendPlace::bottom_left};
  std::array<int, 4> hits{};
  auto count = [&](double x, double y) {
    const double u = (x - xr.lo) / xr.span(), v = (y - yr.lo) / yr.span();
    const bool right = u >= 1 - box_w, left = u <= box_w, top = v >= 1 - box_h, bottom = v <= box_h;
    hits[0] += right && top;
    hits[1] += left && top;
    hits[2] += right && bottom;
    hits[3] += left && bottom;
  };
  constexpr int kSamplesPerSegment = 16;
  for (const Curve& c : curves)
    for (size_t r = 0; r < c.xs.size(); ++r) {
      const auto &xs = c.xs[r], &ys = c.ys[r];
      count(xs[0], ys[0]);
      for (size_t k = 1; k < xs.size(); ++k)
        for (int s = 1; s <= kSamplesPerSegment; ++s) {
          const double f = static_cast<double>(s) / kSamplesPerSegment;
          count(xs[k - 1] + f * (xs[k] - xs[k - 1]), ys[k - 1] + f * (ys[k] - ys[k - 1]));
        }
    }
  return order[static_cast<size_t>(std::min_element(hits.begin(), hits.end()) - hits.begin())];
}

void check_options(const PlotOptions& o) {
  CNN_CHECK(o.width >= 200 && o.width <= 8000,
            "plot_lines: options.width must be in 200..8000 pixels, got ", o.width);
  CNN_CHECK(o.height >= 150 && o.height <= 8000,
            "plot_lines: options.height must be in 150..8000 pixels, got ", o.height);
  for (const auto& [name, v] : {std::pair{"y_min", o.y_min}, std::pair{"y_max", o.y_max}}) {
    CNN_CHECK(!v || std::isfinite(*v), "plot_lines: options.", name, " must be finite, got ", *v);
    CNN_CHECK(!v || !o.log_y || *v > 0, "plot_lines: options.", name,
              " must be > 0 on a log axis, got ", *v);
  }
  CNN_CHECK(!o.y_min || !o.y_max || *o.y_min < *o.y_max, "plot_lines: options.y_min (", *o.y_min,
            ") must be below options.y_max (", *o.y_max, ")");
}

// How series i is drawn: ten colours, then the same colours dashed; five marker shapes.
struct Style {
  PLINT color, line_style;
  const char* marker;
};

Style style_of(size_t i) {
  return {Color::kFirstSeriesColor + static_cast<PLINT>(i % detail::kSeriesColors),
          static_cast<PLINT>(1 + (i / detail::kSeriesColors) % 8), kMarkers[i % kMarkers.size()]};
}

constexpr double kLineWidth = 2.0;
constexpr double kMarkerScale = 0.6;  // of the text height

// Lines through each run of drawable points; markers on every point of a short series and
// on isolated points. Returns, per series, whether its points were marked.
std::vector<bool> draw_curves(PngCanvas& canvas, const std::vector<Curve>& curves, double text_px) {
  plstream& pls = canvas.pls();
  std::vector<bool> marked(curves.size());
  canvas.text_height_px(kMarkerScale * text_px);
  pls.width(kLineWidth);
  for (size_t i = 0; i < curves.size(); ++i) {
    const Curve& c = curves[i];
    const Style style = style_of(i);
    pls.col0(style.color);
    pls.lsty(style.line_style);
    marked[i] = c.points <= kMaxMarkedPoints;
    for (size_t r = 0; r < c.xs.size(); ++r) {
      const PLINT n = static_cast<PLINT>(c.xs[r].size());
      if (n > 1) pls.line(n, c.xs[r].data(), c.ys[r].data());
      if (marked[i] || n == 1) pls.string(n, c.xs[r].data(), c.ys[r].data(), style.marker);
    }
  }
  pls.lsty(1);
  pls.width(1.0);
  canvas.text_height_px(text_px);
  return marked;
}

void draw_legend(PngCanvas& canvas, const std::vector<Series>& series,
                 const std::vector<Curve>& curves, const std::vector<bool>& marked,
                 LegendPlace place, Range xr, Range yr, double text_px) {
  plstream& pls = canvas.pls();
  const size_t n = series.size();
  std::vector<std::string> labels;
  double widest = 0;
  for (size_t i = 0; i < n; ++i) {
    labels.push_back(plplot_text(series[i].label) + (curves[i].points == 0 ? " (no data)" : ""));
    widest = std::max(widest, text_width(labels.back(), text_px));
  }
  constexpr double kSampleWidth = 0.09;  // of the plot width: the line drawn in the legend
  constexpr double kOffset = 0.02;       // of the plot size: from the frame to the legend
  if (place == LegendPlace::best) {
    PLFLT vx0, vx1, vy0, vy1;
    pls.gvpd(vx0, vx1, vy0, vy1);  // the plot area in fractions of the page
    const double plot_w = (vx1 - vx0) * canvas.width_px(),
                 plot_h = (vy1 - vy0) * canvas.height_px();
    const double box_w = (widest + 4 * text_px) / plot_w + kSampleWidth + kOffset;
    const double box_h = (static_cast<double>(n) * 2 + 1) * text_px / plot_h + kOffset;
    place = best_corner(curves, xr, yr, box_w, box_h);
  }
  const bool right = place == LegendPlace::top_right || place == LegendPlace::bottom_right;
  const bool top = place == LegendPlace::top_right || place == LegendPlace::top_left;
  const PLINT position = PL_POSITION_INSIDE | PL_POSITION_VIEWPORT |
                         (right ? PL_POSITION_RIGHT : PL_POSITION_LEFT) |
                         (top ? PL_POSITION_TOP : PL_POSITION_BOTTOM);
  std::vector<const char*> text(n), symbols(n);
  std::vector<PLINT> opts(n), text_colors(n, Color::kBlack), colors(n), line_styles(n);
  // PLplot spreads a legend's markers from the start of its line: 3 mark start, middle and end.
  std::vector<PLINT> symbol_numbers(n, 3);
  std::vector<PLFLT> line_widths(n, kLineWidth), symbol_scales(n, kMarkerScale);
  for (size_t i = 0; i < n; ++i) {
    const Style style = style_of(i);
    text[i] = labels[i].c_str();
    symbols[i] = style.marker;
    opts[i] = PL_LEGEND_LINE | (marked[i] ? PL_LEGEND_SYMBOL : 0);
    colors[i] = style.color;
    line_styles[i] = style.line_style;
  }
  PLFLT legend_w = 0, legend_h = 0;
  pls.legend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, kOffset,
             kOffset, kSampleWidth, Color::kWhite, Color::kMidGrey, 1, 0, 0, static_cast<PLINT>(n),
             opts.data(), 1.0, 1.0, 2.0, 0.0, text_colors.data(), text.data(), nullptr, nullptr,
             nullptr, nullptr, colors.data(), line_styles.data(), line_widths.data(), colors.data(),
             symbol_scales.data(), symbol_numbers.data(), symbols.data());
}

}  // namespace

void plot_lines(const std::string& png_path, const std::string& title, const std::string& x_label,
                const std::string& y_label, const std::vector<Series>& series,
                const PlotOptions& options) {
  check_options(options);
  std::vector<Curve> curves;
  size_t drawable = 0;
  for (const Series& s : series) {
    CNN_CHECK(s.x.size() == s.y.size(), "plot_lines: series '", s.label, "' has ", s.x.size(),
              " x values but ", s.y.size(), " y values");
    curves.push_back(curve_of(s, options.log_y));
    drawable += curves.back().points;
  }
  auto axis_units = [&](std::optional<double> v) -> std::optional<double> {
    return v && options.log_y ? std::optional(std::log10(*v)) : v;
  };
  const Range xr = axis_range(curves, false, {}, {}, 0.03, options.integer_x ? 1.0 : 0.5);
  const Range yr =
      axis_range(curves, true, axis_units(options.y_min), axis_units(options.y_max), 0.05, 0.5);
  const Ticks xt = linear_ticks(xr, std::max(3, options.width / 90), options.integer_x);
  const Ticks yt =
      options.log_y ? log_ticks(yr) : linear_ticks(yr, std::max(3, options.height / 65), false);

  // Text grows gently with the page; the margins fit the tick labels and the axis labels.
  const double text_px = std::clamp(
      14.0 * std::sqrt(std::min(options.width / 800.0, options.height / 600.0)), 10.0, 32.0);
  double widest_y = 0;
  for (const auto& l : yt.labels) widest_y = std::max(widest_y, text_width(l, text_px));
  const double y_label_at = widest_y / text_px + 2.1;  // in text heights from the axis
  const double last_x_half = xt.labels.empty() ? 0 : text_width(xt.labels.back(), text_px) / 2;

  PngCanvas canvas("plot_lines", png_path, options.width, options.height);
  plstream& pls = canvas.pls();
  canvas.viewport_px((y_label_at + 1.6) * text_px, std::max(1.5 * text_px, last_x_half + 6),
                     4.2 * text_px, 3.2 * text_px);
  pls.wind(xr.lo, xr.hi, yr.lo, yr.hi);
  canvas.text_height_px(text_px);

  // Grid first, so the curves and the frame lie over it.
  pls.col0(Color::kGridGrey);
  for (const double x : xt.at) pls.join(x, yr.lo, x, yr.hi);
  for (const double y : yt.at) pls.join(xr.lo, y, xr.hi, y);
  const std::vector<bool> marked = draw_curves(canvas, curves, text_px);

  pls.col0(Color::kBlack);
  // Over many decades PLplot's log ticks (one per decade, eight minor ones between) would
  // merge into a black bar: tick only where the labels are.
  const bool long_log = options.log_y && yr.span() > kMaxDecadesWithMinorTicks;
  pls.box("bcst", xt.step, xt.minor,
          !options.log_y ? "bcst"
          : long_log     ? "bct"
                         : "bcstl",
          !options.log_y ? yt.step
          : long_log     ? yt.step
                         : 0.0,
          0);
  for (size_t k = 0; k < xt.at.size(); ++k)
    pls.mtex("b", 1.4, (xt.at[k] - xr.lo) / xr.span(), 0.5, xt.labels[k].c_str());
  for (size_t k = 0; k < yt.at.size(); ++k)
    pls.mtex("lv", 0.6, (yt.at[k] - yr.lo) / yr.span(), 1.0, yt.labels[k].c_str());
  pls.mtex("b", 3.0, 0.5, 0.5, plplot_text(x_label).c_str());
  pls.mtex("l", y_label_at, 0.5, 0.5, plplot_text(y_label).c_str());
  if (drawable == 0) pls.ptex((xr.lo + xr.hi) / 2, (yr.lo + yr.hi) / 2, 1, 0, 0.5, "no data");
  if (options.legend != LegendPlace::none && !series.empty())
    draw_legend(canvas, series, curves, marked, options.legend, xr, yr, text_px);
  canvas.text_height_px(1.2 * text_px);
  pls.mtex("t", 1.2, 0.5, 0.5, plplot_text(title).c_str());
  canvas.finish();
}

}  // namespace cnn::plot
