#include "cli/flags.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/ids.h"

namespace pumptrack::cli {

namespace {

// Days are not part of absl::ParseDuration's syntax but are how people speak of history ("the last 7d").
bool ParseWholeDays(absl::string_view text, absl::Duration* duration) {
  int64_t days = 0;
  if (!absl::ConsumeSuffix(&text, "d") || !absl::SimpleAtoi(text, &days)) return false;
  *duration = absl::Hours(24) * days;
  return true;
}

bool ParseBareSeconds(absl::string_view text, absl::Duration* duration) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(text, &seconds)) return false;
  *duration = absl::Seconds(seconds);
  return true;
}

}  // namespace

absl::StatusOr<v1::OperatingState> ParseOperatingState(absl::string_view text) {
  const std::string name = absl::AsciiStrToLower(text);
  if (name == "infusing") return v1::OPERATING_STATE_INFUSING;
  if (name == "idle") return v1::OPERATING_STATE_IDLE;
  if (name == "alarm") return v1::OPERATING_STATE_ALARM;
  if (name == "off") return v1::OPERATING_STATE_OFF;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not an operating state; expected infusing, idle, alarm or off"));
}

absl::StatusOr<v1::Role> ParseRole(absl::string_view text) { return ids::ParseRole(text); }

absl::Status CheckAgentId(absl::string_view agent_id) { return ids::CheckAgentId("AGENT_ID", agent_id); }

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  const std::string name = absl::AsciiStrToLower(text);
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an output format; expected table, json or csv"));
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view text) {
  absl::Duration duration;
  const bool parsed =
      ParseWholeDays(text, &duration) || ParseBareSeconds(text, &duration) || absl::ParseDuration(text, &duration);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a duration; expected e.g. 30s, 15m, 1h30m or 7d"));
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("duration '", text, "' must be finite and above zero"));
  }
  return duration;
}

absl::StatusOr<std::size_t> ParsePositiveCount(absl::string_view text) {
  std::size_t count = 0;
  if (!absl::SimpleAtoi(text, &count) || count == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a whole number of at least 1"));
  }
  return count;
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an RFC 3339 time; expected e.g. 2026-11-29T10:02:11Z"));
  }
  return time;
}

absl::StatusOr<v1::DeviceKey> MakeDeviceKey(absl::string_view asset_tag, absl::string_view serial_number) {
  if (asset_tag.empty() && serial_number.empty()) {
    return absl::InvalidArgumentError("name the device by its asset tag (TAG) or by --serial");
  }
  if (!asset_tag.empty() && !serial_number.empty()) {
    return absl::InvalidArgumentError("name the device by its asset tag (TAG) or by --serial, not both");
  }
  v1::DeviceKey key;
  if (!asset_tag.empty()) {
    key.set_asset_tag(std::string(asset_tag));
  } else {
    key.set_serial_number(std::string(serial_number));
  }
  return key;
}

}  // namespace pumptrack::cli
