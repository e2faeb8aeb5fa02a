#ifndef PUMPTRACK_TESTS_RULES_RULES_TEST_UTIL_H_
#define PUMPTRACK_TESTS_RULES_RULES_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/device.pb.h"
#include "rules/checks.h"
#include "rules/policy.h"

namespace pumptrack::rules::testing {

// A small policy: facility "general" with units 5-west (med-surg) and icu-1 (adult-icu), exit zone biomed/dock-exit,
// and one model, "Infusia 500".
inline constexpr char kPolicyText[] = R"pb(
  revision: "test"
  site {
    facilities { id: "general" name: "General" }
    buildings { id: "north" facility: "general" }
    units { id: "5-west" facility: "general" building: "north" floor: "5" care_area: "med-surg" par_level: 4 }
    units { id: "icu-1" facility: "general" building: "north" floor: "1" care_area: "adult-icu" }
    units { id: "biomed" facility: "general" building: "north" floor: "1" exit_zones: "dock-exit" }
  }
  models {
    manufacturer: "Acme Medical"
    model: "Infusia 500"
    firmware { allowed: "12.1.3" allowed: "12.2.0" minimum: "12.0.0" blocked: "11.9.9" }
    vulnerable_firmware { advisory: "ICSMA-99-001" fixed: "12.1.0" severity: SEVERITY_CRITICAL summary: "telnet root" }
    drug_libraries {
      care_area: "med-surg"
      name: "med-surg"
      version: "2026.11.1"
      digest: "sha256:lib"
      max_age { seconds: 7776000 }
    }
    approved_configuration_digests: "sha256:cfg"
    required_settings { key: "wifi.eap" value: "tls" }
    forbidden_services: SERVICE_KIND_TELNET
    minimum_wifi_security: WIFI_SECURITY_WPA2_ENTERPRISE
    credential_rotation { seconds: 31536000 }
    max_clock_drift { seconds: 300 }
  }
  missing {
    default_after { seconds: 1800 }
    thresholds {
      operating_state: OPERATING_STATE_OFF
      after { seconds: 86400 }
    }
  }
)pb";

inline const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 12, 5, 12, 0, 0), absl::UTCTimeZone());

inline std::shared_ptr<const CompiledPolicy> TestPolicy() {
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(kPolicyText);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// A compliant Infusia 500 at home in 5-west, reported by agent gw-1 with sequence 10.
inline v1::Device CompliantDevice() {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-1");
  device.mutable_identity()->set_serial_number("AM5-1");
  device.mutable_identity()->set_model("Infusia 500");
  device.set_home_facility("general");
  device.set_home_unit("5-west");
  device.mutable_last_agent()->set_agent_id("gw-1");
  v1::Observation& o = *device.mutable_last_observation();
  *o.mutable_identity() = device.identity();
  o.set_sequence(10);
  *o.mutable_observed_at() = Ts(kNow);
  o.mutable_location()->set_facility("general");
  o.mutable_location()->set_unit("5-west");
  o.mutable_location()->set_room("5-west-501");
  o.set_firmware_version("12.1.3");
  o.mutable_drug_library()->set_name("med-surg");
  o.mutable_drug_library()->set_version("2026.11.1");
  o.mutable_drug_library()->set_digest("sha256:lib");
  *o.mutable_drug_library()->mutable_published_at() = Ts(kNow - absl::Hours(24 * 30));
  o.mutable_configuration()->set_digest("sha256:cfg");
  (*o.mutable_configuration()->mutable_settings())["wifi.eap"] = "tls";
  o.mutable_security()->set_wifi_security(v1::WIFI_SECURITY_WPA2_ENTERPRISE);
  *o.mutable_security()->mutable_credentials_changed_at() = Ts(kNow - absl::Hours(24 * 100));
  o.mutable_security()->mutable_clock_offset()->set_seconds(2);
  o.mutable_physical()->set_seal_id("S-1");
  o.mutable_physical()->set_seal_state(v1::SEAL_STATE_INTACT);
  o.mutable_physical()->set_case_state(v1::CASE_STATE_CLOSED);
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  return device;
}

inline std::vector<std::string> Rules(const std::vector<Violation>& violations) {
  std::vector<std::string> rules;
  for (const Violation& v : violations) rules.push_back(v.rule);
  return rules;
}

inline std::vector<std::string> Evaluated(const v1::Device& device, const v1::Device* previous = nullptr) {
  return Rules(Evaluate(*TestPolicy(), {.device = &device, .previous = previous, .now = kNow}));
}

}  // namespace pumptrack::rules::testing

#endif  // PUMPTRACK_TESTS_RULES_RULES_TEST_UTIL_H_
