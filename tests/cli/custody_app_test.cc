// The custody commands and `find-available` through the whole command line, against a fake CustodyService (and the
// fake InventoryService for `devices get`) on a real gRPC server: what each sends, what it prints, its exit code, and
// that bad command lines are usage errors that send nothing.
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_custody_service.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"
#include "tests/cli/run_cli.h"

namespace pumptrack::cli {
namespace {

using ::pumptrack::cli::testing::UsageCase;

using ::testing::ElementsAre;
using testing::FakeAuth;
using testing::FakeCustodyService;
using testing::FakeInventoryService;
using ::testing::HasSubstr;
using testing::kTestToken;
using testing::kTransportName;
using testing::Lines;
using testing::MakeDevice;
using ::testing::Not;
using testing::RunCli;
using testing::RunResult;
using ::testing::SizeIs;
using ::testing::StartsWith;
using testing::TestNow;
using testing::TestServer;

// Parses JSON output into `message`, failing the test when it does not parse.
template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

// A JSON array printed by the CLI, as the repeated `field` of `Wrapper`.
template <typename Wrapper>
Wrapper FromJsonArray(const std::string& field, const std::string& json) {
  return FromJson<Wrapper>(absl::StrCat("{\"", field, "\":", json, "}"));
}

// The value of the "Key:" line of a detail block, or "<missing>".
std::string Field(const std::string& out, const std::string& key) {
  for (const std::string& line : Lines(out)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, absl::StrCat(key, ":"))) return std::string(absl::StripAsciiWhitespace(rest));
  }
  return "<missing>";
}

class CustodyAppTest : public ::testing::Test {
 protected:
  CustodyAppTest() {
    environment_.now = TestNow();
    environment_.token = kTestToken;
    custody_.AddPump("PT-00001", "5-west", "S-1");
    custody_.AddPump("PT-00002", "5-west", "S-2");
    custody_.AddPump("PT-00003", "icu-1", "S-3");
  }

  // Runs `pumptrack --insecure --server <test server> <args...>`.
  RunResult Run(std::initializer_list<std::string> args) {
    std::vector<std::string> all = {"--insecure", "--server", server_.address()};
    all.insert(all.end(), args);
    return RunCli(all, environment_);
  }

  // Runs a command that must succeed.
  RunResult RunOk(std::initializer_list<std::string> args) {
    RunResult result = Run(args);
    EXPECT_EQ(result.exit_code, kExitOk) << result.err;
    return result;
  }

  // Runs a command that must fail with `error` on stderr (after "pumptrack: ") and print nothing else.
  void ExpectFailure(std::initializer_list<std::string> args, const std::string& error) {
    const RunResult result = Run(args);
    EXPECT_EQ(result.exit_code, kExitFailure);
    EXPECT_EQ(result.err, absl::StrCat("pumptrack: ", error, "\n"));
    EXPECT_EQ(result.out, "");
  }

  FakeAuth auth_;
  FakeInventoryService inventory_;
  FakeCustodyService custody_{auth_};
  TestServer server_{{&inventory_, &custody_}};
  Environment environment_;
};

// --- checkout --------------------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, CheckoutSendsEveryFieldAndNamesTheDestinationAndDueTime) {
  const RunResult result =
      RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=ICU surge", "--due=2d", "--permanent"});
  ASSERT_THAT(custody_.checkout_requests(), SizeIs(1));
  const v1::CheckOutRequest sent = custody_.checkout_requests()[0];
  EXPECT_EQ(sent.asset_tag(), "PT-00001");
  EXPECT_EQ(sent.destination_unit(), "icu-1");
  EXPECT_EQ(sent.reason(), "ICU surge");
  EXPECT_EQ(sent.due_in().seconds(), 2 * 24 * 3600);
  EXPECT_TRUE(sent.permanent_transfer());
  EXPECT_EQ(result.out,
            "Checked out PT-00001 from general/5-west to general/icu-1 (bob.transport), due 2026-12-01 10:05:00Z "
            "(in 2d), permanent transfer\n");
}

TEST_F(CustodyAppTest, CheckoutIsDueInFourHoursUnlessToldAndNotPermanent) {
  const RunResult result = RunOk({"custody", "checkout", "PT-00001", "--to", "icu-1", "--reason", "surgery"});
  const v1::CheckOutRequest sent = custody_.checkout_requests().at(0);
  EXPECT_EQ(sent.due_in().seconds(), 4 * 3600);
  EXPECT_FALSE(sent.permanent_transfer());
  EXPECT_THAT(result.out, HasSubstr("due 2026-11-29 14:05:00Z (in 4h)\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("permanent")));
}

TEST_F(CustodyAppTest, CheckoutAcceptsMinutesAndHours) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x", "--due=30m"});
  RunOk({"custody", "checkout", "PT-00002", "--to=icu-1", "--reason=x", "--due=1h30m"});
  ASSERT_THAT(custody_.checkout_requests(), SizeIs(2));
  EXPECT_EQ(custody_.checkout_requests()[0].due_in().seconds(), 30 * 60);
  EXPECT_EQ(custody_.checkout_requests()[1].due_in().seconds(), 90 * 60);
}

TEST_F(CustodyAppTest, CheckoutPrintsTheCustodyResultAsJson) {
  const RunResult result = RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x", "--output=json"});
  EXPECT_THAT(result.out, HasSubstr("\"state\": \"CUSTODY_STATE_IN_TRANSIT\""));
  EXPECT_THAT(result.out, HasSubstr("\"destinationUnit\": \"icu-1\""));
  const auto parsed = FromJson<v1::CustodyResult>(result.out);
  EXPECT_EQ(parsed.custody().holder(), kTransportName);
  EXPECT_EQ(parsed.event().action(), v1::CUSTODY_ACTION_CHECK_OUT);
  EXPECT_EQ(ToAbslTime(parsed.custody().due_at()), TestNow() + absl::Hours(4));
}

TEST_F(CustodyAppTest, CheckoutOfACheckedOutPumpIsAFailedPrecondition) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"});
  ExpectFailure({"custody", "checkout", "PT-00001", "--to=5-west", "--reason=y"},
                "device PT-00001: PT-00001 is in transit; cannot check-out it (FAILED_PRECONDITION)");
}

TEST_F(CustodyAppTest, CheckoutOfAnUnknownPumpIsNotFound) {
  ExpectFailure({"custody", "checkout", "PT-09999", "--to=icu-1", "--reason=x"},
                "device PT-09999 not found (NOT_FOUND)");
}

TEST_F(CustodyAppTest, CheckoutWithoutTheRoleIsPermissionDenied) {
  auth_.DenyAll(true);
  ExpectFailure({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"},
                "permission denied: device PT-00001: the caller may not use this method (PERMISSION_DENIED)");
}

TEST_F(CustodyAppTest, CheckoutToAUnitTheSiteLacksShowsTheServicesReason) {
  ExpectFailure({"custody", "checkout", "PT-00001", "--to=mars", "--reason=x"},
                "device PT-00001: destination_unit: the policy's site has no unit 'mars' (INVALID_ARGUMENT)");
}

TEST_F(CustodyAppTest, TheTokenIsSentWithEveryCustodyCall) {
  RunOk({"custody", "list"});
  EXPECT_THAT(auth_.headers(), ElementsAre(absl::StrCat("Bearer ", kTestToken)));
}

// --- checkin ---------------------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, CheckinWithTheRecordedSealPassesTheGate) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"});
  const RunResult result = RunOk({"custody", "checkin", "PT-00001", "--at=icu-1", "--seal=S-1", "--notes=all fine"});
  ASSERT_THAT(custody_.checkin_requests(), SizeIs(1));
  const v1::CheckInRequest sent = custody_.checkin_requests()[0];
  EXPECT_EQ(sent.asset_tag(), "PT-00001");
  EXPECT_EQ(sent.unit(), "icu-1");
  EXPECT_EQ(sent.observed_seal_id(), "S-1");
  EXPECT_EQ(sent.notes(), "all fine");
  EXPECT_EQ(result.out, "PASSED the check-in gate: PT-00001 is AVAILABLE at general/icu-1.\n");
}

TEST_F(CustodyAppTest, CheckinThatFailsTheGateSaysQuarantinedWithEveryReasonAndStillSucceeds) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"});
  custody_.SetGateFailures("PT-00001", {"firmware 11.4.0 is blocked", "open TAMPERED finding F-7"});
  const RunResult result = RunOk({"custody", "checkin", "PT-00001", "--at=icu-1", "--seal=S-9"});
  EXPECT_EQ(custody_.checkin_requests().at(0).notes(), "");
  EXPECT_THAT(Lines(result.out),
              ElementsAre("FAILED the check-in gate: PT-00001 is QUARANTINED at general/icu-1.",
                          "  - seal S-9 observed, S-1 recorded at check-out", "  - firmware 11.4.0 is blocked",
                          "  - open TAMPERED finding F-7",
                          "Do not use it. An asset manager releases it once resolved: pumptrack custody release "
                          "PT-00001"));
}

TEST_F(CustodyAppTest, CheckinPrintsTheGateFailuresInJson) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"});
  const RunResult result = RunOk({"--output=json", "custody", "checkin", "PT-00001", "--at=icu-1", "--seal=S-9"});
  EXPECT_THAT(result.out, HasSubstr("\"gateFailures\": ["));
  const auto parsed = FromJson<v1::CustodyResult>(result.out);
  EXPECT_EQ(parsed.custody().state(), v1::CUSTODY_STATE_QUARANTINED);
  EXPECT_THAT(parsed.event().gate_failures(), ElementsAre("seal S-9 observed, S-1 recorded at check-out"));
}

TEST_F(CustodyAppTest, CheckinOfAPumpNotCheckedOutIsAFailedPrecondition) {
  ExpectFailure({"custody", "checkin", "PT-00001", "--at=icu-1", "--seal=S-1"},
                "device PT-00001: PT-00001 is available; cannot check-in it (FAILED_PRECONDITION)");
}

// --- quarantine, release, maintenance, retire ------------------------------------------------------------------------

TEST_F(CustodyAppTest, QuarantineSendsTheReasonAndPrintsTheNewState) {
  const RunResult result = RunOk({"custody", "quarantine", "PT-00002", "--reason=cracked housing"});
  ASSERT_THAT(custody_.quarantine_requests(), SizeIs(1));
  EXPECT_EQ(custody_.quarantine_requests()[0].asset_tag(), "PT-00002");
  EXPECT_EQ(custody_.quarantine_requests()[0].reason(), "cracked housing");
  EXPECT_EQ(result.out, "PT-00002 is now quarantined (by bob.transport): cracked housing\n");
}

TEST_F(CustodyAppTest, ReleaseSendsNotesAndIsRefusedForAnAvailablePump) {
  ExpectFailure({"custody", "release", "PT-00002", "--notes=checked"},
                "device PT-00002: PT-00002 is available; cannot release it (FAILED_PRECONDITION)");

  RunOk({"custody", "quarantine", "PT-00002"});
  const RunResult result = RunOk({"custody", "release", "PT-00002", "--notes=housing replaced"});
  ASSERT_THAT(custody_.release_requests(), SizeIs(2));
  EXPECT_EQ(custody_.release_requests()[1].notes(), "housing replaced");
  EXPECT_EQ(result.out, "PT-00002 is now available (by bob.transport): housing replaced\n");
}

TEST_F(CustodyAppTest, MaintenanceSendsSetMaintenanceWithTheReason) {
  const RunResult result = RunOk({"custody", "maintenance", "PT-00003", "--reason=annual service"});
  ASSERT_THAT(custody_.maintenance_requests(), SizeIs(1));
  EXPECT_EQ(custody_.maintenance_requests()[0].asset_tag(), "PT-00003");
  EXPECT_EQ(custody_.maintenance_requests()[0].reason(), "annual service");
  EXPECT_EQ(result.out, "PT-00003 is now in maintenance (by bob.transport): annual service\n");
}

TEST_F(CustodyAppTest, RetireSaysTheCredentialsWipeWasRecorded) {
  const RunResult result = RunOk({"custody", "retire", "PT-00003", "--reason=end of life"});
  ASSERT_THAT(custody_.retire_requests(), SizeIs(1));
  EXPECT_EQ(custody_.retire_requests()[0].reason(), "end of life");
  EXPECT_THAT(Lines(result.out),
              ElementsAre("PT-00003 is now retired (by bob.transport): end of life",
                          "Recorded that PT-00003's network credentials were wiped (Wi-Fi keys, certificates, server "
                          "addresses) before it left service."));
  const RunResult again = Run({"custody", "retire", "PT-00003"});
  EXPECT_EQ(again.exit_code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("(FAILED_PRECONDITION)"));
}

TEST_F(CustodyAppTest, ActionsPrintJson) {
  const RunResult result = RunOk({"custody", "retire", "PT-00003", "--output=json"});
  const auto parsed = FromJson<v1::CustodyResult>(result.out);
  EXPECT_EQ(parsed.custody().state(), v1::CUSTODY_STATE_RETIRED);
  EXPECT_TRUE(parsed.event().credentials_wiped());
  EXPECT_THAT(result.out, HasSubstr("\"credentialsWiped\": true"));
}

TEST_F(CustodyAppTest, ActionsOnAnUnknownPumpAreNotFound) {
  for (const std::string verb : {"quarantine", "release", "maintenance", "retire", "history"}) {
    const RunResult result = Run({"custody", verb, "PT-09999"});
    EXPECT_EQ(result.exit_code, kExitFailure) << verb;
    EXPECT_EQ(result.err, "pumptrack: device PT-09999 not found (NOT_FOUND)\n") << verb;
  }
}

TEST_F(CustodyAppTest, ActionsWithoutTheRoleArePermissionDenied) {
  auth_.DenyAll(true);
  for (const std::string verb : {"quarantine", "release", "maintenance", "retire"}) {
    const RunResult result = Run({"custody", verb, "PT-00001"});
    EXPECT_EQ(result.exit_code, kExitFailure) << verb;
    EXPECT_THAT(result.err, StartsWith("pumptrack: permission denied: device PT-00001: ")) << verb;
  }
}

// --- history ---------------------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, HistoryFollowsEveryPageOldestFirst) {
  custody_.SetMaxHistoryPageSize(2);
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=surge", "--permanent"});
  RunOk({"custody", "checkin", "PT-00001", "--at=icu-1", "--seal=S-7"});
  RunOk({"custody", "release", "PT-00001", "--notes=resealed"});
  RunOk({"custody", "maintenance", "PT-00001"});
  RunOk({"custody", "retire", "PT-00001"});

  const RunResult result = RunOk({"custody", "history", "PT-00001"});
  EXPECT_THAT(custody_.history_requests(), SizeIs(3));
  EXPECT_EQ(custody_.history_requests()[1].page_token(), "2");
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(6));
  EXPECT_THAT(lines[0], StartsWith("#  AT                    ACTION       STATE"));
  EXPECT_THAT(lines[1], StartsWith("1  2026-11-29 10:05:00Z  check-out    available -> in transit"));
  EXPECT_THAT(lines[1], HasSubstr("bob.transport  general/5-west  to general/icu-1, due 2026-11-29 14:05:00Z, "
                                  "permanent transfer, \"surge\""));
  EXPECT_THAT(lines[2], HasSubstr("check-in     in transit -> quarantined"));
  EXPECT_THAT(lines[2], HasSubstr("seal S-7, gate failed: seal S-7 observed, S-1 recorded at check-out"));
  EXPECT_THAT(lines[3], HasSubstr("release      quarantined -> available"));
  EXPECT_THAT(lines[4], HasSubstr("maintenance  available -> in maintenance"));
  EXPECT_THAT(lines[5], HasSubstr("retire       in maintenance -> retired"));
  EXPECT_THAT(lines[5], HasSubstr("credentials wiped"));
}

TEST_F(CustodyAppTest, HistoryPrintsAJsonArrayOfEveryEvent) {
  custody_.SetMaxHistoryPageSize(1);
  RunOk({"custody", "quarantine", "PT-00002"});
  RunOk({"custody", "release", "PT-00002"});
  RunOk({"custody", "checkout", "PT-00002", "--to=icu-1", "--reason=x"});
  const RunResult result = RunOk({"custody", "history", "PT-00002", "--output=json"});
  const auto parsed = FromJsonArray<v1::GetCustodyHistoryResponse>("events", result.out);
  ASSERT_THAT(parsed.events(), SizeIs(3));
  EXPECT_EQ(parsed.events(0).index(), 1u);
  EXPECT_EQ(parsed.events(0).action(), v1::CUSTODY_ACTION_QUARANTINE);
  EXPECT_EQ(parsed.events(2).action(), v1::CUSTODY_ACTION_CHECK_OUT);
  EXPECT_THAT(result.out, HasSubstr("\"action\": \"CUSTODY_ACTION_RELEASE\""));
}

TEST_F(CustodyAppTest, HistoryAndListAsCsv) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=surge, night \"shift\"", "--due=1h"});
  const RunResult history = RunOk({"custody", "history", "PT-00001", "--output=csv"});
  EXPECT_EQ(history.out,
            "index,asset_tag,at,action,from_state,to_state,actor,facility,unit,destination_facility,destination_unit,"
            "due_at,permanent_transfer,reason,gate_failures\r\n"
            "1,PT-00001,2026-11-29T10:05:00Z,check-out,available,in transit,bob.transport,general,5-west,general,"
            "icu-1,2026-11-29T11:05:00Z,false,\"surge, night \"\"shift\"\"\",\r\n");
  const RunResult list = RunOk({"custody", "list", "--output=csv"});
  EXPECT_EQ(list.out,
            "asset_tag,holder,origin_facility,origin_unit,destination_facility,destination_unit,checked_out_at,due_at,"
            "overdue,facility,unit,room\r\n"
            "PT-00001,bob.transport,general,5-west,general,icu-1,2026-11-29T10:05:00Z,2026-11-29T11:05:00Z,false,"
            "general,5-west,\r\n");
  EXPECT_EQ(RunOk({"custody", "history", "PT-00003", "--output=csv"}).out,
            "index,asset_tag,at,action,from_state,to_state,actor,facility,unit,destination_facility,destination_unit,"
            "due_at,permanent_transfer,reason,gate_failures\r\n");
}

TEST_F(CustodyAppTest, HistoryOfAPumpWithoutEventsSaysSo) {
  EXPECT_EQ(RunOk({"custody", "history", "PT-00003"}).out, "No custody events for PT-00003.\n");
  EXPECT_EQ(RunOk({"custody", "history", "PT-00003", "--output=json"}).out, "[]\n");
}

// --- list ------------------------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, ListShowsOpenCheckoutsAndMarksOverdueOnes) {
  RunOk({"custody", "checkout", "PT-00002", "--to=icu-1", "--reason=night shift", "--due=1d"});
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=surge", "--due=1h"});
  custody_.SetNow(TestNow() + absl::Hours(2));
  environment_.now = TestNow() + absl::Hours(2);

  const RunResult all = RunOk({"custody", "list"});
  EXPECT_FALSE(custody_.list_requests().at(0).overdue_only());
  const std::vector<std::string> lines = Lines(all.out);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines[0],
              StartsWith("TAG       HOLDER         FROM            TO             CHECKED OUT           DUE"));
  EXPECT_THAT(lines[1], StartsWith("PT-00001  bob.transport  general/5-west  general/icu-1  2026-11-29 10:05:00Z  "
                                   "OVERDUE 1h"));
  EXPECT_THAT(lines[1], HasSubstr("surge"));
  EXPECT_THAT(lines[2], StartsWith("PT-00002"));
  EXPECT_THAT(lines[2], HasSubstr("in 22h"));

  const RunResult overdue = RunOk({"custody", "list", "--overdue"});
  EXPECT_TRUE(custody_.list_requests().at(1).overdue_only());
  EXPECT_THAT(Lines(overdue.out), SizeIs(2));
  EXPECT_THAT(overdue.out, HasSubstr("PT-00001"));
  EXPECT_THAT(overdue.out, Not(HasSubstr("PT-00002")));
}

TEST_F(CustodyAppTest, ListPrintsAJsonArrayOfCheckedOutPumps) {
  RunOk({"custody", "checkout", "PT-00001", "--to=icu-1", "--reason=x"});
  const RunResult result = RunOk({"custody", "list", "--output=json"});
  const auto parsed = FromJsonArray<v1::ListCustodyResponse>("checkouts", result.out);
  ASSERT_THAT(parsed.checkouts(), SizeIs(1));
  EXPECT_EQ(parsed.checkouts(0).asset_tag(), "PT-00001");
  EXPECT_THAT(result.out, HasSubstr("\"overdue\": false"));
}

TEST_F(CustodyAppTest, AnEmptyListSaysSo) {
  EXPECT_EQ(RunOk({"custody", "list"}).out, "No pumps are checked out.\n");
  EXPECT_EQ(RunOk({"custody", "list", "--overdue"}).out, "No overdue check-outs.\n");
  EXPECT_EQ(RunOk({"custody", "list", "--output=json"}).out, "[]\n");
}

TEST_F(CustodyAppTest, ListWithoutPermissionIsDenied) {
  auth_.DenyAll(true);
  ExpectFailure({"custody", "list"},
                "permission denied: custody list: the caller may not use this method (PERMISSION_DENIED)");
}

// --- find-available --------------------------------------------------------------------------------------------------

v1::AvailablePump Available(const std::string& tag, const std::string& unit, const std::string& room,
                            v1::Proximity proximity, absl::Duration last_seen_ago) {
  v1::AvailablePump pump;
  pump.set_asset_tag(tag);
  pump.set_model("Infusia 500");
  pump.mutable_location()->set_facility("general");
  pump.mutable_location()->set_unit(unit);
  pump.mutable_location()->set_room(room);
  pump.set_proximity(proximity);
  *pump.mutable_last_seen_at() = ToProtoTimestamp(TestNow() - last_seen_ago);
  return pump;
}

class FindAvailableTest : public CustodyAppTest {
 protected:
  FindAvailableTest() {
    v1::FindAvailableResponse response;
    *response.add_pumps() = Available("PT-00003", "icu-1", "101", v1::PROXIMITY_SAME_UNIT, absl::Seconds(30));
    *response.add_pumps() = Available("PT-00007", "5-west", "512", v1::PROXIMITY_SAME_FLOOR, absl::Minutes(3));
    response.set_par_level(4);
    response.set_available_in_unit(1);
    custody_.SetAvailable(response);
  }
};

TEST_F(FindAvailableTest, ShowsProximityPlaceLastSeenAndThePar) {
  const RunResult result = RunOk({"find-available", "--near=icu-1", "--count=3"});
  ASSERT_THAT(custody_.find_requests(), SizeIs(1));
  EXPECT_EQ(custody_.find_requests()[0].near_unit(), "icu-1");
  EXPECT_EQ(custody_.find_requests()[0].count(), 3);
  EXPECT_THAT(Lines(result.out), ElementsAre("TAG       MODEL        PROXIMITY   FACILITY/UNIT/ROOM  LAST SEEN",
                                             "PT-00003  Infusia 500  same unit   general/icu-1/101   30s ago",
                                             "PT-00007  Infusia 500  same floor  general/5-west/512  3m ago",
                                             "icu-1: 1 available, PAR level 4 (below PAR)"));
}

TEST_F(FindAvailableTest, AsCsvListsThePumpsWithoutTheParLine) {
  const RunResult result = RunOk({"find-available", "--near=icu-1", "--output=csv"});
  EXPECT_EQ(result.out,
            "asset_tag,model,proximity,facility,unit,room,last_seen_at\r\n"
            "PT-00003,Infusia 500,same unit,general,icu-1,101,2026-11-29T10:04:30Z\r\n"
            "PT-00007,Infusia 500,same floor,general,5-west,512,2026-11-29T10:02:00Z\r\n");
}

TEST_F(FindAvailableTest, CountIsTheServicesDefaultUnlessGiven) {
  RunOk({"find-available", "--near", "icu-1"});
  EXPECT_EQ(custody_.find_requests().at(0).count(), 0);
}

TEST_F(FindAvailableTest, PrintsTheWholeResponseAsJson) {
  const RunResult result = RunOk({"find-available", "--near=icu-1", "--output=json"});
  EXPECT_THAT(result.out, HasSubstr("\"parLevel\": 4"));
  EXPECT_THAT(result.out, HasSubstr("\"availableInUnit\": 1"));
  EXPECT_THAT(result.out, HasSubstr("\"proximity\": \"PROXIMITY_SAME_FLOOR\""));
  const auto parsed = FromJson<v1::FindAvailableResponse>(result.out);
  ASSERT_THAT(parsed.pumps(), SizeIs(2));
  EXPECT_EQ(parsed.pumps(0).asset_tag(), "PT-00003");
}

TEST_F(FindAvailableTest, AUnitWithoutParOrPumpsSaysSo) {
  v1::FindAvailableResponse none;
  custody_.SetAvailable(none);
  EXPECT_EQ(RunOk({"find-available", "--near=5-west"}).out, "No available pumps.\n5-west: 0 available, no PAR level\n");
}

TEST_F(FindAvailableTest, AnUnknownUnitShowsTheServicesReason) {
  ExpectFailure({"find-available", "--near=mars"},
                "unit mars: near_unit: the policy's site has no unit 'mars' (INVALID_ARGUMENT)");
}

// --- devices get -----------------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, DevicesGetShowsTheHolderDestinationAndDueTimeOfAPumpInTransit) {
  v1::Device device = MakeDevice("PT-00001", "SN-1", "Infusia 500", "12.1.3", "general", "5-west", "501",
                                 v1::OPERATING_STATE_IDLE, absl::Seconds(5));
  v1::Custody& custody = *device.mutable_custody();
  custody.set_state(v1::CUSTODY_STATE_IN_TRANSIT);
  custody.set_holder(kTransportName);
  custody.set_origin_facility("general");
  custody.set_origin_unit("5-west");
  custody.set_destination_facility("general");
  custody.set_destination_unit("icu-1");
  custody.set_reason("ICU surge");
  custody.set_permanent_transfer(true);
  *custody.mutable_checked_out_at() = ToProtoTimestamp(TestNow() - absl::Hours(5));
  *custody.mutable_due_at() = ToProtoTimestamp(TestNow() - absl::Hours(1));
  inventory_.AddDevice(device);

  const RunResult result = RunOk({"devices", "get", "PT-00001"});
  EXPECT_EQ(Field(result.out, "Custody"), "in transit");
  EXPECT_EQ(Field(result.out, "Holder"), "bob.transport");
  EXPECT_EQ(Field(result.out, "Checked out from"), "general/5-west");
  EXPECT_EQ(Field(result.out, "Destination"), "general/icu-1 (permanent transfer)");
  EXPECT_EQ(Field(result.out, "Due"), "2026-11-29 09:05:00Z (1h ago) OVERDUE");
  EXPECT_EQ(Field(result.out, "Reason"), "ICU surge");

  const RunResult json = RunOk({"devices", "get", "PT-00001", "--output=json"});
  EXPECT_THAT(json.out, HasSubstr("\"state\": \"CUSTODY_STATE_IN_TRANSIT\""));
  EXPECT_EQ(FromJson<v1::Device>(json.out).custody().holder(), kTransportName);
}

TEST_F(CustodyAppTest, DevicesGetShowsQuarantineReasonsAndAPumpNobodyRecordedAsAvailable) {
  v1::Device quarantined = MakeDevice("PT-00001", "SN-1", "Infusia 500", "12.1.3", "general", "5-west", "501",
                                      v1::OPERATING_STATE_IDLE, absl::Seconds(5));
  quarantined.mutable_custody()->set_state(v1::CUSTODY_STATE_QUARANTINED);
  quarantined.mutable_custody()->add_quarantine_reasons("seal broken");
  quarantined.mutable_custody()->add_quarantine_reasons("firmware blocked");
  inventory_.AddDevice(quarantined);
  inventory_.AddDevice(MakeDevice("PT-00002", "SN-2", "Infusia 500", "12.1.3", "general", "5-west", "502",
                                  v1::OPERATING_STATE_IDLE, absl::Seconds(5)));

  const RunResult result = RunOk({"devices", "get", "PT-00001"});
  EXPECT_EQ(Field(result.out, "Custody"), "quarantined");
  EXPECT_EQ(Field(result.out, "Quarantined for"), "seal broken; firmware blocked");
  EXPECT_EQ(Field(result.out, "Holder"), "<missing>");

  EXPECT_EQ(Field(RunOk({"devices", "get", "PT-00002"}).out, "Custody"), "available");
  const RunResult json = RunOk({"devices", "get", "PT-00002", "--output=json"});
  EXPECT_THAT(json.out, HasSubstr("\"state\": \"CUSTODY_STATE_AVAILABLE\""));
}

// --- help and usage errors -------------------------------------------------------------------------------------------

TEST_F(CustodyAppTest, HelpListsTheCustodyVerbsAndFindAvailable) {
  const RunResult top = RunOk({"--help"});
  EXPECT_THAT(top.out, HasSubstr("custody"));
  EXPECT_THAT(top.out, HasSubstr("find-available"));
  const RunResult custody = RunOk({"custody", "--help"});
  for (const char* verb :
       {"checkout", "checkin", "history", "list", "quarantine", "release", "maintenance", "retire"}) {
    EXPECT_THAT(custody.out, HasSubstr(absl::StrCat("  ", verb, " "))) << verb;
  }
  EXPECT_THAT(RunOk({"custody", "checkout", "--help"}).out, HasSubstr("--due DURATION=4h"));
}

class CustodyUsageErrorTest : public CustodyAppTest, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(CustodyUsageErrorTest, PrintsOneLineExitsTwoAndSendsNothing) {
  std::vector<std::string> args = {"--insecure", "--server", server_.address()};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  const RunResult result = RunCli(args, environment_);
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_EQ(result.err, absl::StrCat("pumptrack: ", GetParam().error, " (see pumptrack --help)\n"));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(custody_.calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    CommandLines, CustodyUsageErrorTest,
    ::testing::Values(
        UsageCase{{"custody"}, "A subcommand is required"},
        UsageCase{{"custody", "lend", "PT-1"}, "A subcommand is required"},
        UsageCase{{"custody", "checkout", "--to=icu-1", "--reason=x"}, "TAG is required"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1"}, "--reason is required"},
        UsageCase{{"custody", "checkout", "PT-1", "--reason=x"}, "--to is required"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1", "--reason= "}, "--reason: must not be empty"},
        UsageCase{{"custody", "checkout", "PT-1", "--to", "", "--reason=x"}, "--to: must not be empty"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1", "--reason=x", "--due=soon"},
                  "--due: 'soon' is not a duration; expected e.g. 30s, 15m, 1h30m or 7d"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1", "--reason=x", "--due=30s"},
                  "--due: '30s' is out of range; a check-out is due in 1m to 30d"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1", "--reason=x", "--due=31d"},
                  "--due: '31d' is out of range; a check-out is due in 1m to 30d"},
        UsageCase{{"custody", "checkout", "PT-1", "--to=icu-1", "--reason=x", "--due=-2h"},
                  "--due: duration '-2h' must be finite and above zero"},
        UsageCase{{"custody", "checkin", "PT-1", "--at=icu-1"}, "--seal is required"},
        UsageCase{{"custody", "checkin", "PT-1", "--seal=S-1"}, "--at is required"},
        UsageCase{{"custody", "checkin", "--at=icu-1", "--seal=S-1"}, "TAG is required"},
        UsageCase{{"custody", "checkin", "PT-1", "--at=icu-1", "--seal= "}, "--seal: must not be empty"},
        UsageCase{{"custody", "checkin", "PT-1", "--at=icu-1", "--seal="}, "--seal: 1 required ID missing"},
        UsageCase{{"custody", "history"}, "TAG is required"}, UsageCase{{"custody", "quarantine"}, "TAG is required"},
        UsageCase{{"custody", "retire", ""}, "TAG: must not be empty"},
        UsageCase{{"custody", "release", "PT-1", "--reason=x"}, "The following argument was not expected: --reason=x"},
        UsageCase{{"custody", "list", "PT-1"}, "The following argument was not expected: PT-1"},
        UsageCase{{"find-available"}, "--near is required"},
        UsageCase{{"find-available", "--near=icu-1", "--count=0"}, "--count: Value 0 not in range 1 to 100"},
        UsageCase{{"find-available", "--near=icu-1", "--count=101"}, "--count: Value 101 not in range 1 to 100"},
        UsageCase{{"find-available", "--near", " "}, "--near: must not be empty"}));

}  // namespace
}  // namespace pumptrack::cli
