// Parsing of flag values. Each parser fails with INVALID_ARGUMENT and a message that names the accepted forms.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/format.h"
#include "pumptrack/v1/auth.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/inventory_service.pb.h"

namespace pumptrack::cli {

// "infusing", "idle", "alarm" or "off", in any case.
absl::StatusOr<v1::OperatingState> ParseOperatingState(absl::string_view text);

// "viewer", "transport", "asset_manager" (or "asset-manager"), "auditor", "admin" or "technician", in any case.
absl::StatusOr<v1::Role> ParseRole(absl::string_view text);

// An agent id as the service accepts it: 1-64 characters from [A-Za-z0-9._:-].
absl::Status CheckAgentId(absl::string_view agent_id);

// "table", "json" or "csv", in any case.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// A finite duration above zero: Go-style ("90s", "1h30m", "250ms"), whole days ("7d"), or bare seconds ("30").
absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view text);

// A whole number of at least 1, e.g. for --limit.
absl::StatusOr<std::size_t> ParsePositiveCount(absl::string_view text);

// An RFC 3339 time with an offset: "2026-11-29T10:02:11Z", "2026-11-29T11:02:11.5+01:00".
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// Exactly one of an asset tag or a serial number (the other empty).
absl::StatusOr<v1::DeviceKey> MakeDeviceKey(absl::string_view asset_tag, absl::string_view serial_number);

}  // namespace pumptrack::cli
