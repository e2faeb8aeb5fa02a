// Reading a CMMS export for `pumptrack maintenance import`: RFC 4180 CSV (quoted fields with "" escapes and line
// breaks, CRLF or LF, an optional UTF-8 byte order mark), a header row naming the columns, one maintenance record per
// row. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/maintenance.pb.h"

namespace pumptrack::cli {

// Rows per import: the service's limit per ImportMaintenance call (maintenance.proto).
inline constexpr std::size_t kMaxImportRows = 20000;
// Largest file read.
inline constexpr std::size_t kMaxImportFileBytes = 64u << 20;

// The header names of each field (matched case-insensitively, surrounding spaces ignored). asset_tag, kind and
// performed_at must be present; the others are optional.
struct CsvColumns {
  std::string asset_tag = "asset_tag";
  std::string kind = "kind";
  std::string performed_at = "performed_at";
  std::string performed_by = "performed_by";
  std::string notes = "notes";
  std::string next_due = "next_due";
  // The serial number of the component the work was on; empty = the pump itself.
  std::string component_serial = "component_serial";
};

// One CSV record: its fields, and the file line it starts on (1 = the header).
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

// Splits `text` into records (RFC 4180). INVALID_ARGUMENT "line N: ..." for a quote that is never closed or text
// after a closing quote. A trailing line break does not make an empty record; blank lines are skipped. Only the first
// `keep` records are returned; `count`, when set, receives how many there are in all.
absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text, std::size_t keep = SIZE_MAX,
                                                std::size_t* count = nullptr);

// "pm", "repair", "inspection", "battery_replacement" (or "battery-replacement", "battery replacement"), any case.
absl::StatusOr<v1::MaintenanceKind> ParseMaintenanceKind(absl::string_view text);

// A date "2026-12-01" (midnight in `zone`) or an RFC 3339 time "2026-12-01T14:30:00Z".
absl::StatusOr<absl::Time> ParseMaintenanceTime(absl::string_view text, const absl::TimeZone& zone);

struct ImportRow {
  int line = 0;
  v1::RecordMaintenanceRequest request;
};

struct BadRow {
  int line = 0;
  std::string reason;
};

struct ImportFile {
  std::vector<ImportRow> rows;
  // Rows that cannot be recorded: an empty tag, an unknown kind, a date that does not parse or lies after `now`, a
  // next_due not after performed_at, a row with too many or too few fields, or a duplicate of an earlier row (same
  // tag, kind and time). In file order.
  std::vector<BadRow> bad;
};

// Reads a whole export. INVALID_ARGUMENT for what spoils the whole file: not CSV (see ParseCsv), no header, a
// required column missing from the header (naming it and the header names found), or more than kMaxImportRows rows.
absl::StatusOr<ImportFile> ReadMaintenanceCsv(absl::string_view text, const CsvColumns& columns,
                                              const absl::TimeZone& zone, absl::Time now);

}  // namespace pumptrack::cli
