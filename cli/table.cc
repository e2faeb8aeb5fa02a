#include "cli/table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pumptrack::cli {

namespace {

constexpr char kColumnGap[] = "  ";

bool IsAsciiControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// The second byte of a UTF-8 encoded C1 control (U+0080-U+009F is 0xC2 0x80-0x9F).
bool IsC1ControlAt(absl::string_view text, std::size_t i) {
  return static_cast<unsigned char>(text[i]) == 0xC2 && i + 1 < text.size() &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80 && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
}

}  // namespace

std::string Printable(absl::string_view text) {
  std::string printable;
  printable.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (IsC1ControlAt(text, i)) {
      absl::StrAppend(&printable, absl::StrFormat("\\u%04x", static_cast<unsigned char>(text[++i])));
    } else if (!IsAsciiControl(c)) {
      printable.push_back(text[i]);
    } else if (c == '\n') {
      printable.append("\\n");
    } else if (c == '\r') {
      printable.append("\\r");
    } else if (c == '\t') {
      printable.append("\\t");
    } else {
      absl::StrAppend(&printable, absl::StrFormat("\\x%02x", c));
    }
  }
  return printable;
}

std::size_t DisplayWidth(absl::string_view text) {
  // UTF-8 continuation bytes look like 0b10xxxxxx; every other byte starts a code point.
  return std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = Printable(cell);
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

void DetailBlock::Add(std::string key, std::string value) { lines_.emplace_back(std::move(key), Printable(value)); }

void DetailBlock::Print(std::ostream& out) const {
  std::size_t key_width = 0;
  for (const auto& [key, value] : lines_) key_width = std::max(key_width, DisplayWidth(key));
  for (const auto& [key, value] : lines_) {
    out << key << ':' << std::string(key_width - DisplayWidth(key) + 2, ' ') << value << '\n';
  }
}

}  // namespace pumptrack::cli
