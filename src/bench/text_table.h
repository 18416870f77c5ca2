// An aligned text table: text columns flush left, number columns flush right, an optional
// row of group titles centred over spans of columns, a rule under the header.
#pragma once

#include <string>
#include <vector>

namespace cnn::bench {

class TextTable {
 public:
  struct Column {
    std::string title;
    bool numeric = true;  // right-aligned
  };
  struct Group {
    std::string title;  // empty: no title over these columns
    int span = 1;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Titles over spans of columns, printed above the column titles; spans must add up to the
  // number of columns.
  void set_groups(std::vector<Group> groups) { groups_ = std::move(groups); }
  // One row of cells, one per column (missing cells print empty).
  void add_row(std::vector<std::string> cells) { rows_.push_back({std::move(cells), false}); }
  // A line of text on its own (a sub-heading), not aligned to the columns.
  void add_heading(std::string text) { rows_.push_back({{std::move(text)}, true}); }
  std::string str() const;

 private:
  struct Row {
    std::vector<std::string> cells;
    bool heading;
  };
  std::vector<Column> columns_;
  std::vector<Group> groups_;
  std::vector<Row> rows_;
};

}  // namespace cnn::bench
