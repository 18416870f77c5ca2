#include "bench/text_table.h"

#include <algorithm>
#include <sstream>

#include "cnn/error.h"

namespace cnn::bench {
namespace {

constexpr size_t kGap = 2;  // spaces between columns

std::string trimmed_right(std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

std::string TextTable::str() const {
  const size_t n = columns_.size();
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c) width[c] = columns_[c].title.size();
  for (const Row& row : rows_)
    if (!row.heading)
      for (size_t c = 0; c < std::min(n, row.cells.size()); ++c)
        width[c] = std::max(width[c], row.cells[c].size());
  // A group title wider than its columns widens them evenly.
  size_t first = 0;
  for (const Group& g : groups_) {
    CNN_CHECK(g.span >= 1 && first + static_cast<size_t>(g.span) <= n, "TextTable: group '",
              g.title, "' spans past the last column");
    const size_t last = first + static_cast<size_t>(g.span) - 1;
    size_t span_width = (last - first) * kGap;
    for (size_t c = first; c <= last; ++c) span_width += width[c];
    for (size_t extra = g.title.size() > span_width ? g.title.size() - span_width : 0, c = first;
         extra > 0; --extra, c = c == last ? first : c + 1)
      ++width[c];
    first = last + 1;
  }

  auto cells_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < n; ++c) {
      const std::string empty;
      const std::string& cell = c < cells.size() ? cells[c] : empty;
      const size_t pad = width[c] - std::min(width[c], cell.size());
      if (c > 0) line.append(kGap, ' ');
      if (columns_[c].numeric) line.append(pad, ' ');
      line.append(cell);
      if (!columns_[c].numeric) line.append(pad, ' ');
    }
    return trimmed_right(line);
  };

  std::ostringstream out;
  size_t total = (n - 1) * kGap;
  for (size_t w : width) total += w;
  if (!groups_.empty()) {
    std::string line;
    size_t column = 0;
    for (const Group& g : groups_) {
      size_t span_width = (static_cast<size_t>(g.span) - 1) * kGap;
      for (int i = 0; i < g.span; ++i) span_width += width[column + static_cast<size_t>(i)];
      const size_t left = (span_width - g.title.size()) / 2;
      if (column > 0) line.append(kGap, ' ');
      line.append(left, ' ');
      line.append(g.title);
      line.append(span_width - left - g.title.size(), ' ');
      column += static_cast<size_t>(g.span);
    }
    out << trimmed_right(line) << '\n';
  }
  std::vector<std::string> titles;
  for (const Column& c : columns_) titles.push_back(c.title);
  out << cells_line(titles) << '\n' << std::string(total, '-') << '\n';
  for (const Row& row : rows_)
    out << (row.heading ? row.cells.front() : cells_line(row.cells)) << '\n';
  return out.str();
}

}  // namespace cnn::bench
