// The findings, risk, policy and `devices set-home` commands through the whole command line, against fake services on
// a real gRPC server: what each sends, what it prints, and its exit code.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_finding_services.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"
#include "tests/cli/run_cli.h"
#include "tests/common/test_support.h"

namespace pumptrack::cli {
namespace {

using ::pumptrack::cli::testing::UsageCase;

using testing::FakeAuth;
using testing::FakeFindingService;
using testing::FakeInventoryService;
using testing::FakePolicyService;
using ::testing::HasSubstr;
using testing::kCallerName;
using testing::kTestToken;
using testing::Lines;
using testing::MakeDevice;
using testing::MakeFinding;
using ::testing::Not;
using testing::RunCli;
using testing::RunResult;
using ::testing::SizeIs;
using ::testing::StartsWith;
using testing::TestNow;
using testing::TestServer;

constexpr char kExamplePolicy[] = PUMPTRACK_SOURCE_DIR "/examples/hospital-policy.textproto";

std::vector<v1::Finding> ParseFindings(const std::string& json) {
  v1::ListFindingsResponse wrapper;
  const auto status = google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"findings\":", json, "}"), &wrapper);
  EXPECT_TRUE(status.ok()) << json;
  return {wrapper.findings().begin(), wrapper.findings().end()};
}

v1::FindingEvent Event(v1::FindingEvent::Type type, const v1::Finding& finding) {
  v1::FindingEvent event;
  event.set_type(type);
  *event.mutable_finding() = finding;
  return event;
}

v1::RiskGroup Group(const std::string& key, uint32_t devices, uint32_t at_risk, uint32_t max_score, double mean,
                    uint32_t open_findings) {
  v1::RiskGroup group;
  group.set_key(key);
  group.set_devices(devices);
  group.set_devices_at_risk(at_risk);
  group.set_max_score(max_score);
  group.set_mean_score(mean);
  group.set_open_findings(open_findings);
  return group;
}

class FindingAppTest : public ::testing::Test {
 protected:
  FindingAppTest() {
    environment_.now = TestNow();
    environment_.token = kTestToken;
    inventory_.AddDevice(MakeDevice("PT-00001", "SN-1", "Infusia 500", "11.4.0", "general", "5-west", "5-west-501",
                                    v1::OPERATING_STATE_IDLE, absl::Seconds(5)));
    findings_.SetFindings({
        MakeFinding("F-3", "PT-00001", v1::FINDING_KIND_MISCONFIGURED, "firmware.blocked", v1::SEVERITY_CRITICAL,
                    v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(5)),
        MakeFinding("F-2", "PT-00002", v1::FINDING_KIND_MISSING, "missing.silent", v1::SEVERITY_HIGH,
                    v1::FINDING_STATE_ACKNOWLEDGED, "icu-1", absl::Minutes(40)),
        MakeFinding("F-1", "PT-00003", v1::FINDING_KIND_TAMPERED, "tamper.sequence_gap", v1::SEVERITY_MEDIUM,
                    v1::FINDING_STATE_OPEN, "icu-1", absl::Hours(2)),
        MakeFinding("F-0", "PT-00003", v1::FINDING_KIND_INSECURE, "security.forbidden_service.telnet",
                    v1::SEVERITY_HIGH, v1::FINDING_STATE_RESOLVED, "icu-1", absl::Hours(30)),
    });
  }

  // Runs `pumptrack --insecure --server <test server> <args...>`.
  RunResult Run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--insecure", "--server", server_.address()};
    all.insert(all.end(), args.begin(), args.end());
    return RunCli(all, environment_);
  }

  FakeAuth auth_;
  FakeInventoryService inventory_;
  FakeFindingService findings_{auth_};
  FakePolicyService policy_{auth_};
  TestServer server_{{&inventory_, &findings_, &policy_}};
  Environment environment_;
};

// --- findings list ---------------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, ListPrintsOpenAndAcknowledgedFindingsAsATable) {
  const RunResult result = Run({"findings", "list"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(4));
  EXPECT_THAT(lines[0], StartsWith("ID   TAG       KIND           SEVERITY  STATE         WHERE           RULE"));
  EXPECT_THAT(lines[1], StartsWith("F-3  PT-00001  misconfigured  critical  open          general/5-west  "
                                   "firmware.blocked"));
  EXPECT_THAT(lines[1], HasSubstr("5s ago"));
  EXPECT_THAT(lines[1], HasSubstr("Reason for firmware.blocked."));
  EXPECT_THAT(lines[2], HasSubstr("acknowledged"));
  EXPECT_THAT(lines[3], HasSubstr("tamper.sequence_gap"));
}

TEST_F(FindingAppTest, ListAsCsvHasEveryFindingWithItsColumns) {
  const RunResult result = Run({"findings", "list", "--output=csv"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> records = absl::StrSplit(result.out, "\r\n");
  ASSERT_THAT(records, SizeIs(5)) << result.out;
  EXPECT_EQ(records[0],
            "id,asset_tag,kind,severity,state,rule,reason,facility,unit,first_seen_at,last_seen_at,acknowledged_by,"
            "acknowledged_at,acknowledgement_note,resolved_at");
  EXPECT_THAT(records[1], StartsWith("F-3,PT-00001,misconfigured,critical,open,firmware.blocked,"
                                     "Reason for firmware.blocked.,"));
  EXPECT_THAT(records[2], StartsWith("F-2,PT-00002,missing,high,acknowledged,missing.silent,"));
  EXPECT_EQ(records[4], "");
}

TEST_F(FindingAppTest, ListSendsEveryFilterWithShortCaseInsensitiveNames) {
  const RunResult result = Run({"findings", "list", "--kind=Missing", "--severity=HIGH", "--state=acknowledged",
                                "--facility=general", "--unit=icu-1", "--device=PT-00002"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(findings_.list_requests(), SizeIs(1));
  const v1::ListFindingsRequest sent = findings_.list_requests()[0];
  EXPECT_EQ(sent.kind(), v1::FINDING_KIND_MISSING);
  EXPECT_EQ(sent.severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(sent.state(), v1::FINDING_STATE_ACKNOWLEDGED);
  EXPECT_EQ(sent.facility(), "general");
  EXPECT_EQ(sent.unit(), "icu-1");
  EXPECT_EQ(sent.asset_tag(), "PT-00002");
  EXPECT_THAT(Lines(result.out), SizeIs(2));
  EXPECT_THAT(result.out, HasSubstr("F-2"));
}

TEST_F(FindingAppTest, ListAcceptsTheCustodyKindsAndNamesThem) {
  findings_.SetFindings({MakeFinding("F-9", "PT-00001", v1::FINDING_KIND_PAR_LOW, "custody.par_low",
                                     v1::SEVERITY_MEDIUM, v1::FINDING_STATE_OPEN, "icu-1", absl::Seconds(5))});
  const RunResult result = Run({"findings", "list", "--kind=par-low"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(findings_.list_requests().at(0).kind(), v1::FINDING_KIND_PAR_LOW);
  EXPECT_THAT(result.out, HasSubstr("F-9  PT-00001  par low"));
  EXPECT_EQ(Run({"findings", "list", "--kind=misrouted"}).exit_code, kExitOk);
  EXPECT_EQ(findings_.list_requests().at(1).kind(), v1::FINDING_KIND_MISROUTED);
  EXPECT_EQ(Run({"findings", "list", "--kind=OVERDUE"}).exit_code, kExitOk);
  EXPECT_EQ(findings_.list_requests().at(2).kind(), v1::FINDING_KIND_OVERDUE);
  // The word a table shows is accepted back as typed.
  EXPECT_EQ(Run({"findings", "list", "--kind=par low"}).exit_code, kExitOk);
  EXPECT_EQ(findings_.list_requests().at(3).kind(), v1::FINDING_KIND_PAR_LOW);
}

TEST_F(FindingAppTest, ListAcceptsUnauthorizedMoveWithAHyphen) {
  const RunResult result = Run({"findings", "list", "--kind=unauthorized-move"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(findings_.list_requests().at(0).kind(), v1::FINDING_KIND_UNAUTHORIZED_MOVE);
  EXPECT_EQ(result.out, "No findings.\n");
}

TEST_F(FindingAppTest, ListAsJsonIsAnArrayOfFindings) {
  const RunResult result = Run({"findings", "list", "--state=resolved", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<v1::Finding> listed = ParseFindings(result.out);
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].id(), "F-0");
  EXPECT_EQ(listed[0].kind(), v1::FINDING_KIND_INSECURE);
  EXPECT_EQ(listed[0].state(), v1::FINDING_STATE_RESOLVED);
}

TEST_F(FindingAppTest, ListLimitAsksForNoMoreThanNeededAndStops) {
  const RunResult result = Run({"findings", "list", "--limit=2", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(ParseFindings(result.out), SizeIs(2));
  ASSERT_THAT(findings_.list_requests(), SizeIs(1));
  EXPECT_EQ(findings_.list_requests()[0].page_size(), 2);
}

TEST_F(FindingAppTest, ListFollowsPages) {
  std::vector<v1::Finding> many;
  for (int i = 250; i > 0; --i) {
    many.push_back(MakeFinding(absl::StrCat("F-", i), "PT-00001", v1::FINDING_KIND_INSECURE, absl::StrCat("rule.", i),
                               v1::SEVERITY_LOW, v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(i)));
  }
  findings_.SetFindings(many);
  const RunResult result = Run({"findings", "list", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<v1::Finding> listed = ParseFindings(result.out);
  ASSERT_THAT(listed, SizeIs(250));
  EXPECT_EQ(listed.front().id(), "F-250");
  EXPECT_EQ(listed.back().id(), "F-1");
  EXPECT_THAT(findings_.list_requests(), SizeIs(3));
}

// --- findings get / ack ----------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, GetPrintsTheFindingWithItsEvidence) {
  v1::Finding finding = MakeFinding("F-7", "PT-00001", v1::FINDING_KIND_MISCONFIGURED, "firmware.vulnerable.exsa-1",
                                    v1::SEVERITY_HIGH, v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(5));
  finding.mutable_evidence()->set_expected(">= 12.0.0");
  finding.mutable_evidence()->set_seen("11.4.0");
  finding.mutable_evidence()->set_advisory("EXSA-1");
  findings_.SetFindings({finding});
  const RunResult result = Run({"findings", "get", "F-7"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("ID:          F-7\nAsset tag:   PT-00001\nKind:        misconfigured\n"));
  EXPECT_THAT(result.out, HasSubstr("Expected:    >= 12.0.0\nSeen:        11.4.0\nAdvisory:    EXSA-1\n"));
  EXPECT_THAT(result.out, HasSubstr("Where:       general/5-west\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("Acknowledged")));
}

TEST_F(FindingAppTest, GetUnknownFindingIsOneLineAndExitsOne) {
  const RunResult result = Run({"findings", "get", "F-999"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err, "pumptrack: finding F-999 not found (NOT_FOUND)\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(FindingAppTest, AckSendsTheNoteAndSaysWhoAcknowledged) {
  const RunResult result = Run({"findings", "ack", "F-3", "--note=pulled for firmware update, ticket 4411"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, absl::StrCat("Acknowledged F-3 (PT-00001, firmware.blocked) as ", kCallerName,
                                     ": pulled for firmware update, ticket 4411\n"));
  ASSERT_THAT(findings_.ack_requests(), SizeIs(1));
  EXPECT_EQ(findings_.ack_requests()[0].id(), "F-3");
  EXPECT_EQ(findings_.ack_requests()[0].note(), "pulled for firmware update, ticket 4411");
  const RunResult shown = Run({"findings", "get", "F-3"});
  EXPECT_THAT(shown.out, HasSubstr("State:         acknowledged\n"));
  EXPECT_THAT(shown.out, HasSubstr("Acknowledged:  2026-11-29 10:05:00Z (just now) by alice.biomed\n"));
  EXPECT_THAT(shown.out, HasSubstr("Note:          pulled for firmware update, ticket 4411\n"));
}

TEST_F(FindingAppTest, AckOfAOneOffEventSaysItResolvedIt) {
  const RunResult result = Run({"findings", "ack", "F-1", "--note", "agent restarted", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  v1::Finding acknowledged;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &acknowledged).ok()) << result.out;
  EXPECT_EQ(acknowledged.state(), v1::FINDING_STATE_RESOLVED);
  const RunResult again = Run({"findings", "ack", "F-2", "--note", "searching"});
  EXPECT_THAT(again.out, StartsWith("Acknowledged F-2"));
  findings_.SetFindings({MakeFinding("F-9", "PT-9", v1::FINDING_KIND_TAMPERED, "tamper.sequence_gap",
                                     v1::SEVERITY_MEDIUM, v1::FINDING_STATE_OPEN, "icu-1", absl::Seconds(1))});
  EXPECT_THAT(Run({"findings", "ack", "F-9", "--note", "ok"}).out, StartsWith("Acknowledged and resolved F-9"));
}

TEST_F(FindingAppTest, AckRefusedForTheCallersRoleExitsOne) {
  auth_.DenyAll(true);
  const RunResult result = Run({"findings", "ack", "F-3", "--note=seen"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err,
            "pumptrack: permission denied: finding F-3: the caller may not use this method (PERMISSION_DENIED)\n");
}

// --- findings watch --------------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, WatchPrintsOneLinePerEventUntilTheStreamEnds) {
  const v1::Finding opened = MakeFinding("F-4", "PT-00001", v1::FINDING_KIND_MISSING, "missing.silent",
                                         v1::SEVERITY_HIGH, v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(3));
  v1::Finding resolved = opened;
  resolved.set_state(v1::FINDING_STATE_RESOLVED);
  *resolved.mutable_resolved_at() = ToProtoTimestamp(TestNow());
  v1::FindingEvent resync;
  resync.set_type(v1::FindingEvent::TYPE_RESYNC);
  findings_.SetEvents(
      {Event(v1::FindingEvent::TYPE_OPENED, opened), resync, Event(v1::FindingEvent::TYPE_RESOLVED, resolved)});
  const RunResult result = Run({"findings", "watch"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(lines[0],
            "2026-11-29 10:04:57Z opened F-4 PT-00001 missing high missing.silent: Reason for "
            "missing.silent.");
  EXPECT_THAT(lines[1], HasSubstr(" resync: events were dropped; run `pumptrack findings list` to catch up"));
  EXPECT_EQ(lines[2],
            "2026-11-29 10:05:00Z resolved F-4 PT-00001 missing high missing.silent: Reason for "
            "missing.silent.");
  ASSERT_THAT(findings_.watch_requests(), SizeIs(1));
  EXPECT_EQ(findings_.watch_requests()[0].kind(), v1::FINDING_KIND_UNSPECIFIED);
}

TEST_F(FindingAppTest, WatchAsJsonLinesOfTheRequestedKind) {
  findings_.SetEvents({
      Event(v1::FindingEvent::TYPE_OPENED,
            MakeFinding("F-5", "PT-00001", v1::FINDING_KIND_TAMPERED, "tamper.seal_broken", v1::SEVERITY_HIGH,
                        v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(1))),
      Event(v1::FindingEvent::TYPE_CHANGED,
            MakeFinding("F-6", "PT-00002", v1::FINDING_KIND_MISSING, "missing.silent", v1::SEVERITY_HIGH,
                        v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(1))),
  });
  const RunResult result = Run({"findings", "watch", "--kind=TAMPERED", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(findings_.watch_requests().at(0).kind(), v1::FINDING_KIND_TAMPERED);
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(1));
  v1::FindingEvent event;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &event).ok()) << lines[0];
  EXPECT_EQ(event.type(), v1::FindingEvent::TYPE_OPENED);
  EXPECT_EQ(event.finding().id(), "F-5");
}

TEST_F(FindingAppTest, WatchEndingInAnErrorKeepsTheLinesAndExitsOne) {
  findings_.SetEvents({Event(v1::FindingEvent::TYPE_OPENED,
                             MakeFinding("F-5", "PT-00001", v1::FINDING_KIND_TAMPERED, "tamper.seal_broken",
                                         v1::SEVERITY_HIGH, v1::FINDING_STATE_OPEN, "5-west", absl::Seconds(1)))},
                      grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  const RunResult result = Run({"findings", "watch"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(Lines(result.out), SizeIs(1));
  EXPECT_THAT(result.err, StartsWith(absl::StrCat("pumptrack: cannot reach ", server_.address())));
}

// --- risk ------------------------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, RiskByUnitIsATable) {
  v1::GetRiskResponse risk;
  *risk.add_groups() = Group("general/5-west", 12, 3, 80, 14.25, 5);
  *risk.add_groups() = Group("general/icu-1", 20, 0, 0, 0, 0);
  findings_.SetRisk(risk);
  const RunResult result = Run({"risk", "--by=unit"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "UNIT            DEVICES  AT RISK  MAX SCORE  MEAN SCORE  OPEN FINDINGS\n"
            "general/5-west  12       3        80         14.2        5\n"
            "general/icu-1   20       0        0          0.0         0\n");
  EXPECT_EQ(findings_.risk_requests().at(0).group_by(), v1::GetRiskRequest::GROUP_BY_UNIT);
}

TEST_F(FindingAppTest, RiskAsCsvNamesItsFirstColumnAfterTheGrouping) {
  v1::GetRiskResponse risk;
  *risk.add_groups() = Group("general/5-west", 12, 3, 80, 14.25, 5);
  findings_.SetRisk(risk);
  EXPECT_EQ(Run({"risk", "--by=unit", "--output=csv"}).out,
            "unit,devices,devices_at_risk,max_score,mean_score,open_findings\r\n"
            "general/5-west,12,3,80,14.2,5\r\n");
  EXPECT_THAT(Run({"risk", "--by=facility", "--output=csv"}).out, StartsWith("facility,devices,"));
  EXPECT_THAT(Run({"risk", "--by=device", "--output=csv"}).out, StartsWith("asset_tag,devices,"));
}

TEST_F(FindingAppTest, RiskByDeviceSendsTheLimitAndPrintsScores) {
  v1::GetRiskResponse risk;
  v1::RiskGroup device = Group("PT-00001", 0, 0, 95, 95, 3);
  *risk.add_groups() = device;
  findings_.SetRisk(risk);
  const RunResult result = Run({"risk", "--by", "Device", "--limit", "5"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "DEVICE    SCORE  OPEN FINDINGS\nPT-00001  95     3\n");
  EXPECT_EQ(findings_.risk_requests().at(0).group_by(), v1::GetRiskRequest::GROUP_BY_DEVICE);
  EXPECT_EQ(findings_.risk_requests().at(0).limit(), 5);
}

TEST_F(FindingAppTest, RiskDefaultsToUnitsAndPrintsJson) {
  v1::GetRiskResponse risk;
  *risk.add_groups() = Group("general", 40, 4, 90, 9.5, 7);
  findings_.SetRisk(risk);
  const RunResult result = Run({"risk", "--output=json"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(findings_.risk_requests().at(0).group_by(), v1::GetRiskRequest::GROUP_BY_UNIT);
  v1::GetRiskResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(absl::StrCat("{\"groups\":", result.out, "}"), &parsed).ok());
  ASSERT_EQ(parsed.groups_size(), 1);
  EXPECT_EQ(parsed.groups(0).open_findings(), 7u);
}

// --- policy ----------------------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, PolicyValidateOfTheExampleCountsItsUnitsAndModels) {
  const RunResult result = Run({"policy", "validate", kExamplePolicy});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith(absl::StrCat("Policy ", kExamplePolicy, " is valid: 9 units, 3 models (sha256:")));
  EXPECT_FALSE(policy_.applied_text().has_value());
}

TEST_F(FindingAppTest, PolicyValidateOfABrokenFileNamesTheLineAndExitsOne) {
  const testing_support::ScopedTempDir dir;
  std::filesystem::create_directories(dir.root());
  const std::string path = dir.path() + "/broken.textproto";
  std::ofstream(path) << "revision: \"x\"\nsite { units { id: \"a\" floor: 3 }\n";
  const RunResult result = Run({"policy", "validate", path});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.err, StartsWith(absl::StrCat("pumptrack: policy ", path, ": line 2, column ")));
  EXPECT_THAT(result.err, HasSubstr("(INVALID_ARGUMENT)\n"));
  EXPECT_EQ(result.out, "");
}

TEST_F(FindingAppTest, PolicySetThenGetRoundTripsTheText) {
  const RunResult set = Run({"policy", "set", kExamplePolicy});
  ASSERT_EQ(set.exit_code, kExitOk) << set.err;
  EXPECT_THAT(set.out, StartsWith(absl::StrCat("Applied policy ", kExamplePolicy, " (sha256:")));
  EXPECT_THAT(set.out, HasSubstr("): 9 units, 3 models, applied 2026-11-29 10:05:00Z by alice.biomed.\n"));
  std::ifstream file(kExamplePolicy);
  std::stringstream text;
  text << file.rdbuf();
  const RunResult got = Run({"policy", "get"});
  ASSERT_EQ(got.exit_code, kExitOk) << got.err;
  EXPECT_EQ(got.out, text.str());
  const RunResult json = Run({"policy", "get", "--output=json"});
  v1::PolicyInfo info;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &info).ok()) << json.out;
  EXPECT_EQ(info.policy().site().units_size(), 9);
  EXPECT_EQ(info.applied_by(), kCallerName);
}

TEST_F(FindingAppTest, PolicyGetWithoutAPolicySaysSo) {
  const RunResult result = Run({"policy", "get"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "# No policy is applied.\n");
}

TEST_F(FindingAppTest, PolicySetOfAnEmptyFileSendsNothing) {
  const testing_support::ScopedTempDir dir;
  std::filesystem::create_directories(dir.root());
  const std::string path = dir.path() + "/empty.textproto";
  std::ofstream(path).close();
  const RunResult result = Run({"policy", "set", path});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err, absl::StrCat("pumptrack: policy file ", path, " is empty (INVALID_ARGUMENT)\n"));
  EXPECT_EQ(auth_.calls(), 0);
}

// --- devices set-home / get ------------------------------------------------------------------------------------------

TEST_F(FindingAppTest, SetHomeAssignsTheUnitAndDevicesGetShowsIt) {
  const RunResult result = Run({"devices", "set-home", "PT-00001", "--unit=icu-1"});
  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "PT-00001's home unit is now general/icu-1 (assigned).\n");
  ASSERT_THAT(inventory_.set_home_requests(), SizeIs(1));
  EXPECT_EQ(inventory_.set_home_requests()[0].device().asset_tag(), "PT-00001");
  EXPECT_EQ(inventory_.set_home_requests()[0].unit(), "icu-1");
  const RunResult shown = Run({"devices", "get", "PT-00001"});
  EXPECT_THAT(shown.out, HasSubstr("Home unit:            general/icu-1 (assigned)\n"));
  EXPECT_THAT(shown.out, HasSubstr("Risk score:           0 of 100\n"));
}

TEST_F(FindingAppTest, SetHomeToAnUnknownUnitExitsOneWithTheReason) {
  const RunResult result = Run({"devices", "set-home", "--serial=SN-1", "--unit=roof"});
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_EQ(result.err,
            "pumptrack: device with serial SN-1: unit: \"roof\" is not a unit of the policy's site "
            "(INVALID_ARGUMENT)\n");
}

// --- usage errors ----------------------------------------------------------------------------------------------------

class FindingUsageErrorTest : public FindingAppTest, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(FindingUsageErrorTest, PrintsOneLineExitsTwoAndSendsNothing) {
  const RunResult result = Run(GetParam().args);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.err, absl::StrCat("pumptrack: ", GetParam().error, " (see pumptrack --help)\n"));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(auth_.calls(), 0);
  EXPECT_EQ(inventory_.calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    CommandLines, FindingUsageErrorTest,
    ::testing::Values(
        UsageCase{{"findings"}, "A subcommand is required"},
        UsageCase{{"findings", "list", "--kind=lost"},
                  "--kind: 'lost' is not a finding kind; expected missing, misconfigured, insecure, tampered, "
                  "unauthorized_move, misrouted, overdue, par_low, vulnerable, maintenance_due, maintenance_overdue, "
                  "battery_degraded or battery_low_for_transport"},
        UsageCase{{"findings", "list", "--kind=unspecified"},
                  "--kind: 'unspecified' is not a finding kind; expected missing, misconfigured, insecure, tampered, "
                  "unauthorized_move, misrouted, overdue, par_low, vulnerable, maintenance_due, maintenance_overdue, "
                  "battery_degraded or battery_low_for_transport"},
        UsageCase{{"findings", "list", "--severity=urgent"},
                  "--severity: 'urgent' is not a severity; expected low, medium, high or critical"},
        UsageCase{{"findings", "list", "--state=closed"},
                  "--state: 'closed' is not a finding state; expected open, acknowledged or resolved"},
        UsageCase{{"findings", "list", "--limit=0"}, "--limit: '0' is not a whole number of at least 1"},
        UsageCase{{"findings", "get"}, "ID is required"}, UsageCase{{"findings", "ack", "F-1"}, "--note is required"},
        UsageCase{{"findings", "ack", "F-1", "--note= "}, "--note: must not be empty"},
        UsageCase{{"findings", "watch", "--kind=all"},
                  "--kind: 'all' is not a finding kind; expected missing, misconfigured, insecure, tampered, "
                  "unauthorized_move, misrouted, overdue, par_low, vulnerable, maintenance_due, maintenance_overdue, "
                  "battery_degraded or battery_low_for_transport"},
        UsageCase{{"risk", "--by=ward"}, "--by: 'ward' is not a risk grouping; expected unit, facility or device"},
        UsageCase{{"policy"}, "A subcommand is required"}, UsageCase{{"policy", "set"}, "FILE is required"},
        UsageCase{{"policy", "validate", "/nonexistent/policy.textproto"},
                  "FILE: File does not exist: /nonexistent/policy.textproto"},
        UsageCase{{"devices", "set-home", "PT-1"}, "--unit is required"}));

}  // namespace
}  // namespace pumptrack::cli
