// CSV output (--output=csv) as RFC 4180 describes it: one header row, then one record per item, fields separated by
// commas, records ended by CRLF. A field that holds a double quote, a comma, a CR or an LF is enclosed in double quotes
// with each double quote doubled; every other field is written as it is. Values are exact (no Printable escaping):
// CSV is for files and spreadsheets, and quoting keeps line breaks inside a field.
#pragma once

#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pumptrack::cli {

// One field, quoted when RFC 4180 requires it: `a"b` -> `"a""b"`, `a,b` -> `"a,b"`, `a` -> `a`.
std::string QuoteCsvField(absl::string_view value);

// One record: the fields quoted as QuoteCsvField does, joined by commas, ended by CRLF.
std::string FormatCsvRecord(std::span<const std::string> fields);

// One column of a list command's CSV: its header and how to read its value from an item.
template <typename Item>
struct CsvColumn {
  std::string header;
  std::function<std::string(const Item&)> value;
};

// Prints the header row and one record per item, in the columns' order. With no items, prints the header only.
template <typename Item>
void PrintCsv(std::span<const CsvColumn<Item>> columns, std::span<const Item> items, std::ostream& out) {
  std::vector<std::string> fields;
  fields.reserve(columns.size());
  for (const CsvColumn<Item>& column : columns) fields.push_back(column.header);
  out << FormatCsvRecord(fields);
  for (const Item& item : items) {
    fields.clear();
    for (const CsvColumn<Item>& column : columns) fields.push_back(column.value(item));
    out << FormatCsvRecord(fields);
  }
}

}  // namespace pumptrack::cli
