// The whole command line, from arguments to exit code, against a real gRPC server on 127.0.0.1.
#include "cli/app.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/run_cli.h"

namespace pumptrack::cli {
namespace {

using ::pumptrack::cli::testing::UsageCase;

using testing::FakeInventoryService;
using ::testing::HasSubstr;
using testing::MakeDevice;
using ::testing::MatchesRegex;
using testing::RunCli;
using testing::RunResult;
using ::testing::StartsWith;
using testing::TestNow;
using testing::TestServer;

class AppTest : public ::testing::Test {
 protected:
  AppTest() {
    service_.AddDevice(MakeDevice("PT-00001", "SN-1", "Infusia 500", "12.1.3", "general", "5-west", "501",
                                  v1::OPERATING_STATE_IDLE, absl::Seconds(5)));
    service_.AddDevice(MakeDevice("PT-00002", "SN-2", "Infusia 500", "12.1.3", "general", "5-west", "502",
                                  v1::OPERATING_STATE_INFUSING, absl::Seconds(15)));
    service_.AddDevice(MakeDevice("PT-00003", "SN-3", "Infusia 700", "12.0.9", "general", "icu", "3",
                                  v1::OPERATING_STATE_IDLE, absl::Minutes(2)));
    environment_.now = TestNow();
  }

  // Runs `pumptrack --insecure --server <test server> <args...>`.
  RunResult RunAgainstServer(std::initializer_list<std::string> args) {
    std::vector<std::string> all = {"--insecure", "--server", server_.address()};
    all.insert(all.end(), args);
    return RunWith(all);
  }

  // Runs `pumptrack <args...>` exactly as given.
  RunResult RunWith(const std::vector<std::string>& args) { return RunCli(args, environment_); }

  FakeInventoryService service_;
  TestServer server_{service_};
  Environment environment_;
};

TEST_F(AppTest, DevicesListPrintsEveryPage) {
  const RunResult result = RunAgainstServer({"devices", "list", "--page-size", "1"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out,
            "TAG       SERIAL  MODEL        FIRMWARE  FACILITY/UNIT/ROOM  STATE     LAST SEEN\n"
            "PT-00001  SN-1    Infusia 500  12.1.3    general/5-west/501  idle      5s ago\n"
            "PT-00002  SN-2    Infusia 500  12.1.3    general/5-west/502  infusing  15s ago\n"
            "PT-00003  SN-3    Infusia 700  12.0.9    general/icu/3       idle      2m ago\n");
  EXPECT_EQ(service_.list_requests().size(), 3u);
}

TEST_F(AppTest, DevicesListSendsEveryFilter) {
  const RunResult result = RunAgainstServer({"devices", "list", "--facility", "general", "--unit", "5-west", "--model",
                                             "Infusia 500", "--firmware", "12.1.3", "--state", "infusing"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_EQ(service_.list_requests().size(), 1u);
  const v1::ListDevicesRequest request = service_.list_requests()[0];
  EXPECT_EQ(request.facility(), "general");
  EXPECT_EQ(request.unit(), "5-west");
  EXPECT_EQ(request.model(), "Infusia 500");
  EXPECT_EQ(request.firmware_version(), "12.1.3");
  EXPECT_EQ(request.operating_state(), v1::OPERATING_STATE_INFUSING);
  EXPECT_THAT(result.out, HasSubstr("PT-00002"));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("PT-00001")));
}

TEST_F(AppTest, DevicesListLimit) {
  const RunResult result = RunAgainstServer({"devices", "list", "--limit", "2"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, HasSubstr("PT-00002"));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("PT-00003")));
  EXPECT_EQ(RunAgainstServer({"devices", "list", "--all"}).exit_code, kExitOk);
}

TEST_F(AppTest, GlobalOptionsMayFollowTheSubcommand) {
  const RunResult result = RunAgainstServer({"devices", "list", "--output=json"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("[\n {\n"));
  EXPECT_THAT(result.out, HasSubstr("\"assetTag\": \"PT-00003\""));
}

// --output=csv: a header row, RFC 4180 quoting, CRLF record ends, times in RFC 3339 and empty when unset.
TEST_F(AppTest, DevicesListAsCsvHasAHeaderAndOneQuotedRecordPerDevice) {
  v1::Device odd = MakeDevice("PT-00004", "SN-4", "Infusia \"500\", rev B", "12.1.3", "general", "5-west",
                              "room 5\nbed 2", v1::OPERATING_STATE_ALARM, absl::Seconds(1));
  odd.mutable_identity()->set_manufacturer("Acme Medical, Inc.");
  odd.set_home_unit("5-west");
  odd.set_risk_score(80);
  odd.set_open_findings(2);
  odd.mutable_custody()->set_state(v1::CUSTODY_STATE_QUARANTINED);
  service_.AddDevice(odd);
  const RunResult result = RunAgainstServer({"devices", "list", "--output=csv", "--page-size", "2"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> records = absl::StrSplit(result.out, "\r\n");
  ASSERT_EQ(records.size(), 6u) << result.out;
  EXPECT_EQ(records[0],
            "asset_tag,serial_number,manufacturer,model,firmware_version,facility,building,floor,unit,room,"
            "operating_state,custody_state,home_facility,home_unit,risk_score,open_findings,last_pm_at,"
            "first_seen_at,last_seen_at");
  EXPECT_EQ(records[1],
            "PT-00001,SN-1,Acme Medical,Infusia 500,12.1.3,general,,,5-west,501,idle,available,,,0,0,,,"
            "2026-11-29T10:04:55Z");
  EXPECT_EQ(
      records[4],
      "PT-00004,SN-4,\"Acme Medical, Inc.\",\"Infusia \"\"500\"\", rev B\",12.1.3,general,,,5-west,\"room 5\nbed 2\","
      "alarm,quarantined,,5-west,80,2,,,2026-11-29T10:04:59Z");
  EXPECT_EQ(records[5], "");  // the output ends with CRLF
}

TEST_F(AppTest, AnEmptyListAsCsvIsTheHeaderAlone) {
  const RunResult result = RunAgainstServer({"devices", "list", "--unit", "nowhere", "--output", "csv"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("asset_tag,serial_number,"));
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1);
}

TEST_F(AppTest, DevicesHistoryAsCsvNamesTheChangesAndDescribesThem) {
  v1::HistoryEntry entry;
  *entry.mutable_observed_at() = ToProtoTimestamp(TestNow() - absl::Minutes(1));
  entry.set_sequence(7);
  entry.set_agent_id("gw-5west-01");
  entry.add_changes(v1::CHANGE_KIND_LOCATION);
  entry.add_changes(v1::CHANGE_KIND_FIRMWARE);
  entry.mutable_before()->mutable_location()->set_room("511");
  entry.mutable_after()->mutable_location()->set_room("512");
  entry.mutable_before()->set_firmware_version("12.1.2");
  entry.mutable_after()->set_firmware_version("12.1.3");
  service_.SetHistory("PT-00001", {entry});
  const RunResult result = RunAgainstServer({"devices", "history", "PT-00001", "--output=csv"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "observed_at,sequence,agent_id,changes,description\r\n"
            "2026-11-29T10:04:00Z,7,gw-5west-01,location; firmware,location 511 -> 512; firmware 12.1.2 -> 12.1.3\r\n");
}

TEST_F(AppTest, DevicesGetOfAnUnknownTagFailsWithOneLine) {
  const RunResult result = RunAgainstServer({"devices", "get", "PT-09999"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err, "pumptrack: device PT-09999 not found (NOT_FOUND)\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(AppTest, DevicesGetBySerial) {
  const RunResult result = RunAgainstServer({"--output", "json", "devices", "get", "--serial", "SN-2"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"assetTag\": \"PT-00002\""));
}

TEST_F(AppTest, LocatePrintsOneLine) {
  const RunResult result = RunAgainstServer({"locate", "PT-00003"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "PT-00003 is in general / icu / room 3, unknown source, confidence 0.00, last seen 2m ago\n");
}

TEST_F(AppTest, HistorySinceIsMeasuredFromNow) {
  const RunResult result = RunAgainstServer({"devices", "history", "PT-00001", "--since", "2h", "--limit", "5"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_EQ(service_.history_requests().size(), 1u);
  const v1::GetDeviceHistoryRequest request = service_.history_requests()[0];
  EXPECT_EQ(request.device().asset_tag(), "PT-00001");
  EXPECT_EQ(ToAbslTime(request.start_time()), TestNow() - absl::Hours(2));
  EXPECT_FALSE(request.has_end_time());
  EXPECT_EQ(request.page_size(), 5);
}

TEST_F(AppTest, HistoryStartAndEnd) {
  const RunResult result = RunAgainstServer(
      {"devices", "history", "PT-00001", "--start", "2026-11-28T00:00:00Z", "--end", "2026-11-29T00:00:00+01:00"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_EQ(service_.history_requests().size(), 1u);
  const v1::GetDeviceHistoryRequest request = service_.history_requests()[0];
  EXPECT_EQ(FormatTimestamp(ToAbslTime(request.start_time())), "2026-11-28 00:00:00Z");
  EXPECT_EQ(FormatTimestamp(ToAbslTime(request.end_time())), "2026-11-28 23:00:00Z");
}

TEST_F(AppTest, ServerComesFromTheEnvironmentUnlessGiven) {
  environment_.server = server_.address();
  const RunResult result = RunWith({"--insecure", "locate", "PT-00001"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("PT-00001 is in general / 5-west / room 501"));

  environment_.server = "127.0.0.1:1";
  EXPECT_EQ(RunWith({"--insecure", "--server", server_.address(), "locate", "PT-00001"}).exit_code, kExitOk);
}

TEST_F(AppTest, UnreachableServerFailsWithOneLine) {
  const RunResult result = RunWith({"--insecure", "--server", "127.0.0.1:1", "locate", "PT-00001"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.err, MatchesRegex("pumptrack: cannot reach 127\\.0\\.0\\.1:1: [^\n]+ \\(UNAVAILABLE\\)\n"));
  EXPECT_EQ(result.out, "");
}

TEST_F(AppTest, TimeoutAppliesToEachCall) {
  service_.SetDelay(absl::Milliseconds(500));
  const RunResult result = RunAgainstServer({"--timeout", "50ms", "locate", "PT-00001"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err,
            absl::StrCat("pumptrack: no answer from ", server_.address(), " within 50ms (DEADLINE_EXCEEDED)\n"));
}

TEST_F(AppTest, HelpPrintsUsageAndSucceeds) {
  const RunResult result = RunWith({"--help"});
  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_THAT(result.out, HasSubstr("Usage: pumptrack"));
  EXPECT_THAT(result.out, HasSubstr("locate"));
  const RunResult list_help = RunWith({"devices", "list", "--help"});
  EXPECT_EQ(list_help.exit_code, kExitOk);
  EXPECT_THAT(list_help.out, HasSubstr("--state"));
}

class UsageErrorTest : public AppTest, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(UsageErrorTest, PrintsOneLineExitsTwoAndSendsNothing) {
  std::vector<std::string> args = {"--insecure", "--server", server_.address()};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  const RunResult result = RunWith(args);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.err, absl::StrCat("pumptrack: ", GetParam().error, " (see pumptrack --help)\n"));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(service_.calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    CommandLines, UsageErrorTest,
    ::testing::Values(
        UsageCase{{}, "A subcommand is required"}, UsageCase{{"devices"}, "A subcommand is required"},
        UsageCase{{"devices", "list", "--state", "busy"},
                  "--state: 'busy' is not an operating state; expected infusing, idle, alarm or off"},
        UsageCase{{"devices", "list", "--page-size", "0"}, "--page-size: Value 0 not in range 1 to 1000"},
        UsageCase{{"devices", "list", "--limit", "5", "--all"}, "--limit excludes --all"},
        UsageCase{{"devices", "list", "--limit", "0"}, "--limit: '0' is not a whole number of at least 1"},
        UsageCase{{"devices", "history", "PT-1", "--limit", "-3"}, "--limit: '-3' is not a whole number of at least 1"},
        UsageCase{{"devices", "list", "--colour"}, "The following argument was not expected: --colour"},
        UsageCase{{"devices", "get"}, "name the device by its asset tag (TAG) or by --serial"},
        UsageCase{{"devices", "get", "PT-1", "--serial", "SN-1"}, "TAG excludes --serial"},
        UsageCase{{"devices", "history", "PT-1", "--since", "soon"},
                  "--since: 'soon' is not a duration; expected e.g. 30s, 15m, 1h30m or 7d"},
        UsageCase{{"devices", "history", "PT-1", "--since", "1h", "--start", "2026-11-29T00:00:00Z"},
                  "--since excludes --start"},
        UsageCase{{"devices", "history", "PT-1", "--end", "yesterday"},
                  "--end: 'yesterday' is not an RFC 3339 time; expected e.g. 2026-11-29T10:02:11Z"},
        UsageCase{{"devices", "history", "PT-1", "--start", "2026-11-29T00:00:00Z", "--end", "2026-11-28T00:00:00Z"},
                  "the time range is empty: its start is not before --end"},
        UsageCase{{"--output", "yaml", "locate", "PT-1"},
                  "--output: 'yaml' is not an output format; expected table, json or csv"},
        UsageCase{{"devices", "get", "PT-1", "--output=csv"},
                  "--output: csv is for list commands only; 'devices get' prints no list (docs/EXPORTS.md lists the "
                  "ones that do)"},
        UsageCase{{"--output", "CSV", "audit", "export"},
                  "--output: csv is for list commands only; 'audit export' prints no list (docs/EXPORTS.md lists the "
                  "ones that do)"},
        UsageCase{{"--timeout", "0", "locate", "PT-1"}, "--timeout: duration '0' must be finite and above zero"},
        UsageCase{{"--ca", "/nonexistent/ca.pem", "locate", "PT-1"},
                  "--ca: File does not exist: /nonexistent/ca.pem"}));

}  // namespace
}  // namespace pumptrack::cli
