// Each rule with a passing and a failing case. The compliant device is the passing case for every rule.
#include "rules/checks.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using ::pumptrack::rules::testing::CompliantDevice;
using ::pumptrack::rules::testing::Evaluated;
using ::pumptrack::rules::testing::kNow;
using ::pumptrack::rules::testing::Rules;
using ::pumptrack::rules::testing::TestPolicy;
using ::pumptrack::rules::testing::Ts;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

v1::Observation& Obs(v1::Device& device) { return *device.mutable_last_observation(); }

TEST(ChecksTest, CompliantDeviceHasNoViolations) {
  const v1::Device device = CompliantDevice();
  EXPECT_THAT(Evaluated(device), IsEmpty());
  EXPECT_THAT(Evaluated(device, &device), IsEmpty());
}

// Issue #14: a part no source has observed yet (no location, no firmware, no drug library, no configuration, no
// security posture, no physical) raises nothing; the stored state carries observed parts over, so "absent" here means
// "never observed".
TEST(ChecksTest, PartsNeverObservedRaiseNothing) {
  v1::Device device = CompliantDevice();
  Obs(device).clear_location();
  Obs(device).clear_firmware_version();
  Obs(device).clear_drug_library();
  Obs(device).clear_configuration();
  Obs(device).clear_security();
  Obs(device).clear_physical();
  Obs(device).clear_operating_state();
  EXPECT_THAT(Evaluated(device), IsEmpty());
  EXPECT_THAT(Evaluated(device, &device), IsEmpty());
  // An observed but empty configuration is still judged.
  Obs(device).mutable_configuration();
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("config.unapproved_digest", "config.setting.wifi.eap"));
}

TEST(ChecksTest, ExitZoneIsMissingAndUnauthorizedMove) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_location()->set_unit("biomed");
  Obs(device).mutable_location()->set_room("dock-exit");
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("missing.exit_zone", "move.exit_zone", "move.outside_home_unit"));
  std::vector<Violation> violations = Evaluate(*TestPolicy(), {.device = &device, .now = kNow});
  EXPECT_EQ(violations[0].kind, v1::FINDING_KIND_MISSING);
  EXPECT_EQ(violations[0].severity, v1::SEVERITY_CRITICAL);
  EXPECT_THAT(violations[0].reason, ::testing::HasSubstr("general/biomed/dock-exit"));
}

TEST(ChecksTest, OutsideHomeUnitAndFacility) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_location()->set_unit("icu-1");
  EXPECT_THAT(Evaluated(device), ElementsAre("move.outside_home_unit"));
  Obs(device).mutable_location()->set_facility("annex");
  EXPECT_THAT(Evaluated(device), ElementsAre("move.outside_home_facility"));
  device.clear_home_unit();  // no home yet: nothing to compare with
  EXPECT_THAT(Evaluated(device), IsEmpty());
}

TEST(ChecksTest, FirmwareRules) {
  v1::Device device = CompliantDevice();
  Obs(device).set_firmware_version("11.9.9");
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("firmware.blocked", "firmware.not_allowed",
                                                      "firmware.below_minimum", "firmware.vulnerable.icsma-99-001"));
  Obs(device).set_firmware_version("12.0.5");
  std::vector<Violation> violations = Evaluate(*TestPolicy(), {.device = &device, .now = kNow});
  ASSERT_THAT(Rules(violations), UnorderedElementsAre("firmware.not_allowed", "firmware.vulnerable.icsma-99-001"));
  for (const Violation& v : violations) {
    if (v.rule != "firmware.vulnerable.icsma-99-001") continue;
    EXPECT_EQ(v.evidence.advisory(), "ICSMA-99-001");
    EXPECT_EQ(v.severity, v1::SEVERITY_CRITICAL);
    EXPECT_THAT(v.reason, ::testing::HasSubstr("12.1.0"));
  }
  Obs(device).set_firmware_version("12.2.0");
  EXPECT_THAT(Evaluated(device), IsEmpty());
}

TEST(ChecksTest, FirmwareDowngradeNeedsThePreviousState) {
  const v1::Device before = CompliantDevice();
  v1::Device after = CompliantDevice();
  Obs(after).set_firmware_version("12.1.2");
  Obs(after).set_sequence(11);
  EXPECT_THAT(Evaluated(after, &before), Contains("firmware.downgraded"));
  EXPECT_THAT(Evaluated(after), Not(Contains("firmware.downgraded")));
  EXPECT_THAT(Evaluated(before, &after), Not(Contains("firmware.downgraded")));  // an upgrade
}

TEST(ChecksTest, UnknownModelOnlyUnderAPolicyWithModels) {
  v1::Device device = CompliantDevice();
  device.mutable_identity()->set_model("Mystery 9");
  EXPECT_THAT(Evaluated(device), ElementsAre("firmware.unknown_model"));
  EXPECT_THAT(Rules(Evaluate(*CompiledPolicy::Empty(), {.device = &device, .now = kNow})), IsEmpty());
}

TEST(ChecksTest, DrugLibraryRules) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_drug_library()->set_version("2026.08.1");
  EXPECT_THAT(Evaluated(device), ElementsAre("drug_library.unexpected"));

  device = CompliantDevice();
  Obs(device).mutable_drug_library()->set_digest("sha256:other");
  EXPECT_THAT(Evaluated(device), ElementsAre("drug_library.unapproved_digest"));
  const v1::Device before = CompliantDevice();
  EXPECT_THAT(Evaluated(device, &before),
              UnorderedElementsAre("drug_library.unapproved_digest", "drug_library.unpushed_change"));

  device = CompliantDevice();
  *Obs(device).mutable_drug_library()->mutable_published_at() = Ts(kNow - absl::Hours(24 * 91));
  EXPECT_THAT(Evaluated(device), ElementsAre("drug_library.stale"));
}

TEST(ChecksTest, DrugLibraryFollowsTheHomeCareAreaWhileBorrowed) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_location()->set_unit("icu-1");  // borrowed, still carrying its med-surg library
  EXPECT_THAT(Evaluated(device), ElementsAre("move.outside_home_unit"));
}

TEST(ChecksTest, ConfigurationRules) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_configuration()->set_digest("sha256:local-edit");
  (*Obs(device).mutable_configuration()->mutable_settings())["wifi.eap"] = "peap";
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("config.unapproved_digest", "config.setting.wifi.eap"));
  const v1::Device before = CompliantDevice();
  EXPECT_THAT(Evaluated(device, &before), Contains("config.unpushed_change"));

  device = CompliantDevice();
  Obs(device).mutable_configuration()->mutable_settings()->erase("wifi.eap");
  std::vector<Violation> violations = Evaluate(*TestPolicy(), {.device = &device, .now = kNow});
  ASSERT_THAT(Rules(violations), ElementsAre("config.setting.wifi.eap"));
  EXPECT_EQ(violations[0].evidence.seen(), "<unset>");
  EXPECT_EQ(violations[0].evidence.expected(), "tls");
}

TEST(ChecksTest, SecurityRules) {
  v1::Device device = CompliantDevice();
  v1::SecurityPosture& security = *Obs(device).mutable_security();
  security.set_default_credentials(true);
  *security.mutable_credentials_changed_at() = Ts(kNow - absl::Hours(24 * 400));
  v1::OpenService* telnet = security.add_open_services();
  telnet->set_kind(v1::SERVICE_KIND_TELNET);
  telnet->set_port(23);
  security.add_open_services()->set_kind(v1::SERVICE_KIND_HTTPS_ADMIN);  // not forbidden
  security.set_wifi_security(v1::WIFI_SECURITY_WPA2_PSK);
  security.set_remote_access_enabled(true);
  security.mutable_clock_offset()->set_seconds(-600);
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("security.default_credentials", "security.credentials_stale",
                                                      "security.forbidden_service.telnet", "security.wifi_weak",
                                                      "security.remote_access", "security.clock_drift"));
}

TEST(ChecksTest, NoWirelessPassesTheWifiMinimum) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_security()->set_wifi_security(v1::WIFI_SECURITY_NONE);
  EXPECT_THAT(Evaluated(device), IsEmpty());
}

TEST(ChecksTest, TamperRules) {
  v1::Device device = CompliantDevice();
  Obs(device).mutable_physical()->set_seal_state(v1::SEAL_STATE_BROKEN);
  Obs(device).mutable_physical()->set_case_state(v1::CASE_STATE_OPENED);
  EXPECT_THAT(Evaluated(device), UnorderedElementsAre("tamper.seal_broken", "tamper.case_opened"));
  Obs(device).mutable_physical()->set_seal_state(v1::SEAL_STATE_MISSING);
  Obs(device).mutable_physical()->set_case_state(v1::CASE_STATE_NO_SENSOR);
  EXPECT_THAT(Evaluated(device), ElementsAre("tamper.seal_missing"));
}

TEST(ChecksTest, SealChangeAndSequenceGapCompareWithThePreviousReport) {
  const v1::Device before = CompliantDevice();
  v1::Device after = CompliantDevice();
  Obs(after).mutable_physical()->set_seal_id("S-2");
  Obs(after).set_sequence(14);
  std::vector<Violation> violations = Evaluate(*TestPolicy(), {.device = &after, .previous = &before, .now = kNow});
  ASSERT_THAT(Rules(violations), UnorderedElementsAre("tamper.seal_changed", "tamper.sequence_gap"));
  for (const Violation& v : violations) {
    if (v.rule == "tamper.sequence_gap") {
      EXPECT_THAT(v.reason, ::testing::HasSubstr("3 reports"));
    }
  }
  Obs(after).set_sequence(11);
  Obs(after).mutable_physical()->set_seal_id("S-1");
  EXPECT_THAT(Evaluated(after, &before), IsEmpty());
  // Another agent's sequence numbers are its own: no gap.
  Obs(after).set_sequence(500);
  after.mutable_last_agent()->set_agent_id("gw-2");
  EXPECT_THAT(Evaluated(after, &before), IsEmpty());
}

TEST(ChecksTest, OneOffRulesAreTheEventRules) {
  EXPECT_TRUE(IsOneOffRule("tamper.sequence_gap"));
  EXPECT_TRUE(IsOneOffRule("tamper.seal_changed"));
  EXPECT_TRUE(IsOneOffRule("firmware.downgraded"));
  EXPECT_FALSE(IsOneOffRule("tamper.seal_broken"));
  EXPECT_FALSE(IsOneOffRule(kRuleNotSeen));
}

TEST(ChecksTest, NotSeenExplainsItself) {
  const v1::Device device = CompliantDevice();
  Violation v = NotSeenViolation(device, kNow - absl::Hours(1), absl::Minutes(30));
  EXPECT_EQ(v.kind, v1::FINDING_KIND_MISSING);
  EXPECT_EQ(v.rule, kRuleNotSeen);
  EXPECT_THAT(v.reason, ::testing::HasSubstr("general/5-west/5-west-501"));
  EXPECT_THAT(v.reason, ::testing::HasSubstr("30m"));
  // The time it was last heard from, in UTC to the second (a fraction is cut, not rounded), in the reason and the
  // evidence.
  const absl::Time heard = absl::FromCivil(absl::CivilSecond(2026, 2, 3, 4, 5, 6), absl::UTCTimeZone());
  v = NotSeenViolation(device, heard + absl::Milliseconds(999), absl::Minutes(30));
  EXPECT_THAT(v.reason, ::testing::EndsWith(" at 2026-02-03 04:05:06 UTC."));
  EXPECT_EQ(v.evidence.seen(), "last report 2026-02-03T04:05:06Z");
}

TEST(ChecksTest, RiskScoreWeighsSeverityAndCapsAt100) {
  std::vector<v1::Finding> findings(1);
  findings[0].set_severity(v1::SEVERITY_HIGH);
  EXPECT_EQ(RiskScore(findings), 25u);
  findings.resize(3);
  findings[1].set_severity(v1::SEVERITY_CRITICAL);
  findings[2].set_severity(v1::SEVERITY_CRITICAL);
  EXPECT_EQ(RiskScore(findings), 100u);
  EXPECT_EQ(RiskScore({}), 0u);
}

}  // namespace
}  // namespace pumptrack::rules

namespace pumptrack::rules {
namespace {

TEST(HomeTest, AssetRegisterInThePolicyGivesTheHomeUnlessAnAssetManagerChose) {
  std::string text = testing::kPolicyText;
  text.replace(text.find("care_area: \"adult-icu\""), std::string("care_area: \"adult-icu\"").size(),
               "care_area: \"adult-icu\" home_asset_tags: \"PT-1\"");
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(text);
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::Device device = testing::CompliantDevice();  // first seen (and now) in 5-west
  std::vector<Violation> violations = Evaluate(**policy, {.device = &device, .now = testing::kNow});
  // (The test policy expects no library for adult-icu, so only the move shows.)
  ASSERT_THAT(testing::Rules(violations), ::testing::ElementsAre("move.outside_home_unit"));
  ResolveHome(**policy, device);
  EXPECT_EQ(device.home_unit(), "icu-1");
  EXPECT_EQ(device.home_source(), v1::HOME_SOURCE_SITE);

  v1::Device assigned = testing::CompliantDevice();
  assigned.set_home_source(v1::HOME_SOURCE_ASSIGNED);
  EXPECT_THAT(testing::Rules(Evaluate(**policy, {.device = &assigned, .now = testing::kNow})), ::testing::IsEmpty());
  ResolveHome(**policy, assigned);
  EXPECT_EQ(assigned.home_unit(), "5-west");
}

TEST(HomeTest, ATagHomedTwiceIsRefused) {
  std::string text = testing::kPolicyText;
  text.replace(text.find("par_level: 4"), std::string("par_level: 4").size(),
               "par_level: 4 home_asset_tags: \"PT-1\" home_asset_tags: \"PT-1\"");
  absl::Status status = CompiledPolicy::FromText(text).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("site.units[0].home_asset_tags[1]"));
}

}  // namespace
}  // namespace pumptrack::rules
