// A plain-text table for terminal output.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace pumptrack::cli {

// A header row and rows of cells, printed left-aligned with columns separated by two spaces and no trailing spaces.
// Cells are passed through Printable, so text from the server cannot break the layout or drive the terminal.
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

// "Key: value" lines with the values aligned, e.g. for `devices get`. Values are passed through Printable.
class DetailBlock {
 public:
  void Add(std::string key, std::string value);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

// `text` with control characters made visible: "\n", "\r", "\t", "\x1b" and the like for ASCII controls and DEL,
// "\u0085" for the C1 controls U+0080-U+009F. Everything else, including other UTF-8, is kept.
std::string Printable(absl::string_view text);

// How many terminal columns `text` takes: its number of UTF-8 code points (so "5-Süd" is 5, not 6).
std::size_t DisplayWidth(absl::string_view text);

}  // namespace pumptrack::cli
