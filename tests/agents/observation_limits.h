// The limits pumptrack/v1/device.proto documents for an Observation, as a test helper: every problem found, as text.
#ifndef PUMPTRACK_TESTS_AGENTS_OBSERVATION_LIMITS_H_
#define PUMPTRACK_TESTS_AGENTS_OBSERVATION_LIMITS_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents::testing {

inline bool IsTagChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Problems with `o` against the proto's documented limits, checked as the service would at `now`. Empty when valid.
inline std::vector<std::string> ObservationProblems(const pumptrack::v1::Observation& o, absl::Time now) {
  std::vector<std::string> problems;
  auto check = [&problems](bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  };
  auto at_most = [&check](const std::string& value, size_t limit, const std::string& field) {
    check(value.size() <= limit, field + " longer than " + std::to_string(limit));
  };

  const std::string& tag = o.identity().asset_tag();
  check(!tag.empty() && tag.size() <= 64, "asset_tag length");
  for (char c : tag) check(IsTagChar(c), "asset_tag character");
  const std::string& serial = o.identity().serial_number();
  check(!serial.empty() && serial.size() <= 64, "serial_number length");
  for (char c : serial) check(c >= 0x20 && c < 0x7f, "serial_number not printable");
  at_most(o.identity().manufacturer(), 64, "manufacturer");
  at_most(o.identity().model(), 64, "model");

  check(o.has_observed_at(), "observed_at missing");
  const absl::Time observed =
      absl::FromUnixSeconds(o.observed_at().seconds()) + absl::Nanoseconds(o.observed_at().nanos());
  check(observed >= absl::FromCivil(absl::CivilDay(2000, 1, 1), absl::UTCTimeZone()), "observed_at before 2000");
  check(observed <= now + absl::Minutes(5), "observed_at in the future");
  check(o.sequence() >= 1, "sequence below 1");

  const pumptrack::v1::Location& location = o.location();
  at_most(location.facility(), 64, "facility");
  at_most(location.building(), 64, "building");
  at_most(location.floor(), 64, "floor");
  at_most(location.unit(), 64, "unit");
  at_most(location.room(), 64, "room");
  check(pumptrack::v1::LocationSource_IsValid(location.source()), "location source");
  check(std::isfinite(location.confidence()) && location.confidence() >= 0.0f && location.confidence() <= 1.0f,
        "confidence outside [0, 1]");

  at_most(o.firmware_version(), 64, "firmware_version");
  at_most(o.drug_library().name(), 128, "drug_library.name");
  at_most(o.drug_library().version(), 64, "drug_library.version");
  at_most(o.drug_library().digest(), 128, "drug_library.digest");

  check(o.configuration().settings_size() <= 256, "more than 256 settings");
  for (const auto& [key, value] : o.configuration().settings()) {
    at_most(key, 128, "setting key");
    at_most(value, 256, "setting value");
  }
  at_most(o.configuration().digest(), 128, "configuration.digest");

  const pumptrack::v1::SecurityPosture& security = o.security();
  check(security.open_services_size() <= 64, "more than 64 open services");
  for (const pumptrack::v1::OpenService& service : security.open_services()) {
    check(pumptrack::v1::ServiceKind_IsValid(service.kind()), "service kind");
    check(service.port() <= 65535, "service port");
  }
  check(pumptrack::v1::WifiSecurity_IsValid(security.wifi_security()), "wifi security");
  const int64_t ten_years = 10LL * 366 * 24 * 3600;
  check(security.clock_offset().seconds() >= -ten_years && security.clock_offset().seconds() <= ten_years,
        "clock offset beyond 10 years");
  check((security.clock_offset().seconds() >= 0 && security.clock_offset().nanos() >= 0) ||
            (security.clock_offset().seconds() <= 0 && security.clock_offset().nanos() <= 0),
        "clock offset seconds and nanos differ in sign");

  const pumptrack::v1::Physical& physical = o.physical();
  at_most(physical.seal_id(), 64, "seal_id");
  check(physical.battery_percent() <= 100, "battery above 100");
  check(physical.battery_health_percent() <= 100, "battery health above 100");
  check(physical.battery_cycle_count() <= 100000, "battery cycle count above 100000");
  check(pumptrack::v1::SealState_IsValid(physical.seal_state()), "seal state");
  check(pumptrack::v1::CaseState_IsValid(physical.case_state()), "case state");
  check(pumptrack::v1::PowerSource_IsValid(physical.power_source()), "power source");
  check(pumptrack::v1::OperatingState_IsValid(o.operating_state()), "operating state");
  return problems;
}

}  // namespace pumptrack::agents::testing

#endif  // PUMPTRACK_TESTS_AGENTS_OBSERVATION_LIMITS_H_
