// Human-readable rendering of pumptrack.v1 messages: times, ages, names, tables and detail blocks.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/enum_words.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/inventory_service.pb.h"

namespace pumptrack::cli {

// How command results are printed.
enum class OutputFormat {
  kTable,  // aligned columns and key: value blocks, for people
  kJson,   // protobuf JSON (camelCase names, default values included); lists are JSON arrays
  kCsv,    // list commands only: RFC 4180 CSV with a header row (cli/csv.h; columns in docs/EXPORTS.md)
};

// --- Times -----------------------------------------------------------------------------------------------------------

// A Timestamp at the Unix epoch (the proto default) counts as unset: valid pumptrack times are after 2000-01-01.
bool IsSet(const google::protobuf::Timestamp& timestamp);
absl::Time ToAbslTime(const google::protobuf::Timestamp& timestamp);
absl::Duration ToAbslDuration(const google::protobuf::Duration& duration);
google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);
google::protobuf::Duration ToProtoDuration(absl::Duration duration);

// UTC, whole seconds: "2026-11-29 10:02:11Z".
std::string FormatTimestamp(absl::Time time);

// The largest whole unit of a duration's magnitude: "12s", "3m", "5h", "4d".
std::string FormatAge(absl::Duration age);

// "12s ago" for a past time, "in 5s" for a future one (clock skew), "just now" within a second.
std::string FormatRelativeAge(absl::Time then, absl::Time now);

// RFC 3339 UTC with whole seconds, "2026-11-29T10:02:11Z"; empty when unset (for CSV cells).
std::string FormatRfc3339OrEmpty(const google::protobuf::Timestamp& timestamp);

// FormatTimestamp, or "-" when unset.
std::string FormatTimeOrDash(const google::protobuf::Timestamp& timestamp);

// "2026-11-29 10:02:11Z (3m ago)", or "unknown" when unset.
std::string FormatTimeAndAge(const google::protobuf::Timestamp& timestamp, absl::Time now);

// Enum values in people's words: cli/enum_words.h.

// `text`, or "-" when it is empty (for table cells and detail values).
std::string OrDash(absl::string_view text);

// --- Places and devices ----------------------------------------------------------------------------------------------

// Every known level, coarse to fine: "general / north / 3 / 5-west / room 512". Empty when nothing is known.
std::string FormatLocationPath(const v1::Location& location);

// Facility, unit and room for table cells: "general/5-west/512"; "-" when none is known.
std::string FormatShortLocation(const v1::Location& location);

// Names a device for messages: "device PT-00042" or "device with serial SN-1".
std::string DescribeDevice(const v1::DeviceKey& key);

// The `devices list` table: TAG, SERIAL, MODEL, FIRMWARE, FACILITY/UNIT/ROOM, STATE, LAST SEEN (relative to `now`).
void PrintDeviceTable(std::span<const v1::Device> devices, absl::Time now, std::ostream& out);

// The `devices get` block: one aligned "Key: value" line per fact, including the home unit, the risk score, the
// number of open findings and the custody (see AddCustodyDetails: the holder, destination and due time while in
// transit).
void PrintDeviceDetails(const v1::Device& device, absl::Time now, std::ostream& out);

// The `locate` line: "PT-00042 is in general / north / 3 / 5-west / room 512 since 2026-11-29 10:02:11Z (3m ago),
// RTLS, confidence 0.95, last seen 12s ago".
std::string FormatLocateLine(const v1::LocateResponse& located, absl::Time now);

// What one history entry changed, e.g. "location general/5-west/511 -> general/5-west/512; firmware 12.1.2 -> 12.1.3".
std::string DescribeChanges(const v1::HistoryEntry& entry);

// The `devices history` table: OBSERVED AT, SEQ, AGENT, CHANGES.
void PrintHistoryTable(std::span<const v1::HistoryEntry> entries, std::ostream& out);

}  // namespace pumptrack::cli
