#include "cli/format.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/custody_format.h"
#include "cli/finding_format.h"
#include "cli/table.h"
#include "google/protobuf/util/time_util.h"

namespace pumptrack::cli {

namespace {

constexpr absl::string_view kUnknown = "unknown";
constexpr absl::string_view kNone = "none";

std::string OrNone(absl::string_view text) { return text.empty() ? std::string(kNone) : std::string(text); }
std::string YesNo(bool value) { return value ? "yes" : "no"; }
std::string EnabledDisabled(bool value) { return value ? "enabled" : "disabled"; }

std::string FormatConfidence(float confidence) { return absl::StrFormat("%.2f", confidence); }

// "RTLS, confidence 0.95"
std::string FormatLocationQuality(const v1::Location& location) {
  return absl::StrCat(LocationSourceName(location.source()), ", confidence ", FormatConfidence(location.confidence()));
}

// "adult-icu 2026.11.2"
std::string FormatDrugLibraryVersion(const v1::DrugLibrary& library) {
  std::vector<absl::string_view> parts;
  if (!library.name().empty()) parts.push_back(library.name());
  if (!library.version().empty()) parts.push_back(library.version());
  return OrNone(absl::StrJoin(parts, " "));
}

// "adult-icu 2026.11.2, published 2026-11-01 00:00:00Z, sha256:…"
std::string FormatDrugLibrary(const v1::DrugLibrary& library) {
  std::string text = FormatDrugLibraryVersion(library);
  if (IsSet(library.published_at())) {
    absl::StrAppend(&text, ", published ", FormatTimestamp(ToAbslTime(library.published_at())));
  }
  if (!library.digest().empty()) absl::StrAppend(&text, ", ", library.digest());
  return text;
}

// "ssh:22, usb-debug"
std::string FormatOpenServices(const google::protobuf::RepeatedPtrField<v1::OpenService>& services) {
  std::vector<std::string> names;
  for (const v1::OpenService& service : services) {
    names.push_back(service.port() == 0 ? std::string(ServiceKindName(service.kind()))
                                        : absl::StrCat(ServiceKindName(service.kind()), ":", service.port()));
  }
  return OrNone(absl::StrJoin(names, ", "));
}

// "S-1234 intact"; "none" when neither the seal id nor its state is known.
std::string FormatSeal(absl::string_view seal_id, v1::SealState state) {
  std::vector<absl::string_view> parts;
  if (!seal_id.empty()) parts.push_back(seal_id);
  if (state != v1::SEAL_STATE_UNSPECIFIED) parts.push_back(SealStateName(state));
  return OrNone(absl::StrJoin(parts, " "));
}

// "87% on mains, health 91%, 312 cycles"
std::string FormatBattery(const v1::Observation& observation) {
  if (!observation.has_physical()) return std::string(kUnknown);
  const v1::Physical& physical = observation.physical();
  std::vector<std::string> parts;
  if (physical.has_battery_percent()) parts.push_back(absl::StrCat(physical.battery_percent(), "%"));
  if (physical.power_source() != v1::POWER_SOURCE_UNSPECIFIED) {
    parts.push_back(absl::StrCat("on ", PowerSourceName(physical.power_source())));
  }
  std::string charge = absl::StrJoin(parts, " ");
  std::vector<std::string> details;
  if (!charge.empty()) details.push_back(std::move(charge));
  if (physical.has_battery_health_percent()) {
    details.push_back(absl::StrCat("health ", physical.battery_health_percent(), "%"));
  }
  if (physical.has_battery_cycle_count()) details.push_back(absl::StrCat(physical.battery_cycle_count(), " cycles"));
  return details.empty() ? std::string(kUnknown) : absl::StrJoin(details, ", ");
}

// "gw-5west-01 (version 0.1.0)"
std::string FormatAgent(const v1::AgentInfo& agent) {
  if (agent.agent_version().empty()) return OrDash(agent.agent_id());
  return absl::StrCat(OrDash(agent.agent_id()), " (version ", agent.agent_version(), ")");
}

// "1.5s", "-250ms"; "0s" rather than absl's bare "0".
std::string FormatClockOffset(const google::protobuf::Duration& offset) {
  const absl::Duration duration = ToAbslDuration(offset);
  return duration == absl::ZeroDuration() ? "0s" : absl::FormatDuration(duration);
}

std::string FormatLastSeen(const google::protobuf::Timestamp& last_seen, absl::Time now) {
  return IsSet(last_seen) ? FormatRelativeAge(ToAbslTime(last_seen), now) : "never";
}

void AddIdentity(const v1::Device& device, DetailBlock& block) {
  const v1::DeviceIdentity& identity = device.identity();
  block.Add("Asset tag", OrDash(identity.asset_tag()));
  block.Add("Serial number", OrDash(identity.serial_number()));
  block.Add("Manufacturer", OrDash(identity.manufacturer()));
  block.Add("Model", OrDash(identity.model()));
}

void AddLocation(const v1::Device& device, absl::Time now, DetailBlock& block) {
  const v1::Location& location = device.last_observation().location();
  block.Add("Location", OrDash(FormatLocationPath(location)));
  block.Add("Location source", FormatLocationQuality(location));
  block.Add("At location since", FormatTimeAndAge(device.location_since(), now));
}

// The pump's home unit and the risk from its open findings.
void AddHomeAndRisk(const v1::Device& device, DetailBlock& block) {
  block.Add("Home unit", FormatHome(device));
  block.Add("Risk score", absl::StrCat(device.risk_score(), " of 100"));
  block.Add("Open findings", absl::StrCat(device.open_findings()));
}

void AddSoftware(const v1::Observation& observation, DetailBlock& block) {
  block.Add("Firmware", OrDash(observation.firmware_version()));
  block.Add("Drug library", FormatDrugLibrary(observation.drug_library()));
  block.Add("Config digest", OrDash(observation.configuration().digest()));
}

void AddSecurity(const v1::SecurityPosture& security, absl::Time now, DetailBlock& block) {
  block.Add("Default credentials", YesNo(security.default_credentials()));
  block.Add("Credentials changed", FormatTimeAndAge(security.credentials_changed_at(), now));
  block.Add("Open services", FormatOpenServices(security.open_services()));
  block.Add("Wi-Fi security", std::string(WifiSecurityName(security.wifi_security())));
  block.Add("Remote access", EnabledDisabled(security.remote_access_enabled()));
  block.Add("Clock offset", FormatClockOffset(security.clock_offset()));
}

void AddPhysical(const v1::Observation& observation, DetailBlock& block) {
  const v1::Physical& physical = observation.physical();
  block.Add("Seal", FormatSeal(physical.seal_id(), physical.seal_state()));
  block.Add("Case", std::string(CaseStateName(physical.case_state())));
  block.Add("Battery", FormatBattery(observation));
  block.Add("Operating state", std::string(OperatingStateName(observation.operating_state())));
}

void AddBookkeeping(const v1::Device& device, absl::Time now, DetailBlock& block) {
  block.Add("Last agent", FormatAgent(device.last_agent()));
  block.Add("Last seen", FormatTimeAndAge(device.last_seen_at(), now));
  block.Add("First seen", FormatTimeAndAge(device.first_seen_at(), now));
  block.Add("Accepted reports", absl::StrCat(device.accepted_reports()));
}

std::string Transition(absl::string_view what, absl::string_view before, absl::string_view after) {
  return absl::StrCat(what, " ", before, " -> ", after);
}

std::string DescribeSecurityChange(const v1::DeviceSnapshot& before, const v1::DeviceSnapshot& after) {
  std::vector<std::string> changes;
  if (before.default_credentials() != after.default_credentials()) {
    changes.push_back(
        Transition("default credentials", YesNo(before.default_credentials()), YesNo(after.default_credentials())));
  }
  if (before.wifi_security() != after.wifi_security()) {
    changes.push_back(
        Transition("Wi-Fi", WifiSecurityName(before.wifi_security()), WifiSecurityName(after.wifi_security())));
  }
  if (before.remote_access_enabled() != after.remote_access_enabled()) {
    changes.push_back(Transition("remote access", EnabledDisabled(before.remote_access_enabled()),
                                 EnabledDisabled(after.remote_access_enabled())));
  }
  if (before.open_services() != after.open_services()) {
    changes.push_back(
        Transition("open services", absl::StrCat(before.open_services()), absl::StrCat(after.open_services())));
  }
  if (changes.empty()) return "security changed";
  return absl::StrCat("security: ", absl::StrJoin(changes, ", "));
}

// Seal id, seal state and case sensor: only what changed.
std::string DescribeSealChange(const v1::DeviceSnapshot& before, const v1::DeviceSnapshot& after) {
  std::vector<std::string> changes;
  if (before.seal_id() != after.seal_id() || before.seal_state() != after.seal_state()) {
    changes.push_back(Transition("seal", FormatSeal(before.seal_id(), before.seal_state()),
                                 FormatSeal(after.seal_id(), after.seal_state())));
  }
  if (before.case_state() != after.case_state()) {
    changes.push_back(Transition("case", CaseStateName(before.case_state()), CaseStateName(after.case_state())));
  }
  if (changes.empty()) return "seal changed";
  return absl::StrJoin(changes, ", ");
}

std::string DescribeChange(v1::ChangeKind kind, const v1::HistoryEntry& entry) {
  const v1::DeviceSnapshot& before = entry.before();
  const v1::DeviceSnapshot& after = entry.after();
  switch (kind) {
    case v1::CHANGE_KIND_FIRST_SEEN: {
      const std::string where = FormatShortLocation(after.location());
      return where == "-" ? "first seen" : absl::StrCat("first seen at ", where);
    }
    case v1::CHANGE_KIND_LOCATION:
      return Transition("location", FormatShortLocation(before.location()), FormatShortLocation(after.location()));
    case v1::CHANGE_KIND_FIRMWARE:
      return Transition("firmware", OrNone(before.firmware_version()), OrNone(after.firmware_version()));
    case v1::CHANGE_KIND_DRUG_LIBRARY:
      return Transition("drug library", FormatDrugLibraryVersion(before.drug_library()),
                        FormatDrugLibraryVersion(after.drug_library()));
    case v1::CHANGE_KIND_CONFIGURATION:
      return Transition("configuration", OrNone(before.configuration_digest()), OrNone(after.configuration_digest()));
    case v1::CHANGE_KIND_SECURITY:
      return DescribeSecurityChange(before, after);
    case v1::CHANGE_KIND_SEAL:
      return DescribeSealChange(before, after);
    case v1::CHANGE_KIND_REPORTING_AGENT:
      return Transition("reporting agent", OrNone(entry.previous_agent_id()), OrNone(entry.agent_id()));
    default:
      return absl::StrCat(ChangeKindName(kind), " change");
  }
}

}  // namespace

bool IsSet(const google::protobuf::Timestamp& timestamp) { return timestamp.seconds() != 0 || timestamp.nanos() != 0; }

absl::Time ToAbslTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

absl::Duration ToAbslDuration(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

google::protobuf::Duration ToProtoDuration(absl::Duration duration) {
  return google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(duration));
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string FormatAge(absl::Duration age) {
  age = absl::AbsDuration(age);
  if (age < absl::Minutes(1)) return absl::StrCat(absl::ToInt64Seconds(age), "s");
  if (age < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(age), "m");
  if (age < absl::Hours(24)) return absl::StrCat(absl::ToInt64Hours(age), "h");
  return absl::StrCat(absl::ToInt64Hours(age) / 24, "d");
}

std::string FormatRelativeAge(absl::Time then, absl::Time now) {
  const absl::Duration age = now - then;
  if (absl::AbsDuration(age) < absl::Seconds(1)) return "just now";
  if (age > absl::ZeroDuration()) return absl::StrCat(FormatAge(age), " ago");
  return absl::StrCat("in ", FormatAge(age));
}

std::string FormatRfc3339OrEmpty(const google::protobuf::Timestamp& timestamp) {
  return IsSet(timestamp) ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ToAbslTime(timestamp), absl::UTCTimeZone()) : "";
}

std::string FormatTimeOrDash(const google::protobuf::Timestamp& timestamp) {
  return IsSet(timestamp) ? FormatTimestamp(ToAbslTime(timestamp)) : "-";
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : std::string(text); }

std::string FormatTimeAndAge(const google::protobuf::Timestamp& timestamp, absl::Time now) {
  if (!IsSet(timestamp)) return std::string(kUnknown);
  const absl::Time time = ToAbslTime(timestamp);
  return absl::StrCat(FormatTimestamp(time), " (", FormatRelativeAge(time, now), ")");
}

std::string FormatLocationPath(const v1::Location& location) {
  std::vector<std::string> levels;
  for (const std::string* level : {&location.facility(), &location.building(), &location.floor(), &location.unit()}) {
    if (!level->empty()) levels.push_back(*level);
  }
  if (!location.room().empty()) levels.push_back(absl::StrCat("room ", location.room()));
  return absl::StrJoin(levels, " / ");
}

std::string FormatShortLocation(const v1::Location& location) {
  std::vector<absl::string_view> levels;
  for (const std::string* level : {&location.facility(), &location.unit(), &location.room()}) {
    if (!level->empty()) levels.push_back(*level);
  }
  return OrDash(absl::StrJoin(levels, "/"));
}

std::string DescribeDevice(const v1::DeviceKey& key) {
  switch (key.key_case()) {
    case v1::DeviceKey::kAssetTag:
      return absl::StrCat("device ", key.asset_tag());
    case v1::DeviceKey::kSerialNumber:
      return absl::StrCat("device with serial ", key.serial_number());
    default:
      return "device";
  }
}

void PrintDeviceTable(std::span<const v1::Device> devices, absl::Time now, std::ostream& out) {
  TextTable table({"TAG", "SERIAL", "MODEL", "FIRMWARE", "FACILITY/UNIT/ROOM", "STATE", "LAST SEEN"});
  for (const v1::Device& device : devices) {
    const v1::Observation& observation = device.last_observation();
    table.AddRow({
        OrDash(device.identity().asset_tag()),
        OrDash(device.identity().serial_number()),
        OrDash(device.identity().model()),
        OrDash(observation.firmware_version()),
        FormatShortLocation(observation.location()),
        std::string(OperatingStateName(observation.operating_state())),
        FormatLastSeen(device.last_seen_at(), now),
    });
  }
  table.Print(out);
}

void PrintDeviceDetails(const v1::Device& device, absl::Time now, std::ostream& out) {
  const v1::Observation& observation = device.last_observation();
  DetailBlock block;
  AddIdentity(device, block);
  AddLocation(device, now, block);
  AddHomeAndRisk(device, block);
  AddCustodyDetails(device.custody(), now, block);
  AddSoftware(observation, block);
  AddSecurity(observation.security(), now, block);
  AddPhysical(observation, block);
  AddBookkeeping(device, now, block);
  block.Print(out);
}

std::string FormatLocateLine(const v1::LocateResponse& located, absl::Time now) {
  const std::string tag = OrDash(located.identity().asset_tag());
  const std::string last_seen = absl::StrCat("last seen ", FormatLastSeen(located.last_seen_at(), now));
  const std::string path = FormatLocationPath(located.location());
  if (located.location().left_known_places()) {
    return absl::StrCat(tag, " has left every known place (", last_seen, ")");
  }
  if (path.empty()) return absl::StrCat(tag, " has no known location (", last_seen, ")");

  std::string line = absl::StrCat(tag, " is in ", path);
  if (IsSet(located.since())) absl::StrAppend(&line, " since ", FormatTimeAndAge(located.since(), now));
  absl::StrAppend(&line, ", ", FormatLocationQuality(located.location()), ", ", last_seen);
  return line;
}

std::string DescribeChanges(const v1::HistoryEntry& entry) {
  std::vector<std::string> descriptions;
  for (int kind : entry.changes()) {
    descriptions.push_back(DescribeChange(static_cast<v1::ChangeKind>(kind), entry));
  }
  return OrDash(absl::StrJoin(descriptions, "; "));
}

void PrintHistoryTable(std::span<const v1::HistoryEntry> entries, std::ostream& out) {
  TextTable table({"OBSERVED AT", "SEQ", "AGENT", "CHANGES"});
  for (const v1::HistoryEntry& entry : entries) {
    table.AddRow({
        IsSet(entry.observed_at()) ? FormatTimestamp(ToAbslTime(entry.observed_at())) : "-",
        absl::StrCat(entry.sequence()),
        OrDash(entry.agent_id()),
        DescribeChanges(entry),
    });
  }
  table.Print(out);
}

}  // namespace pumptrack::cli
