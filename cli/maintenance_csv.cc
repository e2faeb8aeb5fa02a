#include "cli/maintenance_csv.h"

#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"

namespace pumptrack::cli {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const absl::Duration since = t - absl::UnixEpoch();
  out.set_seconds(absl::ToInt64Seconds(since));
  out.set_nanos(static_cast<int>(absl::ToInt64Nanoseconds(since - absl::Seconds(out.seconds()))));
  return out;
}

std::string Normalize(absl::string_view name) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name)); }

}  // namespace

absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text, std::size_t keep, std::size_t* count) {
  std::size_t total = 0;
  absl::ConsumePrefix(&text, kBom);
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  int line = 1;
  current.line = 1;
  bool in_quotes = false;
  bool after_quote = false;  // the field's closing quote was read
  bool field_started = false;
  const auto end_field = [&] {
    current.fields.push_back(std::move(field));
    field.clear();
    after_quote = false;
    field_started = false;
  };
  const auto end_record = [&] {
    end_field();
    const bool blank = current.fields.size() == 1 && current.fields[0].empty();
    if (!blank) {
      if (++total <= keep) records.push_back(std::move(current));
    }
    current = CsvRecord();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      end_field();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      ++line;
      current.line = line;
    } else if (after_quote) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line, ": text after a closing quote"));
    } else if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (in_quotes) return absl::InvalidArgumentError(absl::StrCat("line ", current.line, ": a quote is never closed"));
  if (field_started || !current.fields.empty()) end_record();
  if (count != nullptr) *count = total;
  return records;
}

absl::StatusOr<v1::MaintenanceKind> ParseMaintenanceKind(absl::string_view text) {
  const std::string word = absl::StrReplaceAll(Normalize(text), {{"-", "_"}, {" ", "_"}});
  if (word == "pm") return v1::MAINTENANCE_KIND_PM;
  if (word == "repair") return v1::MAINTENANCE_KIND_REPAIR;
  if (word == "inspection") return v1::MAINTENANCE_KIND_INSPECTION;
  if (word == "battery_replacement") return v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a maintenance kind; expected pm, repair, inspection or battery_replacement"));
}

absl::StatusOr<absl::Time> ParseMaintenanceTime(absl::string_view text, const absl::TimeZone& zone) {
  const std::string value(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string error;
  if (value.size() == 10 && absl::ParseTime("%Y-%m-%d", value, zone, &t, &error)) return t;
  if (absl::ParseTime(absl::RFC3339_full, value, &t, &error)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a date (2026-12-01) or an RFC 3339 time (2026-12-01T14:30:00Z)"));
}

absl::StatusOr<ImportFile> ReadMaintenanceCsv(absl::string_view text, const CsvColumns& columns,
                                              const absl::TimeZone& zone, absl::Time now) {
  if (text.size() > kMaxImportFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the file is ", text.size(), " bytes; at most ", kMaxImportFileBytes, " (split it)"));
  }
  std::size_t total = 0;
  auto parsed = ParseCsv(text, kMaxImportRows + 1, &total);
  if (!parsed.ok()) return parsed.status();
  std::vector<CsvRecord>& records = *parsed;
  if (records.empty()) return absl::InvalidArgumentError("the file is empty; expected a header row");
  if (total - 1 > kMaxImportRows) {
    return absl::InvalidArgumentError(absl::StrCat("the file has ", total - 1, " rows; an import takes at most ",
                                                   kMaxImportRows, " (split the file); nothing was imported"));
  }
  absl::flat_hash_map<std::string, std::size_t> header;
  std::string found;
  for (std::size_t i = 0; i < records[0].fields.size(); ++i) {
    header.emplace(Normalize(records[0].fields[i]), i);
    absl::StrAppend(&found, i == 0 ? "" : ", ", "\"", records[0].fields[i], "\"");
  }
  const auto column = [&](const std::string& name, bool required) -> absl::StatusOr<std::optional<std::size_t>> {
    auto it = header.find(Normalize(name));
    if (it != header.end()) return it->second;
    if (!required) return std::nullopt;
    return absl::InvalidArgumentError(
        absl::StrCat("line 1: no column \"", name, "\" in the header (found ", found, ")"));
  };
  auto tag_col = column(columns.asset_tag, true);
  if (!tag_col.ok()) return tag_col.status();
  auto kind_col = column(columns.kind, true);
  if (!kind_col.ok()) return kind_col.status();
  auto performed_col = column(columns.performed_at, true);
  if (!performed_col.ok()) return performed_col.status();
  auto by_col = column(columns.performed_by, false);
  if (!by_col.ok()) return by_col.status();
  auto notes_col = column(columns.notes, false);
  if (!notes_col.ok()) return notes_col.status();
  auto next_col = column(columns.next_due, false);
  if (!next_col.ok()) return next_col.status();
  auto component_col = column(columns.component_serial, false);
  if (!component_col.ok()) return component_col.status();

  ImportFile file;
  absl::flat_hash_map<std::tuple<std::string, int, std::int64_t, std::string>, int> seen;
  const std::size_t width = records[0].fields.size();
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    const auto bad = [&](std::string reason) { file.bad.push_back({record.line, std::move(reason)}); };
    if (record.fields.size() != width) {
      bad(absl::StrCat(record.fields.size(), " fields; the header has ", width));
      continue;
    }
    const auto at = [&](const std::optional<std::size_t>& col) -> std::string {
      return col ? std::string(absl::StripAsciiWhitespace(record.fields[*col])) : std::string();
    };
    ImportRow row;
    row.line = record.line;
    const std::string tag = at(**tag_col);
    if (tag.empty()) {
      bad(absl::StrCat(columns.asset_tag, ": is empty"));
      continue;
    }
    row.request.set_asset_tag(tag);
    absl::StatusOr<v1::MaintenanceKind> kind = ParseMaintenanceKind(at(**kind_col));
    if (!kind.ok()) {
      bad(absl::StrCat(columns.kind, ": ", kind.status().message()));
      continue;
    }
    row.request.set_kind(*kind);
    absl::StatusOr<absl::Time> performed = ParseMaintenanceTime(at(**performed_col), zone);
    if (!performed.ok()) {
      bad(absl::StrCat(columns.performed_at, ": ", performed.status().message()));
      continue;
    }
    if (*performed > now) {
      bad(absl::StrCat(columns.performed_at, ": ", at(**performed_col), " is in the future"));
      continue;
    }
    *row.request.mutable_performed_at() = ToTimestamp(*performed);
    row.request.set_performed_by(at(*by_col));
    row.request.set_notes(at(*notes_col));
    row.request.set_component_serial(at(*component_col));
    if (const std::string next = at(*next_col); !next.empty()) {
      absl::StatusOr<absl::Time> next_due = ParseMaintenanceTime(next, zone);
      if (!next_due.ok()) {
        bad(absl::StrCat(columns.next_due, ": ", next_due.status().message()));
        continue;
      }
      if (*next_due <= *performed) {
        bad(absl::StrCat(columns.next_due, ": must be after ", columns.performed_at));
        continue;
      }
      *row.request.mutable_next_due_override() = ToTimestamp(*next_due);
    }
    const auto key =
        std::make_tuple(tag, static_cast<int>(*kind), absl::ToUnixNanos(*performed), row.request.component_serial());
    if (auto [it, inserted] = seen.emplace(key, record.line); !inserted) {
      bad(absl::StrCat("duplicate of line ", it->second));
      continue;
    }
    file.rows.push_back(std::move(row));
  }
  return file;
}

}  // namespace pumptrack::cli
