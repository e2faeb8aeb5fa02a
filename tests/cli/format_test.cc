#include "cli/format.h"

#include <sstream>
#include <vector>

#include "cli/table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli {
namespace {

using ::testing::HasSubstr;
using testing::MakeDevice;
using testing::TestNow;

google::protobuf::Timestamp Ago(absl::Duration age) { return ToProtoTimestamp(TestNow() - age); }

v1::Location FullLocation() {
  v1::Location location;
  location.set_facility("general");
  location.set_building("north");
  location.set_floor("3");
  location.set_unit("5-west");
  location.set_room("512");
  location.set_source(v1::LOCATION_SOURCE_RTLS);
  location.set_confidence(0.95f);
  return location;
}

TEST(FormatAgeTest, UsesTheLargestWholeUnit) {
  EXPECT_EQ(FormatAge(absl::Seconds(0)), "0s");
  EXPECT_EQ(FormatAge(absl::Seconds(59)), "59s");
  EXPECT_EQ(FormatAge(absl::Seconds(60)), "1m");
  EXPECT_EQ(FormatAge(absl::Seconds(119)), "1m");
  EXPECT_EQ(FormatAge(absl::Minutes(59) + absl::Seconds(59)), "59m");
  EXPECT_EQ(FormatAge(absl::Hours(1)), "1h");
  EXPECT_EQ(FormatAge(absl::Hours(23) + absl::Minutes(59)), "23h");
  EXPECT_EQ(FormatAge(absl::Hours(24)), "1d");
  EXPECT_EQ(FormatAge(absl::Hours(24 * 400)), "400d");
}

TEST(FormatRelativeAgeTest, SaysAgoForThePastAndInForTheFuture) {
  const absl::Time now = TestNow();
  EXPECT_EQ(FormatRelativeAge(now - absl::Seconds(12), now), "12s ago");
  EXPECT_EQ(FormatRelativeAge(now - absl::Minutes(3), now), "3m ago");
  EXPECT_EQ(FormatRelativeAge(now - absl::Hours(50), now), "2d ago");
  EXPECT_EQ(FormatRelativeAge(now + absl::Seconds(5), now), "in 5s");
}

TEST(FormatRelativeAgeTest, WithinOneSecondIsJustNow) {
  const absl::Time now = TestNow();
  EXPECT_EQ(FormatRelativeAge(now, now), "just now");
  EXPECT_EQ(FormatRelativeAge(now - absl::Milliseconds(999), now), "just now");
  EXPECT_EQ(FormatRelativeAge(now + absl::Milliseconds(999), now), "just now");
}

TEST(FormatTimestampTest, PrintsUtcToTheSecond) {
  EXPECT_EQ(FormatTimestamp(TestNow() + absl::Milliseconds(750)), "2026-11-29 10:05:00Z");
}

TEST(FormatTimeAndAgeTest, CombinesTimeAndAgeOrSaysUnknown) {
  EXPECT_EQ(FormatTimeAndAge(Ago(absl::Minutes(3)), TestNow()), "2026-11-29 10:02:00Z (3m ago)");
  EXPECT_EQ(FormatTimeAndAge(google::protobuf::Timestamp(), TestNow()), "unknown");
}

TEST(TimestampConversionTest, RoundTripsWithNanoseconds) {
  const absl::Time time = TestNow() + absl::Nanoseconds(123456789);
  const google::protobuf::Timestamp timestamp = ToProtoTimestamp(time);
  EXPECT_EQ(timestamp.nanos(), 123456789);
  EXPECT_EQ(ToAbslTime(timestamp), time);
  EXPECT_TRUE(IsSet(timestamp));
  EXPECT_FALSE(IsSet(google::protobuf::Timestamp()));
}

TEST(EnumNamesTest, UseAssetManagersWords) {
  EXPECT_EQ(OperatingStateName(v1::OPERATING_STATE_INFUSING), "infusing");
  EXPECT_EQ(OperatingStateName(v1::OPERATING_STATE_UNSPECIFIED), "unknown");
  EXPECT_EQ(OperatingStateName(static_cast<v1::OperatingState>(42)), "unknown");
  EXPECT_EQ(LocationSourceName(v1::LOCATION_SOURCE_WIFI_AP), "Wi-Fi AP");
  EXPECT_EQ(WifiSecurityName(v1::WIFI_SECURITY_WPA2_ENTERPRISE), "WPA2-Enterprise");
  EXPECT_EQ(SealStateName(v1::SEAL_STATE_BROKEN), "broken");
  EXPECT_EQ(ServiceKindName(v1::SERVICE_KIND_HTTPS_ADMIN), "https-admin");
  EXPECT_EQ(ChangeKindName(v1::CHANGE_KIND_DRUG_LIBRARY), "drug library");
  EXPECT_EQ(ChangeKindName(v1::CHANGE_KIND_REPORTING_AGENT), "reporting agent");
}

TEST(FormatLocationTest, PathListsKnownLevelsCoarseToFine) {
  EXPECT_EQ(FormatLocationPath(FullLocation()), "general / north / 3 / 5-west / room 512");
  v1::Location partial;
  partial.set_facility("general");
  partial.set_unit("5-west");
  EXPECT_EQ(FormatLocationPath(partial), "general / 5-west");
  EXPECT_EQ(FormatLocationPath(v1::Location()), "");
}

TEST(FormatLocationTest, ShortFormHasFacilityUnitAndRoom) {
  EXPECT_EQ(FormatShortLocation(FullLocation()), "general/5-west/512");
  EXPECT_EQ(FormatShortLocation(v1::Location()), "-");
}

TEST(DescribeDeviceTest, NamesTheKeyUsed) {
  v1::DeviceKey key;
  key.set_asset_tag("PT-00042");
  EXPECT_EQ(DescribeDevice(key), "device PT-00042");
  key.set_serial_number("SN-9");
  EXPECT_EQ(DescribeDevice(key), "device with serial SN-9");
}

TEST(TextTableTest, AlignsColumnsWithoutTrailingSpaces) {
  TextTable table({"A", "LONGER", "Z"});
  table.AddRow({"wide cell", "x", "last"});
  table.AddRow({"y"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "A          LONGER  Z\n"
            "wide cell  x       last\n"
            "y\n");
}

TEST(TextTableTest, CountsUtf8CodePointsAsOneColumn) {
  EXPECT_EQ(DisplayWidth("5-Süd"), 5u);
  TextTable table({"UNIT", "ROOM"});
  table.AddRow({"5-Süd", "1"});
  table.AddRow({"5-west", "2"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "UNIT    ROOM\n"
            "5-Süd   1\n"
            "5-west  2\n");
}

TEST(PrintDeviceTableTest, PrintsAlignedColumnsWithRelativeLastSeen) {
  std::vector<v1::Device> devices = {
      MakeDevice("PT-00042", "SN-A1", "Infusia 500", "12.1.3", "general", "5-west", "512", v1::OPERATING_STATE_INFUSING,
                 absl::Seconds(12)),
      MakeDevice("PT-00107", "SN-B22", "Infusia 700", "12.0.9", "general", "icu", "", v1::OPERATING_STATE_UNSPECIFIED,
                 absl::Hours(3)),
  };
  devices[1].clear_last_seen_at();
  std::ostringstream out;
  PrintDeviceTable(devices, TestNow(), out);
  EXPECT_EQ(out.str(),
            "TAG       SERIAL  MODEL        FIRMWARE  FACILITY/UNIT/ROOM  STATE     LAST SEEN\n"
            "PT-00042  SN-A1   Infusia 500  12.1.3    general/5-west/512  infusing  12s ago\n"
            "PT-00107  SN-B22  Infusia 700  12.0.9    general/icu         unknown   never\n");
}

v1::Device FullyDescribedDevice() {
  v1::Device device =
      MakeDevice("PT-00042", "SN-A1", "Infusia 500", "12.1.3", "", "", "", v1::OPERATING_STATE_IDLE, absl::Seconds(12));
  v1::Observation& observation = *device.mutable_last_observation();
  *observation.mutable_location() = FullLocation();
  v1::DrugLibrary& library = *observation.mutable_drug_library();
  library.set_name("adult-icu");
  library.set_version("2026.11.2");
  *library.mutable_published_at() = ToProtoTimestamp(absl::FromCivil(absl::CivilDay(2026, 11, 1), absl::UTCTimeZone()));
  library.set_digest("sha256:aaaa");
  observation.mutable_configuration()->set_digest("sha256:cccc");
  v1::SecurityPosture& security = *observation.mutable_security();
  security.set_default_credentials(true);
  v1::OpenService* ssh = security.add_open_services();
  ssh->set_kind(v1::SERVICE_KIND_SSH);
  ssh->set_port(22);
  security.add_open_services()->set_kind(v1::SERVICE_KIND_USB_DEBUG);
  security.set_wifi_security(v1::WIFI_SECURITY_WPA2_ENTERPRISE);
  security.mutable_clock_offset()->set_seconds(1);
  security.mutable_clock_offset()->set_nanos(500000000);
  v1::Physical& physical = *observation.mutable_physical();
  physical.set_seal_id("S-1234");
  physical.set_seal_state(v1::SEAL_STATE_INTACT);
  physical.set_case_state(v1::CASE_STATE_CLOSED);
  physical.set_battery_percent(87);
  physical.set_power_source(v1::POWER_SOURCE_MAINS);
  *device.mutable_location_since() = Ago(absl::Minutes(3));
  *device.mutable_first_seen_at() = Ago(absl::Hours(24 * 30));
  device.mutable_last_agent()->set_agent_id("gw-5west-01");
  device.mutable_last_agent()->set_agent_version("0.1.0");
  device.set_accepted_reports(1234);
  device.set_home_facility("general");
  device.set_home_unit("5-west");
  device.set_home_source(v1::HOME_SOURCE_ASSIGNED);
  device.set_risk_score(45);
  device.set_open_findings(2);
  return device;
}

TEST(PrintDeviceDetailsTest, PrintsOneAlignedLinePerFact) {
  std::ostringstream out;
  PrintDeviceDetails(FullyDescribedDevice(), TestNow(), out);
  EXPECT_EQ(out.str(),
            "Asset tag:            PT-00042\n"
            "Serial number:        SN-A1\n"
            "Manufacturer:         Acme Medical\n"
            "Model:                Infusia 500\n"
            "Location:             general / north / 3 / 5-west / room 512\n"
            "Location source:      RTLS, confidence 0.95\n"
            "At location since:    2026-11-29 10:02:00Z (3m ago)\n"
            "Home unit:            general/5-west (assigned)\n"
            "Risk score:           45 of 100\n"
            "Open findings:        2\n"
            "Custody:              available\n"
            "Firmware:             12.1.3\n"
            "Drug library:         adult-icu 2026.11.2, published 2026-11-01 00:00:00Z, sha256:aaaa\n"
            "Config digest:        sha256:cccc\n"
            "Default credentials:  yes\n"
            "Credentials changed:  unknown\n"
            "Open services:        ssh:22, usb-debug\n"
            "Wi-Fi security:       WPA2-Enterprise\n"
            "Remote access:        disabled\n"
            "Clock offset:         1.5s\n"
            "Seal:                 S-1234 intact\n"
            "Case:                 closed\n"
            "Battery:              87% on mains\n"
            "Operating state:      idle\n"
            "Last agent:           gw-5west-01 (version 0.1.0)\n"
            "Last seen:            2026-11-29 10:04:48Z (12s ago)\n"
            "First seen:           2026-10-30 10:05:00Z (30d ago)\n"
            "Accepted reports:     1234\n");
}

TEST(PrintDeviceDetailsTest, MarksMissingFacts) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-00001");
  std::ostringstream out;
  PrintDeviceDetails(device, TestNow(), out);
  EXPECT_THAT(out.str(), HasSubstr("Serial number:        -\n"));
  EXPECT_THAT(out.str(), HasSubstr("Location:             -\n"));
  EXPECT_THAT(out.str(), HasSubstr("Drug library:         none\n"));
  EXPECT_THAT(out.str(), HasSubstr("Open services:        none\n"));
  EXPECT_THAT(out.str(), HasSubstr("Seal:                 none\n"));
  EXPECT_THAT(out.str(), HasSubstr("Battery:              unknown\n"));
  EXPECT_THAT(out.str(), HasSubstr("Clock offset:         0s\n"));
  EXPECT_THAT(out.str(), HasSubstr("Last seen:            unknown\n"));
  EXPECT_THAT(out.str(), HasSubstr("Home unit:            none\n"));
  EXPECT_THAT(out.str(), HasSubstr("Risk score:           0 of 100\n"));
  EXPECT_THAT(out.str(), HasSubstr("Open findings:        0\n"));
}

TEST(PrintDeviceDetailsTest, ShowsBatteryHealthAndCyclesWhenKnown) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-00001");
  v1::Physical& physical = *device.mutable_last_observation()->mutable_physical();
  physical.set_battery_health_percent(83);
  physical.set_battery_cycle_count(412);
  std::ostringstream health_only;
  PrintDeviceDetails(device, TestNow(), health_only);
  EXPECT_THAT(health_only.str(), HasSubstr("Battery:              health 83%, 412 cycles\n"));
  physical.set_battery_percent(64);
  physical.set_power_source(v1::POWER_SOURCE_BATTERY);
  std::ostringstream all;
  PrintDeviceDetails(device, TestNow(), all);
  EXPECT_THAT(all.str(), HasSubstr("Battery:              64% on battery, health 83%, 412 cycles\n"));
}

v1::LocateResponse Located() {
  v1::LocateResponse located;
  located.mutable_identity()->set_asset_tag("PT-00042");
  *located.mutable_location() = FullLocation();
  *located.mutable_since() =
      ToProtoTimestamp(absl::FromCivil(absl::CivilSecond(2026, 11, 29, 10, 2, 11), absl::UTCTimeZone()));
  *located.mutable_last_seen_at() = Ago(absl::Seconds(12));
  return located;
}

TEST(FormatLocateLineTest, SaysWhereSinceWhenAndHowSure) {
  EXPECT_EQ(FormatLocateLine(Located(), TestNow()),
            "PT-00042 is in general / north / 3 / 5-west / room 512 since 2026-11-29 10:02:11Z (2m ago), RTLS, "
            "confidence 0.95, last seen 12s ago");
}

TEST(FormatLocateLineTest, LeavesOutAnUnknownSince) {
  v1::LocateResponse located = Located();
  located.clear_since();
  EXPECT_EQ(FormatLocateLine(located, TestNow()),
            "PT-00042 is in general / north / 3 / 5-west / room 512, RTLS, confidence 0.95, last seen 12s ago");
}

TEST(FormatLocateLineTest, SaysWhenNoLocationIsKnown) {
  v1::LocateResponse located = Located();
  located.clear_location();
  EXPECT_EQ(FormatLocateLine(located, TestNow()), "PT-00042 has no known location (last seen 12s ago)");
}

TEST(FormatLocateLineTest, SaysWhenThePumpLeftEveryKnownPlace) {
  v1::LocateResponse located = Located();
  located.clear_location();
  located.mutable_location()->set_left_known_places(true);
  EXPECT_EQ(FormatLocateLine(located, TestNow()), "PT-00042 has left every known place (last seen 12s ago)");
}

v1::HistoryEntry LocationAndFirmwareChange() {
  v1::HistoryEntry entry;
  *entry.mutable_observed_at() = Ago(absl::Hours(2));
  entry.set_sequence(812);
  entry.set_agent_id("gw-5west-01");
  entry.add_changes(v1::CHANGE_KIND_LOCATION);
  entry.add_changes(v1::CHANGE_KIND_FIRMWARE);
  *entry.mutable_before()->mutable_location() = FullLocation();
  entry.mutable_before()->mutable_location()->set_room("511");
  entry.mutable_before()->set_firmware_version("12.1.2");
  *entry.mutable_after()->mutable_location() = FullLocation();
  entry.mutable_after()->set_firmware_version("12.1.3");
  return entry;
}

TEST(DescribeChangesTest, ShowsBeforeAndAfterOfEachChange) {
  EXPECT_EQ(DescribeChanges(LocationAndFirmwareChange()),
            "location general/5-west/511 -> general/5-west/512; firmware 12.1.2 -> 12.1.3");
}

TEST(DescribeChangesTest, FirstSeenNamesThePlace) {
  v1::HistoryEntry entry;
  entry.add_changes(v1::CHANGE_KIND_FIRST_SEEN);
  *entry.mutable_after()->mutable_location() = FullLocation();
  EXPECT_EQ(DescribeChanges(entry), "first seen at general/5-west/512");
}

TEST(DescribeChangesTest, SecurityListsOnlyWhatChanged) {
  v1::HistoryEntry entry;
  entry.add_changes(v1::CHANGE_KIND_SECURITY);
  entry.mutable_before()->set_default_credentials(true);
  entry.mutable_before()->set_wifi_security(v1::WIFI_SECURITY_WPA2_PSK);
  entry.mutable_after()->set_wifi_security(v1::WIFI_SECURITY_WPA2_ENTERPRISE);
  EXPECT_EQ(DescribeChanges(entry), "security: default credentials yes -> no, Wi-Fi WPA2-PSK -> WPA2-Enterprise");
}

TEST(DescribeChangesTest, SealDrugLibraryAndConfiguration) {
  v1::HistoryEntry entry;
  entry.add_changes(v1::CHANGE_KIND_SEAL);
  entry.add_changes(v1::CHANGE_KIND_DRUG_LIBRARY);
  entry.add_changes(v1::CHANGE_KIND_CONFIGURATION);
  entry.mutable_before()->set_seal_id("S-1");
  entry.mutable_before()->set_seal_state(v1::SEAL_STATE_INTACT);
  entry.mutable_after()->set_seal_id("S-1");
  entry.mutable_after()->set_seal_state(v1::SEAL_STATE_BROKEN);
  entry.mutable_before()->mutable_drug_library()->set_name("adult-icu");
  entry.mutable_before()->mutable_drug_library()->set_version("2026.10.1");
  entry.mutable_after()->mutable_drug_library()->set_name("adult-icu");
  entry.mutable_after()->mutable_drug_library()->set_version("2026.11.2");
  entry.mutable_after()->set_configuration_digest("sha256:cccc");
  EXPECT_EQ(DescribeChanges(entry),
            "seal S-1 intact -> S-1 broken; drug library adult-icu 2026.10.1 -> adult-icu 2026.11.2; "
            "configuration none -> sha256:cccc");
}

TEST(DescribeChangesTest, SealCoversTheCaseSensor) {
  v1::HistoryEntry entry;
  entry.add_changes(v1::CHANGE_KIND_SEAL);
  entry.mutable_before()->set_seal_id("S-1");
  entry.mutable_before()->set_seal_state(v1::SEAL_STATE_INTACT);
  entry.mutable_before()->set_case_state(v1::CASE_STATE_CLOSED);
  *entry.mutable_after() = entry.before();
  entry.mutable_after()->set_case_state(v1::CASE_STATE_OPENED);
  EXPECT_EQ(DescribeChanges(entry), "case closed -> opened");
}

TEST(DescribeChangesTest, ReportingAgentNamesBothAgents) {
  v1::HistoryEntry entry;
  entry.add_changes(v1::CHANGE_KIND_REPORTING_AGENT);
  entry.set_previous_agent_id("gw-5west-01");
  entry.set_agent_id("gw-5east-02");
  EXPECT_EQ(DescribeChanges(entry), "reporting agent gw-5west-01 -> gw-5east-02");
}

TEST(DescribeChangesTest, UnknownKindsAreStillListed) {
  v1::HistoryEntry entry;
  entry.mutable_changes()->Add(99);  // a kind from a newer service
  EXPECT_EQ(DescribeChanges(entry), "unknown change");
}

TEST(PrintHistoryTableTest, PrintsOneRowPerEntry) {
  v1::HistoryEntry first_seen;
  *first_seen.mutable_observed_at() = Ago(absl::Hours(24 * 30));
  first_seen.set_sequence(1);
  first_seen.set_agent_id("gw-5west-01");
  first_seen.add_changes(v1::CHANGE_KIND_FIRST_SEEN);
  *first_seen.mutable_after()->mutable_location() = FullLocation();
  const std::vector<v1::HistoryEntry> entries = {LocationAndFirmwareChange(), first_seen};
  std::ostringstream out;
  PrintHistoryTable(entries, out);
  EXPECT_EQ(out.str(),
            "OBSERVED AT           SEQ  AGENT        CHANGES\n"
            "2026-11-29 08:05:00Z  812  gw-5west-01  location general/5-west/511 -> general/5-west/512; firmware "
            "12.1.2 -> 12.1.3\n"
            "2026-10-30 10:05:00Z  1    gw-5west-01  first seen at general/5-west/512\n");
}

TEST(PrintableTest, EscapesControlCharactersAndKeepsTheRest) {
  EXPECT_EQ(Printable("plain 5-S\xc3\xbc"
                      "d"),
            "plain 5-S\xc3\xbc"
            "d");
  EXPECT_EQ(Printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(Printable("\x1b[2J\x7f"), "\\x1b[2J\\x7f");
  EXPECT_EQ(Printable(std::string("nul\0", 4)), "nul\\x00");
  EXPECT_EQ(Printable("c1\xc2\x9b"), "c1\\u009b");
}

TEST(TextTableTest, CellsCannotBreakTheLayout) {
  TextTable table({"A", "B"});
  table.AddRow({"x\ny", "z"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "A     B\nx\\ny  z\n");
}

}  // namespace
}  // namespace pumptrack::cli
