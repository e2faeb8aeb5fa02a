#include "cli/table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"

namespace pumptrack::cli {

namespace {
constexpr char kColumnGap[] = "  ";
}  // namespace

std::size_t DisplayWidth(absl::string_view text) {
  // UTF-8 continuation bytes look like 0b10xxxxxx; every other byte starts a code point.
  return std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::Print(std::ostream& out) const {
  const std::vector<std::size_t> widths = ColumnWidths();
  PrintRow(headers_, widths, out);
  for (const std::vector<std::string>& row : rows_) PrintRow(row, widths, out);
}

std::vector<std::size_t> TextTable::ColumnWidths() const {
  std::vector<std::size_t> widths;
  for (const std::string& header : headers_) widths.push_back(DisplayWidth(header));
  for (const std::vector<std::string>& row : rows_) {
    for (std::size_t column = 0; column < row.size(); ++column) {
      widths[column] = std::max(widths[column], DisplayWidth(row[column]));
    }
  }
  return widths;
}

void TextTable::PrintRow(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                         std::ostream& out) {
  std::string line;
  for (std::size_t column = 0; column < cells.size(); ++column) {
    if (column > 0) line.append(kColumnGap);
    line.append(cells[column]);
    line.append(widths[column] - DisplayWidth(cells[column]), ' ');
  }
  out << absl::StripTrailingAsciiWhitespace(line) << '\n';
}

}  // namespace pumptrack::cli
