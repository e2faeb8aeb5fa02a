// A plain-text table for terminal output.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pumptrack::cli {

// A header row and rows of cells, printed left-aligned with columns separated by two spaces and no trailing spaces.
// Not thread-safe.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);

  // Adds one row. A row with fewer cells than there are headers is padded with empty cells; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // Prints the header and then every row, one line each.
  void Print(std::ostream& out) const;

 private:
  std::vector<std::size_t> ColumnWidths() const;
  static void PrintRow(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                       std::ostream& out);

  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// How many terminal columns `text` takes: its number of UTF-8 code points (so "5-Süd" is 5, not 6).
std::size_t DisplayWidth(absl::string_view text);

}  // namespace pumptrack::cli
