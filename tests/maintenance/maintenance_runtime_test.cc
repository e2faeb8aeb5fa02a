// Maintenance inside the service: the real writer thread, real RocksDB, the finding engine, the custody gate and an
// injected clock. Pumps become due and overdue with time alone (the sweep), a recorded PM resolves, an overdue pump
// checked in lands in IN_MAINTENANCE and find-available never offers it.
#include "engine/maintenance_runtime.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/custody_runtime.h"
#include "engine/maintenance_deadlines.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/custody_store.h"
#include "storage/maintenance_store.h"
#include "tests/findings/engine_test_fixture.h"

namespace pumptrack::engine {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const storage::Actor kTech{v1::ACTOR_KIND_TOKEN, "bob.biomed"};
const storage::Actor kTransporter{v1::ACTOR_KIND_TOKEN, "tom.transport"};

// The test policy with the Infusia 500 on a 12-month PM with a 14-day warning (or `schedule`).
std::string PolicyText(const std::string& schedule = "pm_interval_months: 12 pm_warning { seconds: 1209600 }") {
  std::string text = rules::testing::kPolicyText;
  const std::string anchor = "max_clock_drift { seconds: 300 }";
  text.replace(text.find(anchor), anchor.size(), anchor + " " + schedule);
  return text;
}

v1::Device Pump(const std::string& tag, const std::string& unit = "5-west") {
  v1::Device device = rules::testing::CompliantDevice();
  device.mutable_identity()->set_asset_tag(tag);
  device.mutable_identity()->set_serial_number("SN-" + tag);
  v1::Observation& o = *device.mutable_last_observation();
  *o.mutable_identity() = device.identity();
  o.mutable_location()->set_unit(unit);
  o.mutable_location()->set_room(unit + "-1");
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  return device;
}

class MaintenanceTest : public FindingsEngineTest {
 protected:
  void Open(std::size_t watcher_capacity = 1024) override {
    FindingsEngineTest::Open(watcher_capacity);
    custody_store_ = std::make_unique<storage::CustodyStore>(db_.get());
    custody_ = std::make_unique<CustodyRuntime>(db_.get(), devices_.get(), custody_store_.get(), audit_.get(),
                                                engine_.get(), ingest_.get(), fleet_.get());
    ASSERT_TRUE(custody_->Load(absl::ZeroDuration()).ok());
    store_ = std::make_unique<storage::MaintenanceStore>(db_.get());
    maintenance_ = std::make_unique<MaintenanceRuntime>(db_.get(), devices_.get(), store_.get(), audit_.get(),
                                                        engine_.get(), ingest_.get());
  }
  void Close() override {
    if (maintenance_) maintenance_->Stop();
    if (custody_) custody_->Stop();
    maintenance_.reset();
    store_.reset();
    custody_.reset();
    custody_store_.reset();
    FindingsEngineTest::Close();
  }
  void SetUp() override {
    FindingsEngineTest::SetUp();
    SetPolicy(PolicyText());
  }

  absl::StatusOr<v1::RecordMaintenanceResponse> Record(const std::string& tag, v1::MaintenanceKind kind,
                                                       absl::Time performed,
                                                       std::optional<absl::Time> next_due = std::nullopt) {
    MaintenanceWork work;
    work.asset_tag = tag;
    work.kind = kind;
    work.performed_at = performed;
    work.notes = "annual PM";
    work.next_due_override = next_due;
    return maintenance_->Record(work, kTech);
  }
  std::vector<std::string> MaintenanceRulesOf(const std::string& tag) {
    std::vector<std::string> rules;
    for (const v1::Finding& f : List(v1::FINDING_STATE_OPEN)) {
      if (f.asset_tag() == tag && absl::StartsWith(f.rule(), "maintenance.")) rules.push_back(f.rule());
    }
    return rules;
  }
  void Sweep() {
    absl::Status swept = maintenance_->Sweep();
    ASSERT_TRUE(swept.ok()) << swept;
  }
  // After a Reopen: puts the stored policy in force as pumptrackd does at start (no re-evaluation of the fleet).
  void InstallStoredPolicy(const std::string& text) {
    absl::StatusOr<std::shared_ptr<const rules::CompiledPolicy>> policy = rules::CompiledPolicy::FromText(text);
    ASSERT_TRUE(policy.ok()) << policy.status();
    engine_->InstallPolicy(*policy, "start-up");
  }

  std::unique_ptr<storage::CustodyStore> custody_store_;
  std::unique_ptr<CustodyRuntime> custody_;
  std::unique_ptr<storage::MaintenanceStore> store_;
  std::unique_ptr<MaintenanceRuntime> maintenance_;
};

TEST_F(MaintenanceTest, ASilentPumpBecomesDueThenOverdueWithTimeAloneAndAPmResolves) {
  Report(Pump("PT-1"));  // first seen now (2026-12-05): never maintained, due 2027-12-05
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(24)).ok());
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());

  Advance(absl::Hours(24 * 352));  // 2027-11-22: inside the 14-day window before 2027-12-04
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));
  absl::StatusOr<std::vector<v1::DuePump>> due = maintenance_->Due(std::nullopt, "");
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_FALSE((*due)[0].overdue());

  Advance(absl::Hours(24 * 14));  // past 2027-12-04
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.overdue"));
  EXPECT_EQ(Gauge("pumptrack_findings_open", {{"kind", "MAINTENANCE_OVERDUE"}, {"severity", "HIGH"}}), 1);

  const std::uint64_t audit_before = audit_->size();
  absl::StatusOr<v1::RecordMaintenanceResponse> pm = Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(1));
  ASSERT_TRUE(pm.ok()) << pm.status();
  EXPECT_EQ(pm->record().index(), 2u);
  EXPECT_EQ(pm->record().recorded_by(), "bob.biomed");
  EXPECT_EQ(pm->record().performed_by(), "bob.biomed");
  EXPECT_TRUE(pm->has_next_due_at());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  EXPECT_EQ(audit_->size(), audit_before + 1);  // in the same write
  absl::StatusOr<storage::MaintenanceHistoryPage> history = maintenance_->History("PT-1", 0, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->records.size(), 2u);
  EXPECT_EQ(history->records[1].notes(), "annual PM");
}

TEST_F(MaintenanceTest, AnOverduePumpCheckedInGoesToMaintenanceAndIsNeverOffered) {
  // A 10-day interval, so nothing else (library age, credential rotation) goes stale meanwhile. Each pump has its own
  // gateway with its own consecutive sequence numbers (no tamper.sequence_gap at the gate).
  SetPolicy(PolicyText("pm_interval { seconds: 864000 } pm_warning { seconds: 172800 }"));
  std::uint64_t next_1 = 0, next_2 = 0;
  const auto report_1 = [&](v1::Device d) {
    sequence_ = next_1++;
    Report(std::move(d), "gw-1");
  };
  const auto report_2 = [&](v1::Device d) {
    sequence_ = next_2++;
    Report(std::move(d), "gw-2");
  };
  report_1(Pump("PT-1"));
  report_2(Pump("PT-2"));
  absl::StatusOr<v1::FindAvailableResponse> before = custody_->FindAvailable("5-west", 10);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->pumps_size(), 2);
  Advance(absl::Hours(24 * 11));  // both overdue (never maintained, first seen 11 days ago)
  report_2(Pump("PT-2"));
  report_1(Pump("PT-1"));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.overdue"));
  // Neither is offered while overdue.
  absl::StatusOr<v1::FindAvailableResponse> offered = custody_->FindAvailable("5-west", 10);
  ASSERT_TRUE(offered.ok()) << offered.status();
  EXPECT_THAT(offered->pumps(), IsEmpty());

  ASSERT_TRUE(custody_
                  ->Act({.asset_tag = "PT-1",
                         .action = v1::CUSTODY_ACTION_CHECK_OUT,
                         .unit = "icu-1",
                         .reason = "ICU",
                         .due_in = absl::Hours(2)},
                        kTransporter)
                  .ok());
  report_1(Pump("PT-1", "icu-1"));
  absl::StatusOr<v1::CustodyResult> in = custody_->Act(
      {.asset_tag = "PT-1", .action = v1::CUSTODY_ACTION_CHECK_IN, .unit = "icu-1", .observed_seal_id = "S-1"},
      kTransporter);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_IN_MAINTENANCE);
  EXPECT_THAT(in->event().gate_failures(), IsEmpty());

  // A PM makes PT-2 available again; PT-1 stays in maintenance until released.
  ASSERT_TRUE(Record("PT-2", v1::MAINTENANCE_KIND_PM, Now()).ok());
  offered = custody_->FindAvailable("5-west", 10);
  ASSERT_TRUE(offered.ok()) << offered.status();
  ASSERT_EQ(offered->pumps_size(), 1);
  EXPECT_EQ(offered->pumps(0).asset_tag(), "PT-2");
}

TEST_F(MaintenanceTest, AnInTimePumpCheckedInIsAvailable) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(custody_
                  ->Act({.asset_tag = "PT-1",
                         .action = v1::CUSTODY_ACTION_CHECK_OUT,
                         .unit = "icu-1",
                         .reason = "ICU",
                         .due_in = absl::Hours(2)},
                        kTransporter)
                  .ok());
  Report(Pump("PT-1", "icu-1"));
  absl::StatusOr<v1::CustodyResult> in = custody_->Act(
      {.asset_tag = "PT-1", .action = v1::CUSTODY_ACTION_CHECK_IN, .unit = "icu-1", .observed_seal_id = "S-1"},
      kTransporter);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_AVAILABLE);
}

TEST_F(MaintenanceTest, AnOverrideSetsTheNextDueDateAndTheNextPmClearsIt) {
  Report(Pump("PT-1"));
  absl::StatusOr<v1::RecordMaintenanceResponse> repair =
      Record("PT-1", v1::MAINTENANCE_KIND_REPAIR, Now() - absl::Hours(2), Now() + absl::Hours(24 * 3));
  ASSERT_TRUE(repair.ok()) << repair.status();
  EXPECT_EQ(testing_support::FromTimestamp(repair->next_due_at()), Now() + absl::Hours(24 * 3));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));  // 3 days < 14-day window
  absl::StatusOr<v1::RecordMaintenanceResponse> pm = Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(1));
  ASSERT_TRUE(pm.ok()) << pm.status();
  EXPECT_FALSE(pm->status().has_next_due_override());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
}

TEST_F(MaintenanceTest, RefusesUnknownPumpsFutureTimesAndDuplicatesStoringNothing) {
  Report(Pump("PT-1"));
  absl::StatusOr<v1::RecordMaintenanceResponse> unknown = Record("PT-404", v1::MAINTENANCE_KIND_PM, Now());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::RecordMaintenanceResponse> future =
      Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() + absl::Hours(1));
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(future.status().message()), HasSubstr("performed_at"));
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_INSPECTION, Now()).ok());
  EXPECT_EQ(Record("PT-1", v1::MAINTENANCE_KIND_INSPECTION, Now()).status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<storage::MaintenanceHistoryPage> history = maintenance_->History("PT-1", 0, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->records.size(), 1u);
}

TEST_F(MaintenanceTest, ImportIsAllOrNothingAndSkipsDuplicates) {
  Report(Pump("PT-1"));
  Report(Pump("PT-2"));
  const std::uint64_t audit_before = audit_->size();
  std::vector<MaintenanceWork> works(3);
  works[0] = {.asset_tag = "PT-1", .kind = v1::MAINTENANCE_KIND_PM, .performed_at = Now() - absl::Hours(48)};
  works[1] = {.asset_tag = "PT-2", .kind = v1::MAINTENANCE_KIND_PM, .performed_at = Now() - absl::Hours(48)};
  works[2] = {.asset_tag = "PT-404", .kind = v1::MAINTENANCE_KIND_PM, .performed_at = Now() - absl::Hours(48)};
  absl::StatusOr<v1::ImportMaintenanceResponse> refused = maintenance_->Import(works, kTech);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("records[2]"));
  EXPECT_EQ(audit_->size(), audit_before);
  EXPECT_TRUE(maintenance_->History("PT-1", 0, 100)->records.empty());

  works.pop_back();
  works.push_back(works[0]);  // a duplicate within the request
  absl::StatusOr<v1::ImportMaintenanceResponse> imported = maintenance_->Import(works, kTech);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->imported(), 2u);
  EXPECT_EQ(imported->skipped_duplicates(), 1u);
  EXPECT_EQ(audit_->size(), audit_before + 1);
  // Importing the same export again changes nothing.
  imported = maintenance_->Import(works, kTech);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->imported(), 0u);
  EXPECT_EQ(imported->skipped_duplicates(), 3u);
  EXPECT_EQ(maintenance_->History("PT-1", 0, 100)->records.size(), 1u);
}

TEST_F(MaintenanceTest, RecordsSurviveARestartAndReportsKeepTheStatus) {
  Report(Pump("PT-1"));
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(1)).ok());
  Report(Pump("PT-1"));  // a report must not drop the service-kept maintenance status
  absl::StatusOr<v1::Device> device = devices_->GetDevice("PT-1");
  ASSERT_TRUE(device.ok());
  EXPECT_TRUE(device->maintenance().has_last_pm_at());
  Reopen();
  absl::StatusOr<storage::MaintenanceHistoryPage> history = maintenance_->History("PT-1", 0, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->records.size(), 1u);
}

TEST(MaintenanceDeadlinesTest, TheLastSetWinsOffersOnlyMoveEarlierAndTakingUnschedules) {
  const absl::Time noon = absl::FromUnixSeconds(1'800'000'000);
  MaintenanceDeadlines deadlines;
  deadlines.Set("PT-1", noon + absl::Hours(1));
  deadlines.Set("PT-2", noon + absl::Hours(2));
  deadlines.Set("PT-1", noon + absl::Hours(3));  // a PM moved it later: the 1 h entry is superseded
  deadlines.Set("PT-3", std::nullopt);           // nothing ahead: not scheduled
  EXPECT_EQ(deadlines.scheduled(), 2u);
  EXPECT_EQ(deadlines.Next(), noon + absl::Hours(2));  // the superseded front entry is dropped
  EXPECT_THAT(deadlines.TakeExpired(noon + absl::Hours(2) - absl::Milliseconds(1)), IsEmpty());
  EXPECT_THAT(deadlines.TakeExpired(noon + absl::Hours(2)), ::testing::ElementsAre("PT-2"));
  EXPECT_EQ(deadlines.scheduled(), 1u);
  // An offer (the start-up scan) never replaces an earlier deadline, only a later one or none.
  deadlines.Offer("PT-1", noon + absl::Hours(4));
  EXPECT_EQ(deadlines.Next(), noon + absl::Hours(3));
  deadlines.Offer("PT-2", noon + absl::Hours(5));
  deadlines.Offer("PT-1", noon + absl::Minutes(90));
  EXPECT_THAT(deadlines.TakeExpired(noon + absl::Hours(6), 1), ::testing::ElementsAre("PT-1"));
  EXPECT_THAT(deadlines.TakeExpired(noon + absl::Hours(6)), ::testing::ElementsAre("PT-2"));
  EXPECT_EQ(deadlines.scheduled(), 0u);
  EXPECT_EQ(deadlines.Next(), std::nullopt);
  // Moving one pump's deadline many times does not grow the queue without bound.
  for (int i = 0; i < 10'000; ++i) deadlines.Set("PT-1", noon + absl::Seconds(i));
  EXPECT_LE(deadlines.queued(), 1030u);
  EXPECT_THAT(deadlines.TakeExpired(noon + absl::Hours(6)), ::testing::ElementsAre("PT-1"));
}

// Components (Policy.components): the battery module BAT-9 on a 10-day PM with a 2-day window; the pump's own PM
// (12 months) stays out of the way.
std::string ComponentPolicyText() {
  return PolicyText() + R"(
components { kind: "battery-module" model: "BAT-9" pm_interval { seconds: 864000 } pm_warning { seconds: 172800 } }
components { kind: "wifi-module" model: "WLAN-7" }
)";
}

// `Pump(tag, unit)` carrying a battery module (serial "B-" + tag) and a Wi-Fi module (serial "W-" + tag).
v1::Device PumpWithModules(const std::string& tag, const std::string& unit = "5-west",
                           const std::string& battery_serial = "") {
  v1::Device device = Pump(tag, unit);
  v1::Component& battery = *device.mutable_last_observation()->add_components();
  battery.set_kind("battery-module");
  battery.set_position("3");
  battery.set_model("BAT-9");
  battery.set_serial_number(battery_serial.empty() ? "B-" + tag : battery_serial);
  v1::Component& wifi = *device.mutable_last_observation()->add_components();
  wifi.set_kind("wifi-module");
  wifi.set_position("2");
  wifi.set_model("WLAN-7");
  wifi.set_serial_number("W-" + tag);
  return device;
}

class ComponentMaintenanceTest : public MaintenanceTest {
 protected:
  void SetUp() override {
    MaintenanceTest::SetUp();
    SetPolicy(ComponentPolicyText());
  }
  absl::StatusOr<v1::RecordMaintenanceResponse> RecordOn(const std::string& tag, const std::string& serial,
                                                         v1::MaintenanceKind kind, absl::Time performed) {
    MaintenanceWork work;
    work.asset_tag = tag;
    work.kind = kind;
    work.performed_at = performed;
    work.component_serial = serial;
    return maintenance_->Record(work, kTech);
  }
};

TEST_F(ComponentMaintenanceTest, AModuleBecomesDueThenOverdueWithTimeAloneAndItsOwnPmResolves) {
  Report(PumpWithModules("PT-1"));  // first seen now: the module never maintained is due in 10 days
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());

  Advance(absl::Hours(24 * 8) + absl::Minutes(1));  // inside the 2-day window
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.component.due.battery-module.B-PT-1"));
  absl::StatusOr<std::vector<v1::DuePump>> due = maintenance_->Due(std::nullopt, "");
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].asset_tag(), "PT-1");
  EXPECT_EQ((*due)[0].component_kind(), "battery-module");
  EXPECT_EQ((*due)[0].component_model(), "BAT-9");
  EXPECT_EQ((*due)[0].component_serial(), "B-PT-1");
  EXPECT_FALSE((*due)[0].overdue());

  Advance(absl::Hours(24 * 2));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-PT-1"));
  const std::vector<v1::Finding> open = List(v1::FINDING_STATE_OPEN);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind(), v1::FINDING_KIND_MAINTENANCE_OVERDUE);
  EXPECT_THAT(open[0].reason(), HasSubstr("battery-module BAT-9 serial B-PT-1 of pump PT-1"));

  // The pump's own PM, a repair of the module or work on the Wi-Fi module does not resolve it.
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(3)).ok());
  ASSERT_TRUE(RecordOn("PT-1", "B-PT-1", v1::MAINTENANCE_KIND_REPAIR, Now() - absl::Hours(2)).ok());
  ASSERT_TRUE(RecordOn("PT-1", "W-PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(2)).ok());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-PT-1"));

  // The module's PM does, in the same write as its audit entry.
  const std::uint64_t audit_before = audit_->size();
  absl::StatusOr<v1::RecordMaintenanceResponse> pm =
      RecordOn("PT-1", "B-PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(1));
  ASSERT_TRUE(pm.ok()) << pm.status();
  EXPECT_EQ(pm->record().component_serial(), "B-PT-1");
  EXPECT_EQ(testing_support::FromTimestamp(pm->next_due_at()), Now() - absl::Hours(1) + absl::Hours(24 * 10));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  EXPECT_EQ(audit_->size(), audit_before + 1);
  // The pump's own schedule was restarted by its PM only, not by the module's.
  absl::StatusOr<v1::Device> device = devices_->GetDevice("PT-1");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(testing_support::FromTimestamp(device->maintenance().last_pm_at()), Now() - absl::Hours(3));
  ASSERT_EQ(device->maintenance().components_size(), 2);  // the battery and the Wi-Fi module

  // Ten days on it is overdue again; a battery replacement of the module restarts it too.
  Advance(absl::Hours(24 * 10));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-PT-1"));
  ASSERT_TRUE(RecordOn("PT-1", "B-PT-1", v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT, Now()).ok());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  absl::StatusOr<storage::MaintenanceHistoryPage> history = maintenance_->History("PT-1", 0, 100);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->records.size(), 5u);
  EXPECT_EQ(history->records[4].component_serial(), "B-PT-1");
  EXPECT_EQ(history->records[0].component_serial(), "");
}

TEST_F(ComponentMaintenanceTest, AnOverdueModuleSendsThePumpToMaintenanceAtCheckInAndIsNeverOffered) {
  std::uint64_t next_1 = 0, next_2 = 0;
  const auto report_1 = [&](v1::Device d) {
    sequence_ = next_1++;
    Report(std::move(d), "gw-1");
  };
  const auto report_2 = [&](v1::Device d) {
    sequence_ = next_2++;
    Report(std::move(d), "gw-2");
  };
  report_1(PumpWithModules("PT-1"));
  report_2(Pump("PT-2"));  // no modules: nothing of its falls due
  ASSERT_TRUE(custody_
                  ->Act({.asset_tag = "PT-1",
                         .action = v1::CUSTODY_ACTION_CHECK_OUT,
                         .unit = "icu-1",
                         .reason = "ICU",
                         .due_in = absl::Hours(24 * 30)},
                        kTransporter)
                  .ok());
  Advance(absl::Hours(24 * 11));
  report_1(PumpWithModules("PT-1", "icu-1"));
  report_2(Pump("PT-2"));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-PT-1"));
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), IsEmpty());
  absl::StatusOr<v1::CustodyResult> in = custody_->Act(
      {.asset_tag = "PT-1", .action = v1::CUSTODY_ACTION_CHECK_IN, .unit = "icu-1", .observed_seal_id = "S-1"},
      kTransporter);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->event().gate_failures(), IsEmpty());
  EXPECT_EQ(in->custody().state(), v1::CUSTODY_STATE_IN_MAINTENANCE);
  // Only PT-2 is offered, wherever the search starts.
  for (const std::string unit : {"icu-1", "5-west"}) {
    absl::StatusOr<v1::FindAvailableResponse> offered = custody_->FindAvailable(unit, 10);
    ASSERT_TRUE(offered.ok()) << offered.status();
    ASSERT_EQ(offered->pumps_size(), 1) << unit;
    EXPECT_EQ(offered->pumps(0).asset_tag(), "PT-2");
  }
}

TEST_F(ComponentMaintenanceTest, RefusesAnUnknownModuleAndABatteryReplacementOfANonBatteryStoringNothing) {
  Report(PumpWithModules("PT-1"));
  const std::uint64_t audit_before = audit_->size();
  absl::StatusOr<v1::RecordMaintenanceResponse> unknown = RecordOn("PT-1", "B-999", v1::MAINTENANCE_KIND_PM, Now());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("component_serial"));
  absl::StatusOr<v1::RecordMaintenanceResponse> wrong =
      RecordOn("PT-1", "W-PT-1", v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT, Now());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("component_serial"));
  // The same kind and time on the pump and on its module are two records, not duplicates.
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_PM, Now()).ok());
  ASSERT_TRUE(RecordOn("PT-1", "B-PT-1", v1::MAINTENANCE_KIND_PM, Now()).ok());
  EXPECT_EQ(RecordOn("PT-1", "B-PT-1", v1::MAINTENANCE_KIND_PM, Now()).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(audit_->size(), audit_before + 2);
  EXPECT_EQ(maintenance_->History("PT-1", 0, 100)->records.size(), 2u);
}

TEST_F(ComponentMaintenanceTest, ASwappedInModuleIsItsOwnAndItsStatusSurvivesReportsAndARestart) {
  Report(PumpWithModules("PT-1"));
  Advance(absl::Hours(24 * 11));
  Report(PumpWithModules("PT-1"));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-PT-1"));
  // A new battery module goes in: the old one's finding resolves with the report that no longer shows it; the new
  // one counts as never maintained until its replacement is recorded.
  Report(PumpWithModules("PT-1", "5-west", "B-NEW"));
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-NEW"));
  ASSERT_TRUE(RecordOn("PT-1", "B-NEW", v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT, Now()).ok());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  Report(PumpWithModules("PT-1", "5-west", "B-NEW"));
  Reopen();
  InstallStoredPolicy(ComponentPolicyText());
  ASSERT_TRUE(maintenance_->SweepAll().ok());  // what the sweeper does first after a start: seeds the deadlines
  absl::StatusOr<v1::Device> device = devices_->GetDevice("PT-1");
  ASSERT_TRUE(device.ok());
  ASSERT_EQ(device->maintenance().components_size(), 1);
  EXPECT_EQ(device->maintenance().components(0).serial_number(), "B-NEW");
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  Advance(absl::Hours(24 * 10));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-NEW"));
}

// The deadline queue (FindingEngine::maintenance_deadlines): the sweep reads only pumps whose time has come, and every
// write that moves a due date moves the pump's deadline with it.
TEST_F(MaintenanceTest, ThePmRecordedBeforeTheOldDeadlineSupersedesItAndTheSweepReadsNothing) {
  Report(Pump("PT-1"));  // due in 12 months, warned 14 days before
  Report(Pump("PT-2"));
  EXPECT_EQ(engine_->maintenance_deadlines().scheduled(), 2u);
  Advance(absl::Hours(24 * 300));
  ASSERT_TRUE(Record("PT-1", v1::MAINTENANCE_KIND_PM, Now() - absl::Hours(1)).ok());
  Advance(absl::Hours(24 * 60));  // past both pumps' old warning and due times
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());  // the old deadline passing raises nothing
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), ::testing::ElementsAre("maintenance.due"));
  EXPECT_EQ(maintenance_->swept_pumps(), 1u);  // only PT-2 was read; PT-1's old entry was dropped unread
  Sweep();
  EXPECT_EQ(maintenance_->swept_pumps(), 1u);  // nothing due: nothing read
  // PT-1's new deadline (its PM plus 12 months, less 14 days) is still scheduled and comes up in its time.
  Advance(absl::Hours(24 * 300));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), ::testing::ElementsAre("maintenance.overdue"));
  EXPECT_EQ(maintenance_->swept_pumps(), 3u);
}

TEST_F(MaintenanceTest, APolicyReloadShorteningTheIntervalMovesTheDeadlineEarlier) {
  Report(Pump("PT-1"));
  Advance(absl::Hours(24 * 20));
  // 60 days, warned 14 days before: due at day 60, in the window from day 46 (the old deadline was day ~351).
  SetPolicy(PolicyText("pm_interval { seconds: 5184000 } pm_warning { seconds: 1209600 }"));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
  Advance(absl::Hours(24 * 27));  // day 47
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));
  Advance(absl::Hours(24 * 14));  // day 61
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.overdue"));
  // Lengthening it again (back to 12 months) resolves at once, by the policy's re-evaluation.
  SetPolicy(PolicyText());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), IsEmpty());
}

TEST_F(MaintenanceTest, AnOverrideAndAnImportMoveTheDeadline) {
  Report(Pump("PT-1"));
  Report(Pump("PT-2"));
  // An override three days out: due in its window at once, overdue in three days, not in twelve months.
  ASSERT_TRUE(
      Record("PT-1", v1::MAINTENANCE_KIND_INSPECTION, Now() - absl::Hours(1), Now() + absl::Hours(24 * 3)).ok());
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));
  // An imported PM dated 11 months ago: PT-2 falls in its window in about two weeks, not in twelve months.
  std::vector<MaintenanceWork> works(1);
  works[0] = {.asset_tag = "PT-2", .kind = v1::MAINTENANCE_KIND_PM, .performed_at = Now() - absl::Hours(24 * 335)};
  ASSERT_TRUE(maintenance_->Import(works, kTech).ok());
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), IsEmpty());
  Advance(absl::Hours(24 * 3) + absl::Minutes(1));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.overdue"));
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), IsEmpty());
  Advance(absl::Hours(24 * 14));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-2"), ::testing::ElementsAre("maintenance.due"));
  EXPECT_EQ(maintenance_->swept_pumps(), 2u);
}

TEST_F(MaintenanceTest, ABurstIsDrainedAChunkAtATime) {
  constexpr int kPumps = static_cast<int>(MaintenanceRuntime::kSweepChunk) + 200;
  for (int i = 0; i < kPumps; ++i) Report(Pump("PT-" + std::to_string(1000 + i)));
  EXPECT_EQ(engine_->maintenance_deadlines().scheduled(), static_cast<std::size_t>(kPumps));
  Advance(absl::Hours(24 * 360));
  Sweep();
  EXPECT_EQ(maintenance_->swept_pumps(), static_cast<std::uint64_t>(kPumps));
  EXPECT_EQ(Gauge("pumptrack_findings_open", {{"kind", "MAINTENANCE_DUE"}, {"severity", "LOW"}}), kPumps);
  // Each is scheduled again, for its due time.
  EXPECT_EQ(engine_->maintenance_deadlines().scheduled(), static_cast<std::size_t>(kPumps));
}

TEST_F(MaintenanceTest, AfterARestartTheFirstFullSweepSeedsTheDeadlines) {
  Report(Pump("PT-1"));
  Reopen();
  InstallStoredPolicy(PolicyText());
  EXPECT_EQ(engine_->maintenance_deadlines().scheduled(), 0u);
  ASSERT_TRUE(maintenance_->SweepAll().ok());
  EXPECT_EQ(engine_->maintenance_deadlines().scheduled(), 1u);
  Advance(absl::Hours(24 * 352));
  Sweep();
  EXPECT_THAT(MaintenanceRulesOf("PT-1"), ::testing::ElementsAre("maintenance.due"));
}

}  // namespace
}  // namespace pumptrack::engine
