// Custody inside the service: the real writer thread, real RocksDB, the finding engine and an injected clock.
#include "engine/custody_runtime.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/custody_store.h"
#include "tests/findings/engine_test_fixture.h"

namespace pumptrack::engine {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const storage::Actor kTransporter{v1::ACTOR_KIND_TOKEN, "tom.transport"};
const storage::Actor kManager{v1::ACTOR_KIND_TOKEN, "alice.manager"};
const storage::Actor kAdmin{v1::ACTOR_KIND_TOKEN, "root.admin"};

// A compliant pump `tag` reporting from `unit` (home 5-west) in `state`.
v1::Device Pump(const std::string& tag, const std::string& unit = "5-west",
                v1::OperatingState state = v1::OPERATING_STATE_IDLE) {
  v1::Device device = rules::testing::CompliantDevice();
  device.mutable_identity()->set_asset_tag(tag);
  device.mutable_identity()->set_serial_number("SN-" + tag);
  v1::Observation& o = *device.mutable_last_observation();
  *o.mutable_identity() = device.identity();
  o.mutable_location()->set_unit(unit);
  o.mutable_location()->set_room(unit + "-1");
  o.set_operating_state(state);
  return device;
}

class CustodyTest : public FindingsEngineTest {
 protected:
  void Open(std::size_t watcher_capacity = 1024) override {
    FindingsEngineTest::Open(watcher_capacity);
    custody_store_ = std::make_unique<storage::CustodyStore>(db_.get());
    custody_ = std::make_unique<CustodyRuntime>(db_.get(), devices_.get(), custody_store_.get(), audit_.get(),
                                                engine_.get(), ingest_.get(), fleet_.get());
    ASSERT_TRUE(custody_->Load(absl::ZeroDuration()).ok());
  }
  void Close() override {
    if (custody_) custody_->Stop();
    custody_.reset();
    custody_store_.reset();
    FindingsEngineTest::Close();
  }
  void SetUp() override {
    FindingsEngineTest::SetUp();
    SetPolicy(rules::testing::kPolicyText);
  }

  absl::StatusOr<v1::CustodyResult> CheckOut(const std::string& tag, const std::string& to = "icu-1",
                                             absl::Duration due = absl::Hours(2), bool permanent = false) {
    return custody_->Act({.asset_tag = tag,
                          .action = v1::CUSTODY_ACTION_CHECK_OUT,
                          .unit = to,
                          .reason = "ICU needs a pump",
                          .due_in = due,
                          .permanent_transfer = permanent},
                         kTransporter);
  }
  absl::StatusOr<v1::CustodyResult> CheckIn(const std::string& tag, const std::string& at = "icu-1",
                                            const std::string& seal = "S-1") {
    return custody_->Act(
        {.asset_tag = tag, .action = v1::CUSTODY_ACTION_CHECK_IN, .unit = at, .reason = "ok", .observed_seal_id = seal},
        kTransporter);
  }
  absl::StatusOr<v1::CustodyResult> Simple(const std::string& tag, v1::CustodyAction action,
                                           const storage::Actor& actor = kAdmin) {
    return custody_->Act({.asset_tag = tag, .action = action, .reason = "by hand"}, actor);
  }
  v1::CustodyState StateOf(const std::string& tag) {
    absl::StatusOr<v1::Device> device = devices_->GetDevice(tag);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.ok() ? rules::CustodyStateOf(*device) : v1::CUSTODY_STATE_UNSPECIFIED;
  }
  std::vector<v1::CustodyEvent> History(const std::string& tag) {
    absl::StatusOr<storage::CustodyHistoryPage> page = custody_->History(tag, 0, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->events : std::vector<v1::CustodyEvent>{};
  }
  std::vector<std::string> OpenRulesOf(const std::string& tag) {
    std::vector<std::string> rules;
    for (const v1::Finding& f : List()) {
      if (f.asset_tag() == tag) rules.push_back(f.rule());
    }
    return rules;
  }

  std::unique_ptr<storage::CustodyStore> custody_store_;
  std::unique_ptr<CustodyRuntime> custody_;
};

TEST_F(CustodyTest, CheckOutAndCheckInRecordTheChainOfCustodyWithAuditEntries) {
  Report(Pump("PT-1"));
  const std::uint64_t audit_before = audit_->size();
  absl::StatusOr<v1::CustodyResult> out = CheckOut("PT-1");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->custody().state(), v1::CUSTODY_STATE_IN_TRANSIT);
  EXPECT_EQ(out->custody().holder(), "tom.transport");
  EXPECT_EQ(out->custody().origin_unit(), "5-west");
  EXPECT_EQ(out->custody().destination_unit(), "icu-1");
  EXPECT_EQ(out->custody().recorded_seal_id(), "S-1");
  EXPECT_EQ(testing_support::FromTimestamp(out->custody().due_at()), Now() + absl::Hours(2));
  EXPECT_EQ(Gauge("pumptrack_checkouts_open", {}), 1);

  Advance(absl::Minutes(10));
  v1::Device moved = Pump("PT-1", "icu-1");
  Report(moved);
  absl::StatusOr<v1::CustodyResult> in = CheckIn("PT-1");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_AVAILABLE);
  EXPECT_THAT(in->event().gate_failures(), IsEmpty());
  EXPECT_EQ(in->custody().placed_unit(), "icu-1");
  EXPECT_EQ(in->custody().holder(), "");
  EXPECT_EQ(Gauge("pumptrack_checkouts_open", {}), 0);

  const std::vector<v1::CustodyEvent> history = History("PT-1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].index(), 1u);
  EXPECT_EQ(history[0].action(), v1::CUSTODY_ACTION_CHECK_OUT);
  EXPECT_EQ(history[0].actor(), "tom.transport");
  EXPECT_EQ(history[0].unit(), "5-west");
  EXPECT_EQ(history[0].destination_unit(), "icu-1");
  EXPECT_EQ(history[1].index(), 2u);
  EXPECT_EQ(history[1].action(), v1::CUSTODY_ACTION_CHECK_IN);
  EXPECT_EQ(history[1].from_state(), v1::CUSTODY_STATE_IN_TRANSIT);
  EXPECT_EQ(history[1].to_state(), v1::CUSTODY_STATE_AVAILABLE);
  EXPECT_EQ(history[1].observed_seal_id(), "S-1");
  EXPECT_GT(testing_support::FromTimestamp(history[1].at()), testing_support::FromTimestamp(history[0].at()));

  // One audit entry per action, chained.
  ASSERT_EQ(audit_->size(), audit_before + 2);
  absl::StatusOr<storage::AuditPage> audit = audit_->List(absl::InfinitePast(), absl::InfiniteFuture(), "", 0, 1000);
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_GE(audit->entries.size(), 2u);
  const v1::AuditEntry& check_in = audit->entries.back();
  const v1::AuditEntry& check_out = audit->entries[audit->entries.size() - 2];
  EXPECT_EQ(check_out.action(), "custody.check_out");
  EXPECT_EQ(check_out.target(), "PT-1");
  EXPECT_EQ(check_out.actor(), "tom.transport");
  EXPECT_EQ(check_in.action(), "custody.check_in");
  EXPECT_EQ(check_in.previous_hash(), check_out.hash());
  absl::StatusOr<v1::VerifyAuditResponse> verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->reason();

  // Placed in icu-1 by the check-in: staying there is not an unauthorized move.
  Report(Pump("PT-1", "icu-1"));
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
}

TEST_F(CustodyTest, EveryRefusedTransitionIsFailedPreconditionAndStoresNothing) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1").ok());
  const std::uint64_t audit_before = audit_->size();
  for (v1::CustodyAction action : {v1::CUSTODY_ACTION_CHECK_OUT, v1::CUSTODY_ACTION_RELEASE,
                                   v1::CUSTODY_ACTION_SET_MAINTENANCE, v1::CUSTODY_ACTION_RETIRE}) {
    absl::StatusOr<v1::CustodyResult> refused =
        action == v1::CUSTODY_ACTION_CHECK_OUT ? CheckOut("PT-1") : Simple("PT-1", action);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << v1::CustodyAction_Name(action);
    EXPECT_THAT(refused.status().message(), HasSubstr("IN_TRANSIT"));
  }
  EXPECT_EQ(History("PT-1").size(), 1u);
  EXPECT_EQ(audit_->size(), audit_before);
  EXPECT_EQ(StateOf("PT-1"), v1::CUSTODY_STATE_IN_TRANSIT);

  // Quarantined and retired pumps cannot be checked out either; retired is final.
  ASSERT_TRUE(Simple("PT-1", v1::CUSTODY_ACTION_QUARANTINE, kManager).ok());
  EXPECT_EQ(CheckOut("PT-1").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Simple("PT-1", v1::CUSTODY_ACTION_RETIRE).ok());
  for (v1::CustodyAction action : {v1::CUSTODY_ACTION_QUARANTINE, v1::CUSTODY_ACTION_RELEASE,
                                   v1::CUSTODY_ACTION_SET_MAINTENANCE, v1::CUSTODY_ACTION_RETIRE}) {
    EXPECT_EQ(Simple("PT-1", action).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(CheckOut("PT-1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckIn("PT-1").status().code(), absl::StatusCode::kFailedPrecondition);
  const std::vector<v1::CustodyEvent> history = History("PT-1");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(history[2].credentials_wiped());
  EXPECT_EQ(history[2].to_state(), v1::CUSTODY_STATE_RETIRED);

  EXPECT_EQ(CheckOut("PT-404").status().code(), absl::StatusCode::kNotFound);
  Report(Pump("PT-2"));
  EXPECT_EQ(CheckOut("PT-2", "mars").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(History("PT-2"), IsEmpty());
}

TEST_F(CustodyTest, OfManyConcurrentCheckOutsOfOnePumpExactlyOneSucceeds) {
  Report(Pump("PT-1"));
  constexpr int kRacers = 16;
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&] {
      absl::StatusOr<v1::CustodyResult> result = CheckOut("PT-1");
      if (result.ok()) ++succeeded;
      if (result.status().code() == absl::StatusCode::kFailedPrecondition) ++refused;
    });
  }
  for (std::thread& t : racers) t.join();
  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(refused.load(), kRacers - 1);
  EXPECT_EQ(History("PT-1").size(), 1u);
}

TEST_F(CustodyTest, MovingWhileCheckedOutIsExpectedButAnotherUnitIsMisrouted) {
  Report(Pump("PT-1"));
  Report(Pump("PT-1", "icu-1"));
  EXPECT_THAT(OpenRulesOf("PT-1"), ElementsAre("move.outside_home_unit"));
  // Back home, then checked out to icu-1: on the way and at the destination nothing is flagged.
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1").ok());
  Report(Pump("PT-1", "icu-1"));
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
  // Reporting from a unit that is neither origin nor destination.
  Report(Pump("PT-1", "biomed"));
  EXPECT_THAT(OpenRulesOf("PT-1"), ElementsAre("custody.misrouted"));
  const std::vector<v1::Finding> open = List();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind(), v1::FINDING_KIND_MISROUTED);
  EXPECT_THAT(open[0].reason(), HasSubstr("tom.transport"));
  Report(Pump("PT-1", "icu-1"));
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
}

TEST_F(CustodyTest, NotCheckedInByTheDueTimeIsOverdueUntilCheckedIn) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1", "icu-1", absl::Minutes(30)).ok());
  ASSERT_TRUE(custody_->Sweep().ok());
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
  Advance(absl::Minutes(31));
  ASSERT_TRUE(custody_->Sweep().ok());  // no report needed: the sweep re-evaluates the silent pump
  EXPECT_THAT(OpenRulesOf("PT-1"), ElementsAre("custody.overdue"));
  EXPECT_EQ(Gauge("pumptrack_checkouts_overdue", {}), 1);
  absl::StatusOr<std::vector<v1::CheckedOutPump>> overdue = custody_->ListCheckouts(/*overdue_only=*/true);
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->size(), 1u);
  EXPECT_TRUE((*overdue)[0].overdue());
  ASSERT_TRUE(CheckIn("PT-1", "5-west").ok());
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
  EXPECT_EQ(Gauge("pumptrack_checkouts_overdue", {}), 0);
  ASSERT_TRUE(custody_->ListCheckouts(false).ok());
  EXPECT_THAT(*custody_->ListCheckouts(false), IsEmpty());
}

TEST_F(CustodyTest, ListCustodySortsOpenCheckOutsByDueTimeAndSurvivesARestart) {
  Report(Pump("PT-1"));
  Report(Pump("PT-2"));
  ASSERT_TRUE(CheckOut("PT-1", "icu-1", absl::Hours(3)).ok());
  ASSERT_TRUE(CheckOut("PT-2", "icu-1", absl::Hours(1)).ok());
  Reopen();
  absl::StatusOr<std::vector<v1::CheckedOutPump>> open = custody_->ListCheckouts(false);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].asset_tag(), "PT-2");
  EXPECT_EQ((*open)[1].asset_tag(), "PT-1");
  EXPECT_EQ(Gauge("pumptrack_checkouts_open", {}), 2);
  EXPECT_EQ(CheckOut("PT-1").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CustodyTest, CheckInWithAnotherSealIsQuarantinedAndRaisesTampered) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1").ok());
  absl::StatusOr<v1::CustodyResult> in = CheckIn("PT-1", "icu-1", "S-999");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_QUARANTINED);
  ASSERT_EQ(in->event().gate_failures_size(), 1);
  EXPECT_THAT(in->event().gate_failures(0), HasSubstr("S-999"));
  EXPECT_THAT(in->custody().quarantine_reasons(), ElementsAre(HasSubstr("S-999")));
  EXPECT_THAT(OpenRulesOf("PT-1"), Contains("custody.seal_mismatch"));
  // The one-off TAMPERED finding blocks release until someone acknowledges it.
  absl::StatusOr<v1::CustodyResult> release = Simple("PT-1", v1::CUSTODY_ACTION_RELEASE, kManager);
  EXPECT_EQ(release.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(release.status().message(), HasSubstr("custody.seal_mismatch"));
  std::string id;
  for (const v1::Finding& f : List()) {
    if (f.rule() == "custody.seal_mismatch") id = f.id();
  }
  ASSERT_TRUE(runtime_->Acknowledge(id, "resealed after inspection", kManager).ok());
  ASSERT_TRUE(Simple("PT-1", v1::CUSTODY_ACTION_RELEASE, kManager).ok());
  EXPECT_EQ(StateOf("PT-1"), v1::CUSTODY_STATE_AVAILABLE);
}

TEST_F(CustodyTest, TheGateNamesEveryReasonAPumpMayNotGoBackIntoService) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1").ok());
  v1::Device bad = WithTelnet(Pump("PT-1", "icu-1"));
  bad.mutable_last_observation()->set_firmware_version("11.9.9");  // blocked
  bad.mutable_last_observation()->mutable_physical()->set_seal_state(v1::SEAL_STATE_BROKEN);
  Report(bad);
  absl::StatusOr<v1::CustodyResult> in = CheckIn("PT-1");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_QUARANTINED);
  const auto& failures = in->event().gate_failures();
  EXPECT_THAT(failures, Contains(HasSubstr("BROKEN")));
  EXPECT_THAT(failures, Contains(HasSubstr("security.forbidden_service.telnet")));
  EXPECT_THAT(failures, Contains(HasSubstr("firmware.blocked")));
  EXPECT_THAT(failures, Not(Contains(HasSubstr("came back with seal"))));  // the seal id itself matched
  // Fixed and reported again: the state findings resolve, but the one-off downgrade finding stays until a person
  // acknowledges it, and until then the pump cannot be released.
  Report(Pump("PT-1", "icu-1"));
  absl::StatusOr<v1::CustodyResult> refused = Simple("PT-1", v1::CUSTODY_ACTION_RELEASE, kManager);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("firmware.downgraded"));
  for (const v1::Finding& f : List()) {
    ASSERT_TRUE(runtime_->Acknowledge(f.id(), "inspected and updated", kManager).ok());
  }
  ASSERT_TRUE(Simple("PT-1", v1::CUSTODY_ACTION_RELEASE, kManager).ok());
  EXPECT_EQ(StateOf("PT-1"), v1::CUSTODY_STATE_AVAILABLE);
}

TEST_F(CustodyTest, APermanentTransferMakesTheCheckInUnitHome) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(CheckOut("PT-1", "icu-1", absl::Hours(2), /*permanent=*/true).ok());
  Report(Pump("PT-1", "icu-1"));
  ASSERT_TRUE(CheckIn("PT-1").ok());
  absl::StatusOr<v1::Device> device = devices_->GetDevice("PT-1");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->home_unit(), "icu-1");
  EXPECT_EQ(device->home_source(), v1::HOME_SOURCE_ASSIGNED);
  // Home now is icu-1: back in 5-west is the unauthorized move.
  Report(Pump("PT-1", "5-west"));
  EXPECT_THAT(OpenRulesOf("PT-1"), ElementsAre("move.outside_home_unit"));
}

TEST_F(CustodyTest, FindAvailableListsNearestThenFreshestAndSkipsPumpsNotAvailable) {
  // 5-west is floor 5; icu-1 and biomed are floor 1 of the same building.
  Report(Pump("PT-A", "biomed"));  // same floor as icu-1
  Report(Pump("PT-B", "5-west"));  // same building, other floor
  Advance(absl::Seconds(5));
  Report(Pump("PT-C", "icu-1"));                                // same unit
  Report(Pump("PT-D", "icu-1", v1::OPERATING_STATE_INFUSING));  // in use
  Report(Pump("PT-E", "icu-1"));
  Advance(absl::Seconds(5));
  Report(Pump("PT-F", "icu-1"));                 // same unit, freshest
  ASSERT_TRUE(CheckOut("PT-E", "5-west").ok());  // in transit
  const v1::Unit* icu = engine_->policy()->FindUnitAnywhere("icu-1");
  ASSERT_NE(icu, nullptr);
  std::vector<std::string> order;
  std::vector<v1::Proximity> proximity;
  for (const FindingEngine::AvailablePump& pump : engine_->FindAvailable(*icu, 10)) {
    order.push_back(pump.asset_tag);
    proximity.push_back(pump.proximity);
  }
  EXPECT_THAT(order, ElementsAre("PT-F", "PT-C", "PT-A", "PT-B"));
  EXPECT_THAT(proximity, ElementsAre(v1::PROXIMITY_SAME_UNIT, v1::PROXIMITY_SAME_UNIT, v1::PROXIMITY_SAME_FLOOR,
                                     v1::PROXIMITY_SAME_BUILDING));
  absl::StatusOr<v1::FindAvailableResponse> two = custody_->FindAvailable("icu-1", 2);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->pumps_size(), 2);
  EXPECT_EQ(two->pumps(0).asset_tag(), "PT-F");
  EXPECT_EQ(two->pumps(0).model(), "Infusia 500");
  EXPECT_EQ(two->available_in_unit(), 2u);
  EXPECT_EQ(custody_->FindAvailable("mars", 2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CustodyTest, AUnitBelowItsParLevelHasAParLowFindingAndMetrics) {
  // 5-west has PAR level 4.
  for (const char* tag : {"PT-1", "PT-2", "PT-3"}) Report(Pump(tag));
  ASSERT_TRUE(custody_->Sweep().ok());
  std::vector<v1::Finding> open = List();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind(), v1::FINDING_KIND_PAR_LOW);
  EXPECT_EQ(open[0].asset_tag(), "");
  EXPECT_EQ(open[0].unit(), "5-west");
  EXPECT_THAT(open[0].reason(), HasSubstr("3 available"));
  EXPECT_EQ(Gauge("pumptrack_unit_available", {{"unit", "5-west"}}), 3);
  EXPECT_EQ(Gauge("pumptrack_unit_par_level", {{"unit", "5-west"}}), 4);
  EXPECT_EQ(Gauge("pumptrack_unit_available", {{"unit", "icu-1"}}), -1);  // no series for a unit without pumps

  Report(Pump("PT-4"));
  ASSERT_TRUE(custody_->Sweep().ok());
  EXPECT_THAT(List(), IsEmpty());
  EXPECT_EQ(Gauge("pumptrack_unit_available", {{"unit", "5-west"}}), 4);

  // A check-out takes one away again; the finding is a new one.
  ASSERT_TRUE(CheckOut("PT-4").ok());
  ASSERT_TRUE(custody_->Sweep().ok());
  open = List();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].rule(), "custody.par_low");
  EXPECT_EQ(Gauge("pumptrack_unit_available", {{"unit", "5-west"}}), 3);
  // Unit findings survive a restart with the rest of the open findings.
  Reopen();
  // The fleet index rebuilt from storage publishes its gauges once, after the scan.
  EXPECT_EQ(Gauge("pumptrack_unit_available", {{"unit", "5-west"}}), 3);
  EXPECT_EQ(Gauge("pumptrack_devices", {{"unit", "5-west"}, {"operating_state", "IDLE"}}), 4);
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());  // the stored policy, as pumptrackd starts
  ASSERT_TRUE(custody_->Sweep().ok());
  ASSERT_EQ(List().size(), 1u);
  EXPECT_EQ(List()[0].id(), open[0].id());
  // A policy without the PAR level resolves the unit's finding.
  std::string without_par = rules::testing::kPolicyText;
  const std::string par = " par_level: 4";
  without_par.erase(without_par.find(par), par.size());
  SetPolicy(without_par);
  ASSERT_TRUE(custody_->Sweep().ok());
  EXPECT_THAT(List(), IsEmpty());
  EXPECT_EQ(Gauge("pumptrack_unit_par_level", {{"unit", "5-west"}}), -1);
}

TEST_F(CustodyTest, ARetiredPumpThatStillReportsIsInsecure) {
  Report(Pump("PT-1"));
  absl::StatusOr<v1::CustodyResult> retired = Simple("PT-1", v1::CUSTODY_ACTION_RETIRE);
  ASSERT_TRUE(retired.ok()) << retired.status();
  EXPECT_TRUE(retired->custody().credentials_wiped());
  EXPECT_THAT(OpenRulesOf("PT-1"), IsEmpty());
  Advance(absl::Minutes(1));
  Report(Pump("PT-1", "icu-1"));
  EXPECT_THAT(OpenRulesOf("PT-1"), ElementsAre("custody.retired_reporting"));
}

}  // namespace
}  // namespace pumptrack::engine
