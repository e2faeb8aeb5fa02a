// Names, lines and blocks of the findings, risk and policy commands, and the parsing of their flag values.
#include "cli/finding_format.h"

#include <sstream>
#include <string>

#include "cli/finding_flags.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_finding_services.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli {
namespace {

using ::testing::HasSubstr;
using testing::MakeFinding;
using testing::TestNow;

TEST(FindingNamesTest, EveryValueHasTheNameTheFlagsAccept) {
  for (int value = v1::FindingKind_MIN + 1; value <= v1::FindingKind_MAX; ++value) {
    const auto kind = static_cast<v1::FindingKind>(value);
    EXPECT_EQ(ParseFindingKind(FindingKindName(kind)).value(), kind);
  }
  for (int value = v1::Severity_MIN + 1; value <= v1::Severity_MAX; ++value) {
    const auto severity = static_cast<v1::Severity>(value);
    EXPECT_EQ(ParseSeverity(SeverityName(severity)).value(), severity);
  }
  for (int value = v1::FindingState_MIN + 1; value <= v1::FindingState_MAX; ++value) {
    const auto state = static_cast<v1::FindingState>(value);
    EXPECT_EQ(ParseFindingState(FindingStateName(state)).value(), state);
  }
  EXPECT_EQ(FindingKindName(v1::FINDING_KIND_UNSPECIFIED), "unknown");
  EXPECT_EQ(SeverityName(static_cast<v1::Severity>(42)), "unknown");
}

TEST(FindingFlagsTest, ParsersTakeShortNamesInAnyCase) {
  EXPECT_EQ(ParseFindingKind("MISCONFIGURED").value(), v1::FINDING_KIND_MISCONFIGURED);
  EXPECT_EQ(ParseFindingKind("Unauthorized-Move").value(), v1::FINDING_KIND_UNAUTHORIZED_MOVE);
  EXPECT_EQ(ParseSeverity("Critical").value(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(ParseFindingState("OPEN").value(), v1::FINDING_STATE_OPEN);
  EXPECT_EQ(ParseRiskGroupBy("facility").value(), v1::GetRiskRequest::GROUP_BY_FACILITY);
  EXPECT_EQ(ParseFindingKind("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSeverity("severity_high").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRiskGroupBy("unspecified").status().message(),
            "'unspecified' is not a risk grouping; expected unit, facility or device");
}

TEST(FindingFlagsTest, ReadPolicyFileNamesAMissingFile) {
  const absl::StatusOr<std::string> text = ReadPolicyFile("/nonexistent/policy.textproto");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(text.status().message(), HasSubstr("cannot read policy file /nonexistent/policy.textproto"));
}

TEST(FormatFacilityUnitTest, JoinsWhatIsKnown) {
  EXPECT_EQ(FormatFacilityUnit("general", "5-west"), "general/5-west");
  EXPECT_EQ(FormatFacilityUnit("general", ""), "general");
  EXPECT_EQ(FormatFacilityUnit("", "5-west"), "5-west");
  EXPECT_EQ(FormatFacilityUnit("", ""), "-");
}

TEST(FormatHomeTest, SaysWhereTheHomeCameFrom) {
  v1::Device device;
  EXPECT_EQ(FormatHome(device), "none");
  device.set_home_facility("general");
  device.set_home_unit("icu-1");
  device.set_home_source(v1::HOME_SOURCE_FIRST_SEEN);
  EXPECT_EQ(FormatHome(device), "general/icu-1 (first seen)");
  device.mutable_identity()->set_asset_tag("PT-00042");
  device.set_home_source(v1::HOME_SOURCE_ASSIGNED);
  EXPECT_EQ(FormatHomeSet(device), "PT-00042's home unit is now general/icu-1 (assigned).");
}

TEST(FormatFindingEventTest, MakesServerTextPrintable) {
  v1::FindingEvent event;
  event.set_type(v1::FindingEvent::TYPE_CHANGED);
  *event.mutable_finding() = MakeFinding("F-1", "PT-1", v1::FINDING_KIND_INSECURE, "security.default_credentials",
                                         v1::SEVERITY_CRITICAL, v1::FINDING_STATE_OPEN, "icu-1", absl::Seconds(0));
  event.mutable_finding()->set_reason("line one\nline two\x1b[2J");
  EXPECT_EQ(FormatFindingEvent(event, TestNow()),
            "2026-11-29 10:05:00Z changed F-1 PT-1 insecure critical security.default_credentials: line one\\nline "
            "two\\x1b[2J");
}

TEST(FormatPolicyTest, CountsUnitsAndModels) {
  v1::ValidatePolicyResponse validated;
  validated.set_digest("sha256:abc");
  validated.set_units(1);
  validated.set_models(2);
  EXPECT_EQ(FormatPolicyValidated("p.textproto", validated),
            "Policy p.textproto is valid: 1 unit, 2 models "
            "(sha256:abc).");
  v1::PolicyInfo info;
  info.set_digest("sha256:def");
  info.mutable_policy()->add_models();
  EXPECT_EQ(FormatPolicyApplied("p.textproto", info), "Applied policy p.textproto (sha256:def): 0 units, 1 model.");
}

TEST(PrintFindingDetailsTest, ShowsAcknowledgementAndResolutionOnlyWhenSet) {
  v1::Finding finding = MakeFinding("F-2", "PT-2", v1::FINDING_KIND_TAMPERED, "tamper.seal_broken", v1::SEVERITY_HIGH,
                                    v1::FINDING_STATE_RESOLVED, "icu-1", absl::Minutes(1));
  *finding.mutable_resolved_at() = ToProtoTimestamp(TestNow());
  std::ostringstream out;
  PrintFindingDetails(finding, TestNow(), out);
  EXPECT_THAT(out.str(), HasSubstr("Resolved:    2026-11-29 10:05:00Z (just now)\n"));
  EXPECT_THAT(out.str(), ::testing::Not(HasSubstr("Acknowledged")));
  EXPECT_THAT(out.str(), ::testing::Not(HasSubstr("Advisory")));
}

}  // namespace
}  // namespace pumptrack::cli
