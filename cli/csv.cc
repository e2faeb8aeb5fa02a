#include "cli/csv.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace pumptrack::cli {

std::string QuoteCsvField(absl::string_view value) {
  if (value.find_first_of("\",\r\n") == absl::string_view::npos) return std::string(value);
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

std::string FormatCsvRecord(std::span<const std::string> fields) {
  std::string record;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) record += ',';
    record += QuoteCsvField(fields[i]);
  }
  record += "\r\n";
  return record;
}

}  // namespace pumptrack::cli
