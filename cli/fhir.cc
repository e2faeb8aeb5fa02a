#include "cli/fhir.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/enum_words.h"
#include "cli/format.h"
#include "cli/json.h"
#include "google/protobuf/struct.pb.h"

namespace pumptrack::cli {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

Value Text(absl::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  return value;
}

Value Object(Struct fields) {
  Value value;
  *value.mutable_struct_value() = std::move(fields);
  return value;
}

void Set(Struct& object, const std::string& key, Value value) { (*object.mutable_fields())[key] = std::move(value); }

void SetText(Struct& object, const std::string& key, absl::string_view text) {
  if (!text.empty()) Set(object, key, Text(text));
}

void Append(Struct& object, const std::string& key, Value value) {
  *(*object.mutable_fields())[key].mutable_list_value()->add_values() = std::move(value);
}

// {system, value}
Value Identifier(absl::string_view system, absl::string_view id) {
  Struct identifier;
  SetText(identifier, "system", system);
  SetText(identifier, "value", id);
  return Object(std::move(identifier));
}

// Device.version: {type: MDC code, component?, value}.
Value Version(absl::string_view code, absl::string_view display, absl::string_view value, absl::string_view component) {
  Struct coding;
  SetText(coding, "system", kMdcSystem);
  SetText(coding, "code", code);
  SetText(coding, "display", display);
  Struct type;
  Append(type, "coding", Object(std::move(coding)));
  Struct version;
  Set(version, "type", Object(std::move(type)));
  if (!component.empty()) Set(version, "component", Identifier(kComponentSystem, component));
  SetText(version, "value", value);
  return Object(std::move(version));
}

void AddVersions(const v1::Observation& observation, Struct& device) {
  if (!observation.firmware_version().empty()) {
    Append(device, "version", Version(kMdcFirmwareCode, "MDC_ID_PROD_SPEC_FW", observation.firmware_version(), ""));
  }
  for (const v1::Component& part : observation.components()) {
    std::vector<std::string> name;
    for (const std::string& word : {part.kind(), part.position(), part.serial_number()}) {
      if (!word.empty()) name.push_back(word);
    }
    const std::string component = absl::StrJoin(name, "/");
    if (!part.hardware_version().empty()) {
      Append(device, "version", Version(kMdcHardwareCode, "MDC_ID_PROD_SPEC_HW", part.hardware_version(), component));
    }
    if (!part.software_version().empty()) {
      Append(device, "version", Version(kMdcSoftwareCode, "MDC_ID_PROD_SPEC_SW", part.software_version(), component));
    }
    if (!part.firmware_version().empty()) {
      Append(device, "version", Version(kMdcFirmwareCode, "MDC_ID_PROD_SPEC_FW", part.firmware_version(), component));
    }
  }
}

// FHIR R4 Device.status: available and in transit are in use; the rest are out of service.
absl::string_view DeviceStatus(v1::CustodyState state) {
  switch (state) {
    case v1::CUSTODY_STATE_QUARANTINED:
    case v1::CUSTODY_STATE_IN_MAINTENANCE:
    case v1::CUSTODY_STATE_RETIRED:
      return "inactive";
    default:
      return "active";
  }
}

void AddFindings(const std::vector<v1::Finding>& findings, Struct& device) {
  for (const v1::Finding& finding : findings) {
    const std::string summary = absl::StrCat(FindingKindName(finding.kind()), ": ", finding.reason());
    Struct safety;
    SetText(safety, "text", summary);
    Append(device, "safety", Object(std::move(safety)));
    Struct note;
    SetText(note, "text",
            absl::StrCat("Open critical finding ", finding.id(), " (", finding.rule(), "): ", finding.reason()));
    if (IsSet(finding.first_seen_at())) SetText(note, "time", FormatRfc3339OrEmpty(finding.first_seen_at()));
    Append(device, "note", Object(std::move(note)));
  }
}

Struct DeviceResource(const v1::Device& pump, const std::vector<v1::Finding>& findings,
                      const FhirExportOptions& options) {
  const v1::DeviceIdentity& identity = pump.identity();
  Struct device;
  SetText(device, "resourceType", "Device");
  SetText(device, "id", FhirId(identity.asset_tag()));
  Append(device, "identifier", Identifier(options.asset_tag_system, identity.asset_tag()));
  SetText(device, "status", DeviceStatus(pump.custody().state()));
  const v1::CustodyState custody = pump.custody().state();
  if (custody != v1::CUSTODY_STATE_UNSPECIFIED && custody != v1::CUSTODY_STATE_AVAILABLE) {
    Struct reason;
    SetText(reason, "text", CustodyStateName(custody));
    Append(device, "statusReason", Object(std::move(reason)));
  }
  SetText(device, "manufacturer", identity.manufacturer());
  SetText(device, "serialNumber", identity.serial_number());
  SetText(device, "modelNumber", identity.model());
  if (!identity.model().empty()) {
    Struct name;
    SetText(name, "name", identity.model());
    SetText(name, "type", "model-name");
    Append(device, "deviceName", Object(std::move(name)));
  }
  AddVersions(pump.last_observation(), device);
  const std::string where = FormatLocationPath(pump.last_observation().location());
  if (!where.empty()) {
    Struct location;
    SetText(location, "display", where);
    Set(device, "location", Object(std::move(location)));
  }
  AddFindings(findings, device);
  return device;
}

}  // namespace

std::string FhirId(absl::string_view asset_tag) {
  std::string id(asset_tag.substr(0, 64));
  for (char& c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  return id;
}

absl::StatusOr<std::string> FhirDeviceBundle(std::span<const v1::Device> devices,
                                             const std::map<std::string, std::vector<v1::Finding>>& critical_findings,
                                             const FhirExportOptions& options) {
  static const std::vector<v1::Finding> kNone;
  Struct bundle;
  SetText(bundle, "resourceType", "Bundle");
  SetText(bundle, "type", "collection");
  SetText(bundle, "timestamp", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", options.now, absl::UTCTimeZone()));
  // An empty fleet is a Bundle without entries (FHIR forbids an empty array).
  for (const v1::Device& device : devices) {
    const auto found = critical_findings.find(device.identity().asset_tag());
    Struct entry;
    SetText(entry, "fullUrl", absl::StrCat("urn:pumptrack:device:", FhirId(device.identity().asset_tag())));
    Set(entry, "resource",
        Object(DeviceResource(device, found == critical_findings.end() ? kNone : found->second, options)));
    Append(bundle, "entry", Object(std::move(entry)));
  }
  return ToJson(bundle);
}

}  // namespace pumptrack::cli
