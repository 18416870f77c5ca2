// A PLplot page that becomes a PNG file: what the line plots and the confusion matrix share.
//
// PngCanvas renders with the "pngcairo" device into a temporary file beside the target and,
// on finish(), renames it into place (after checking it is a PNG and syncing it), so a kill
// at any moment leaves the old picture or the new one. The folder is probed by creating that
// temporary file before PLplot opens it: PLplot answers an unwritable path by retrying,
// printing to stderr and calling exit(), which a library must never let happen.
#pragma once

#include <plplot/plstream.h>

#include <memory>
#include <mutex>
#include <string>

#include "io/temporary_files.h"

namespace cnn::plot::detail {

// Colour map 0 of every canvas: fixed roles, then kSeriesColors distinct line colours.
enum Color : PLINT { kWhite = 0, kBlack = 1, kGridGrey = 2, kMidGrey = 3, kFirstSeriesColor = 4 };
inline constexpr int kSeriesColors = 10;

class PngCanvas {
 public:
  // `op` names the calling function in error messages. Text heights are given in pixels.
  PngCanvas(const char* op, const std::string& png_path, int width_px, int height_px);
  ~PngCanvas();
  PngCanvas(const PngCanvas&) = delete;
  PngCanvas& operator=(const PngCanvas&) = delete;

  plstream& pls() { return *pls_; }
  int width_px() const { return width_px_; }
  int height_px() const { return height_px_; }

  // Sets the text height for what follows (PLplot measures it in mm).
  void text_height_px(double px);
  double mm(double px) const { return px / px_per_mm_; }

  // Places the plot area by its pixel margins from the page edges.
  void viewport_px(double left, double right, double bottom, double top);

  // Ends the page and moves the finished PNG to the target path.
  void finish();

 private:
  const char* op_;
  std::string path_, tmp_path_;
  std::unique_lock<std::mutex> lock_;  // PLplot's state is global: one canvas at a time
  std::unique_ptr<plstream> pls_;
  int width_px_, height_px_;
  double px_per_mm_ = 1.0;
  bool finished_ = false;
  std::unique_ptr<io::TemporaryFile> registered_;  // while tmp_path_ may exist
};

// Estimated width in pixels of `text` at a text height of `text_px`: PLplot cannot measure
// text before drawing it. 0.62 text heights is an average character of DejaVu Sans (the
// "sans" of pngcairo); a UTF-8 character counts per byte, which errs on the wide side.
inline double text_width(const std::string& text, double text_px) {
  return static_cast<double>(text.size()) * 0.62 * text_px;
}

// `text` made literal for PLplot, whose text escape character is '#'.
std::string plplot_text(const std::string& text);

}  // namespace cnn::plot::detail
