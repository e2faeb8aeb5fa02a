#include "cli/flags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pumptrack::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseOperatingStateTest, AcceptsEachStateInAnyCase) {
  EXPECT_EQ(ParseOperatingState("infusing").value(), v1::OPERATING_STATE_INFUSING);
  EXPECT_EQ(ParseOperatingState("idle").value(), v1::OPERATING_STATE_IDLE);
  EXPECT_EQ(ParseOperatingState("alarm").value(), v1::OPERATING_STATE_ALARM);
  EXPECT_EQ(ParseOperatingState("off").value(), v1::OPERATING_STATE_OFF);
  EXPECT_EQ(ParseOperatingState("Alarm").value(), v1::OPERATING_STATE_ALARM);
}

TEST(ParseOperatingStateTest, RejectsOthersNamingTheChoices) {
  for (const char* text : {"busy", "", "OPERATING_STATE_IDLE", "unspecified"}) {
    const absl::StatusOr<v1::OperatingState> state = ParseOperatingState(text);
    EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(state.status().message(), HasSubstr("expected infusing, idle, alarm or off")) << text;
  }
  EXPECT_EQ(ParseOperatingState("busy").status().message(),
            "'busy' is not an operating state; expected infusing, idle, alarm or off");
}

TEST(ParseOutputFormatTest, AcceptsTableAndJson) {
  EXPECT_EQ(ParseOutputFormat("table").value(), OutputFormat::kTable);
  EXPECT_EQ(ParseOutputFormat("JSON").value(), OutputFormat::kJson);
  EXPECT_EQ(ParseOutputFormat("yaml").status().message(),
            "'yaml' is not an output format; expected table, json or csv");
}

TEST(ParsePositiveDurationTest, AcceptsGoStyleDaysAndBareSeconds) {
  EXPECT_EQ(ParsePositiveDuration("90s").value(), absl::Seconds(90));
  EXPECT_EQ(ParsePositiveDuration("1h30m").value(), absl::Minutes(90));
  EXPECT_EQ(ParsePositiveDuration("250ms").value(), absl::Milliseconds(250));
  EXPECT_EQ(ParsePositiveDuration("7d").value(), absl::Hours(24 * 7));
  EXPECT_EQ(ParsePositiveDuration("30").value(), absl::Seconds(30));
}

TEST(ParsePositiveDurationTest, RejectsMalformedZeroNegativeAndInfinite) {
  EXPECT_EQ(ParsePositiveDuration("soon").status().message(),
            "'soon' is not a duration; expected e.g. 30s, 15m, 1h30m or 7d");
  EXPECT_EQ(ParsePositiveDuration("1w").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePositiveDuration("d").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePositiveDuration("0").status().message(), "duration '0' must be finite and above zero");
  EXPECT_EQ(ParsePositiveDuration("-5s").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePositiveDuration("inf").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseRfc3339Test, AcceptsUtcAndOffsets) {
  const absl::Time expected = absl::FromCivil(absl::CivilSecond(2026, 11, 29, 10, 2, 11), absl::UTCTimeZone());
  EXPECT_EQ(ParseRfc3339("2026-11-29T10:02:11Z").value(), expected);
  EXPECT_EQ(ParseRfc3339("2026-11-29T11:02:11+01:00").value(), expected);
  EXPECT_EQ(ParseRfc3339("2026-11-29T10:02:11.5Z").value(), expected + absl::Milliseconds(500));
}

TEST(ParseRfc3339Test, RejectsTimesWithoutAnOffsetOrDate) {
  EXPECT_EQ(ParseRfc3339("2026-11-29T10:02:11").status().message(),
            "'2026-11-29T10:02:11' is not an RFC 3339 time; expected e.g. 2026-11-29T10:02:11Z");
  EXPECT_EQ(ParseRfc3339("yesterday").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MakeDeviceKeyTest, UsesWhicheverWasGiven) {
  const v1::DeviceKey by_tag = MakeDeviceKey("PT-00042", "").value();
  EXPECT_EQ(by_tag.asset_tag(), "PT-00042");
  const v1::DeviceKey by_serial = MakeDeviceKey("", "SN-A1").value();
  EXPECT_EQ(by_serial.serial_number(), "SN-A1");
}

TEST(MakeDeviceKeyTest, NeedsExactlyOne) {
  EXPECT_EQ(MakeDeviceKey("", "").status().message(), "name the device by its asset tag (TAG) or by --serial");
  EXPECT_EQ(MakeDeviceKey("PT-1", "SN-1").status().message(),
            "name the device by its asset tag (TAG) or by --serial, not both");
}

TEST(ParseRoleTest, AcceptsEachRoleInAnyCase) {
  EXPECT_EQ(ParseRole("viewer").value(), v1::ROLE_VIEWER);
  EXPECT_EQ(ParseRole("transport").value(), v1::ROLE_TRANSPORT);
  EXPECT_EQ(ParseRole("asset_manager").value(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(ParseRole("Asset-Manager").value(), v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(ParseRole("auditor").value(), v1::ROLE_AUDITOR);
  EXPECT_EQ(ParseRole("ADMIN").value(), v1::ROLE_ADMIN);
}

TEST(ParseRoleTest, RejectsOthersNamingTheChoices) {
  for (const char* text : {"boss", "", "ROLE_ADMIN", "unspecified", "admins"}) {
    const absl::StatusOr<v1::Role> role = ParseRole(text);
    EXPECT_EQ(role.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(role.status().message(),
                HasSubstr("expected viewer, transport, asset_manager, auditor, admin or technician"));
  }
}

TEST(CheckAgentIdTest, AcceptsTheServicesAlphabetUpTo64Characters) {
  EXPECT_TRUE(CheckAgentId("gw-5west-01").ok());
  EXPECT_TRUE(CheckAgentId("gw.icu_2:rack-B").ok());
  EXPECT_TRUE(CheckAgentId(std::string(64, 'a')).ok());
  for (const std::string& id :
       {std::string(""), std::string(65, 'a'), std::string("gw 1"), std::string("gw/1"), std::string("gw\n1")}) {
    EXPECT_EQ(CheckAgentId(id).code(), absl::StatusCode::kInvalidArgument) << id;
  }
}

TEST(ParsePositiveCountTest, AcceptsWholeNumbersFromOne) {
  EXPECT_EQ(ParsePositiveCount("1").value(), 1u);
  EXPECT_EQ(ParsePositiveCount("250").value(), 250u);
  for (const char* text : {"0", "-1", "", "1.5", "ten", "99999999999999999999999"}) {
    const absl::StatusOr<std::size_t> count = ParsePositiveCount(text);
    EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_EQ(ParsePositiveCount("0").status().message(), "'0' is not a whole number of at least 1");
}

}  // namespace
}  // namespace pumptrack::cli
