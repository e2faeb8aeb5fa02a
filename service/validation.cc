#include "service/validation.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "advisories/csaf_parser.h"
#include "common/ids.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "storage/proto_time.h"

namespace pumptrack::service {
namespace {

constexpr int kMaxNameLength = 64;
constexpr int kMaxDigestLength = 128;
constexpr int kMaxSettings = 256;
constexpr int kMaxSettingKeyLength = 128;
constexpr int kMaxSettingValueLength = 256;
constexpr int kMaxOpenServices = 64;
constexpr std::uint32_t kMaxPort = 65535;
constexpr std::uint32_t kMaxBatteryPercent = 100;
constexpr std::uint32_t kMaxBatteryCycles = 100'000;
const absl::Time kEarliestObservation = absl::FromCivil(absl::CivilDay(2000, 1, 1), absl::UTCTimeZone());
constexpr absl::Duration kMaxClockOffset = absl::Hours(24 * 3653);

// Collects the first violation; later checks are skipped once one is found.
class Checker {
 public:
  explicit Checker(absl::string_view path) : path_(path) {}

  void Fail(absl::string_view field, absl::string_view reason) {
    if (!violation_) violation_ = FieldViolation{absl::StrCat(path_, ".", field), std::string(reason)};
  }

  // Optional text: valid UTF-8 without control characters, at most `max` bytes.
  void Text(absl::string_view field, absl::string_view value, int max) {
    if (static_cast<int>(value.size()) > max) {
      Fail(field, absl::StrCat("must be at most ", max, " bytes, got ", value.size()));
    } else if (!IsCleanText(value)) {
      Fail(field, "must be valid UTF-8 without control characters");
    }
  }

  void RequiredText(absl::string_view field, absl::string_view value, int max) {
    if (value.empty()) {
      Fail(field, "is required");
    } else {
      Text(field, value, max);
    }
  }

  void KnownEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
    if (!is_valid(value)) Fail(field, absl::StrCat("unknown enum value ", value));
  }

  void Timestamp(absl::string_view field, const google::protobuf::Timestamp& ts, absl::Time now) {
    absl::StatusOr<absl::Time> parsed = storage::ParseTimestamp(ts, field);
    if (!parsed.ok()) {
      Fail(field, "is not a valid timestamp");
      return;
    }
    const absl::Time t = *parsed;
    if (t < kEarliestObservation) {
      Fail(field, "is before 2000-01-01");
    } else if (t > now + kMaxClockSkew) {
      Fail(field, absl::StrCat("is ", absl::FormatDuration(t - now), " in the future (at most ",
                               absl::FormatDuration(kMaxClockSkew), " allowed)"));
    }
  }

  std::optional<FieldViolation> Result() && { return std::move(violation_); }

 private:
  std::string path_;
  std::optional<FieldViolation> violation_;
};

void CheckIdentity(Checker& c, const v1::DeviceIdentity& identity) {
  if (!IsValidAssetTag(identity.asset_tag())) c.Fail("identity.asset_tag", ids::kAssetTagRule);
  c.RequiredText("identity.serial_number", identity.serial_number(), kMaxNameLength);
  c.Text("identity.manufacturer", identity.manufacturer(), kMaxNameLength);
  c.Text("identity.model", identity.model(), kMaxNameLength);
}

void CheckLocation(Checker& c, const v1::Location& location) {
  c.Text("location.facility", location.facility(), kMaxNameLength);
  c.Text("location.building", location.building(), kMaxNameLength);
  c.Text("location.floor", location.floor(), kMaxNameLength);
  c.Text("location.unit", location.unit(), kMaxNameLength);
  c.Text("location.room", location.room(), kMaxNameLength);
  c.KnownEnum("location.source", location.source(), v1::LocationSource_IsValid);
  if (location.left_known_places() &&
      !(location.facility().empty() && location.building().empty() && location.floor().empty() &&
        location.unit().empty() && location.room().empty())) {
    c.Fail("location.left_known_places", "must not be set together with a facility, building, floor, unit or room");
  }
  const float confidence = location.confidence();
  if (!std::isfinite(confidence) || confidence < 0.0f || confidence > 1.0f) {
    c.Fail("location.confidence", "must be a finite number within [0, 1]");
  }
}

// Observation.components: at most 32, each with a kind from [a-z0-9._-] and its texts within 64 characters.
void CheckComponents(Checker& c, const v1::Observation& o) {
  if (o.components_size() > 32) c.Fail("components", "must hold at most 32 entries");
  for (int i = 0; i < o.components_size() && i < 32; ++i) {
    const v1::Component& component = o.components(i);
    const std::string field = absl::StrCat("components[", i, "]");
    const std::string& kind = component.kind();
    bool kind_ok = !kind.empty() && kind.size() <= kMaxNameLength;
    for (char ch : kind)
      kind_ok =
          kind_ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
    if (!kind_ok) c.Fail(absl::StrCat(field, ".kind"), "must be 1-64 characters from [a-z0-9._-]");
    c.Text(absl::StrCat(field, ".position"), component.position(), kMaxNameLength);
    c.Text(absl::StrCat(field, ".model"), component.model(), kMaxNameLength);
    c.Text(absl::StrCat(field, ".serial_number"), component.serial_number(), kMaxNameLength);
    c.Text(absl::StrCat(field, ".hardware_version"), component.hardware_version(), kMaxNameLength);
    c.Text(absl::StrCat(field, ".software_version"), component.software_version(), kMaxNameLength);
    c.Text(absl::StrCat(field, ".firmware_version"), component.firmware_version(), kMaxNameLength);
  }
}

void CheckSoftware(Checker& c, const v1::Observation& o, absl::Time now) {
  c.Text("firmware_version", o.firmware_version(), kMaxNameLength);
  const v1::DrugLibrary& library = o.drug_library();
  c.Text("drug_library.name", library.name(), 128);
  c.Text("drug_library.version", library.version(), kMaxNameLength);
  c.Text("drug_library.digest", library.digest(), kMaxDigestLength);
  if (library.has_published_at()) c.Timestamp("drug_library.published_at", library.published_at(), now);
  const v1::Configuration& configuration = o.configuration();
  c.Text("configuration.digest", configuration.digest(), kMaxDigestLength);
  if (configuration.settings_size() > kMaxSettings) {
    c.Fail("configuration.settings", absl::StrCat("must have at most ", kMaxSettings, " entries"));
  }
  for (const auto& [key, value] : configuration.settings()) {
    c.RequiredText("configuration.settings.key", key, kMaxSettingKeyLength);
    c.Text(absl::StrCat("configuration.settings[", key.substr(0, kMaxSettingKeyLength), "]"), value,
           kMaxSettingValueLength);
  }
}

void CheckSecurity(Checker& c, const v1::SecurityPosture& security, absl::Time now) {
  if (security.has_credentials_changed_at()) {
    c.Timestamp("security.credentials_changed_at", security.credentials_changed_at(), now);
  }
  if (security.open_services_size() > kMaxOpenServices) {
    c.Fail("security.open_services", absl::StrCat("must have at most ", kMaxOpenServices, " entries"));
  }
  for (int i = 0; i < security.open_services_size(); ++i) {
    const v1::OpenService& service = security.open_services(i);
    const std::string field = absl::StrCat("security.open_services[", i, "]");
    c.KnownEnum(absl::StrCat(field, ".kind"), service.kind(), v1::ServiceKind_IsValid);
    if (service.port() > kMaxPort) c.Fail(absl::StrCat(field, ".port"), "must be at most 65535");
  }
  c.KnownEnum("security.wifi_security", security.wifi_security(), v1::WifiSecurity_IsValid);
  if (security.has_clock_offset()) {
    const google::protobuf::Duration& offset = security.clock_offset();
    const bool well_formed =
        offset.nanos() > -1'000'000'000 && offset.nanos() < 1'000'000'000 &&
        (offset.seconds() == 0 || offset.nanos() == 0 || (offset.seconds() > 0) == (offset.nanos() > 0));
    const absl::Duration value = absl::Seconds(offset.seconds()) + absl::Nanoseconds(offset.nanos());
    if (!well_formed || absl::AbsDuration(value) > kMaxClockOffset) {
      c.Fail("security.clock_offset", "must be a valid duration within ±10 years");
    }
  }
}

void CheckPhysical(Checker& c, const v1::Physical& physical) {
  c.Text("physical.seal_id", physical.seal_id(), kMaxNameLength);
  c.KnownEnum("physical.seal_state", physical.seal_state(), v1::SealState_IsValid);
  c.KnownEnum("physical.case_state", physical.case_state(), v1::CaseState_IsValid);
  c.KnownEnum("physical.power_source", physical.power_source(), v1::PowerSource_IsValid);
  if (physical.battery_percent() > kMaxBatteryPercent) {
    c.Fail("physical.battery_percent", "must be within 0-100");
  }
  if (physical.battery_health_percent() > kMaxBatteryPercent) {
    c.Fail("physical.battery_health_percent", "must be within 0-100");
  }
  if (physical.battery_cycle_count() > kMaxBatteryCycles) {
    c.Fail("physical.battery_cycle_count", "must be within 0-100000");
  }
}

}  // namespace

bool IsCleanText(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      if (lead < 0x20 || lead == 0x7f) return false;
      ++i;
      continue;
    }
    int continuation = 0;
    std::uint32_t code_point = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
      continuation = 1;
      code_point = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      code_point = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(continuation) >= size) return false;
    for (int k = 1; k <= continuation; ++k) {
      const unsigned char next = bytes[i + k];
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    if ((continuation == 2 && code_point < 0x800) || (continuation == 3 && code_point < 0x10000) ||
        (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff ||
        (code_point >= 0x80 && code_point <= 0x9f)) {
      return false;
    }
    i += 1 + continuation;
  }
  return true;
}

absl::Status ToStatus(const FieldViolation& violation) {
  return absl::InvalidArgumentError(absl::StrCat(violation.field, ": ", violation.reason));
}

bool IsValidAssetTag(absl::string_view value) { return ids::IsValidAssetTag(value); }

std::optional<FieldViolation> ValidateObservation(const v1::Observation& observation, absl::Time now,
                                                  absl::string_view path) {
  Checker c(path);
  if (!observation.has_identity()) c.Fail("identity", "is required");
  CheckIdentity(c, observation.identity());
  if (!observation.has_observed_at()) {
    c.Fail("observed_at", "is required");
  } else {
    c.Timestamp("observed_at", observation.observed_at(), now);
  }
  if (observation.sequence() == 0) {
    c.Fail("sequence", "must be at least 1");
  } else if (observation.sequence() > kMaxSequence) {
    c.Fail("sequence", absl::StrCat("must be at most 2^53 (", kMaxSequence, "), got ", observation.sequence()));
  }
  CheckLocation(c, observation.location());
  CheckSoftware(c, observation, now);
  CheckSecurity(c, observation.security(), now);
  CheckPhysical(c, observation.physical());
  c.KnownEnum("operating_state", observation.operating_state(), v1::OperatingState_IsValid);
  CheckComponents(c, observation);
  return std::move(c).Result();
}

std::optional<FieldViolation> ValidateAgentInfo(const v1::AgentInfo& agent, absl::string_view path) {
  Checker c(path);
  if (!ids::IsValidAgentId(agent.agent_id())) c.Fail("agent_id", ids::kAgentIdRule);
  c.Text("agent_version", agent.agent_version(), kMaxNameLength);
  return std::move(c).Result();
}

void DropUnknownFields(google::protobuf::Message& message) {
  // Message::DiscardUnknownFields does the same walk but reads every map through reflection's repeated-field view:
  // that converts a parsed map into entry messages and leaves the map to be rebuilt at its next generated access (the
  // writer's serialisation), about 3 us per observation with the configuration's settings.
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  if (!reflection.GetUnknownFields(message).empty()) reflection.MutableUnknownFields(&message)->Clear();
  const google::protobuf::Descriptor& descriptor = *message.GetDescriptor();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    // A parsed map entry keeps only its key and value: a map of scalars holds no unknown field. (A map of messages
    // would be walked through the repeated-field view below; the protocol has none.)
    if (field->is_map() && field->message_type()->map_value()->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (field->is_repeated()) {
      for (int j = 0; j < reflection.FieldSize(message, field); ++j) {
        DropUnknownFields(*reflection.MutableRepeatedMessage(&message, field, j));
      }
    } else if (reflection.HasField(message, field)) {
      DropUnknownFields(*reflection.MutableMessage(&message, field));
    }
  }
}

std::optional<FieldViolation> ValidateTrackingId(absl::string_view tracking_id) {
  if (tracking_id.empty()) return FieldViolation{"tracking_id", "is required"};
  if (tracking_id.size() > kMaxTrackingIdBytes || !IsCleanText(tracking_id)) {
    return FieldViolation{"tracking_id", absl::StrCat("must be 1-", kMaxTrackingIdBytes, " printable characters")};
  }
  return std::nullopt;
}

std::optional<FieldViolation> ValidateAdvisoryFile(const v1::AdvisoryFile& file, absl::string_view path) {
  if (file.file_name().empty()) return FieldViolation{absl::StrCat(path, ".file_name"), "is required"};
  if (file.file_name().size() > kMaxAdvisoryFileNameBytes || !IsCleanText(file.file_name()) ||
      absl::StrContains(file.file_name(), '/')) {
    return FieldViolation{
        absl::StrCat(path, ".file_name"),
        absl::StrCat("must be a base name of 1-", kMaxAdvisoryFileNameBytes, " printable characters without '/'")};
  }
  if (file.content().empty()) return FieldViolation{absl::StrCat(path, ".content"), "is empty"};
  if (file.content().size() > advisories::kMaxCsafBytes) {
    return FieldViolation{absl::StrCat(path, ".content"),
                          absl::StrCat(file.content().size(), " bytes, more than the limit of ",
                                       advisories::kMaxCsafBytes, " bytes (16 MiB)")};
  }
  if (file.sha512_sidecar().empty()) {
    return FieldViolation{absl::StrCat(path, ".sha512_sidecar"), "is required (the file's .sha512 sum)"};
  }
  if (file.sha512_sidecar().size() > kMaxSha512SidecarBytes) {
    return FieldViolation{absl::StrCat(path, ".sha512_sidecar"),
                          absl::StrCat("is longer than ", kMaxSha512SidecarBytes, " bytes")};
  }
  return std::nullopt;
}

}  // namespace pumptrack::service
