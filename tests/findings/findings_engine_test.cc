#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/backup.h"
#include "storage/column_families.h"
#include "storage/keys.h"
#include "tests/findings/engine_test_fixture.h"

namespace pumptrack::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kActorName[] = "alice (asset manager)";

TEST_F(FindingsEngineTest, OpensOneFindingPerRuleAndResolvesWhenTheConditionClears) {
  SetPolicy(rules::testing::kPolicyText);
  Report(rules::testing::CompliantDevice());
  EXPECT_THAT(List(), IsEmpty());

  Report(WithTelnet(rules::testing::CompliantDevice()));
  Advance(absl::Minutes(5));
  Report(WithTelnet(rules::testing::CompliantDevice()));
  std::vector<v1::Finding> open = List();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].rule(), "security.forbidden_service.telnet");
  EXPECT_EQ(open[0].kind(), v1::FINDING_KIND_INSECURE);
  EXPECT_EQ(open[0].state(), v1::FINDING_STATE_OPEN);
  EXPECT_EQ(open[0].unit(), "5-west");
  EXPECT_EQ(testing_support::FromTimestamp(open[0].first_seen_at()), rules::testing::kNow);
  EXPECT_EQ(testing_support::FromTimestamp(open[0].last_seen_at()), Now());
  EXPECT_THAT(open[0].reason(), ::testing::HasSubstr("port 23"));
  EXPECT_EQ(Gauge("pumptrack_findings_open", {{"kind", "INSECURE"}, {"severity", "HIGH"}}), 1);
  EXPECT_EQ(engine_->RiskOf("PT-1").first, 25u);

  Report(rules::testing::CompliantDevice());
  EXPECT_THAT(List(), IsEmpty());
  std::vector<v1::Finding> resolved = List(v1::FINDING_STATE_RESOLVED);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id(), open[0].id());
  EXPECT_EQ(Gauge("pumptrack_findings_open", {{"kind", "INSECURE"}, {"severity", "HIGH"}}), 0);
  EXPECT_EQ(engine_->RiskOf("PT-1").first, 0u);

  // A new occurrence opens a new finding; the old one stays resolved.
  Report(WithTelnet(rules::testing::CompliantDevice()));
  ASSERT_EQ(List().size(), 1u);
  EXPECT_NE(List()[0].id(), open[0].id());
}

TEST_F(FindingsEngineTest, AcknowledgementIsAuditedAndClosesOneOffFindings) {
  SetPolicy(rules::testing::kPolicyText);
  Report(WithTelnet(rules::testing::CompliantDevice()));
  sequence_ += 3;  // three reports lost
  Report(WithTelnet(rules::testing::CompliantDevice()));
  ASSERT_THAT(OpenRules(), UnorderedElementsAre("security.forbidden_service.telnet", "tamper.sequence_gap"));
  const std::uint64_t audit_before = audit_->size();

  for (const v1::Finding& finding : List()) {
    absl::StatusOr<v1::Finding> acked =
        runtime_->Acknowledge(finding.id(), "biomed ticket 4711", {v1::ACTOR_KIND_TOKEN, kActorName});
    ASSERT_TRUE(acked.ok()) << acked.status();
    EXPECT_EQ(acked->acknowledged_by(), kActorName);
    EXPECT_EQ(acked->acknowledgement_note(), "biomed ticket 4711");
    EXPECT_EQ(acked->state(),
              finding.rule() == "tamper.sequence_gap" ? v1::FINDING_STATE_RESOLVED : v1::FINDING_STATE_ACKNOWLEDGED);
  }
  EXPECT_EQ(audit_->size(), audit_before + 2);
  ASSERT_THAT(OpenRules(), ElementsAre("security.forbidden_service.telnet"));
  EXPECT_EQ(List()[0].state(), v1::FINDING_STATE_ACKNOWLEDGED);

  // Still true at the next report: stays acknowledged, not reopened.
  Report(WithTelnet(rules::testing::CompliantDevice()));
  ASSERT_EQ(List().size(), 1u);
  EXPECT_EQ(List()[0].state(), v1::FINDING_STATE_ACKNOWLEDGED);

  const std::string resolved_id = List(v1::FINDING_STATE_RESOLVED)[0].id();
  EXPECT_EQ(runtime_->Acknowledge(resolved_id, "again", {v1::ACTOR_KIND_TOKEN, kActorName}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(runtime_->Acknowledge("F-999", "x", {v1::ACTOR_KIND_TOKEN, kActorName}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FindingsEngineTest, SilentDeviceIsFlaggedMissingAndClearedByItsNextReport) {
  SetPolicy(rules::testing::kPolicyText);  // 30 minutes by default
  Report(rules::testing::CompliantDevice());
  Advance(absl::Minutes(29));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_THAT(List(), IsEmpty());
  Advance(absl::Minutes(1) + absl::Seconds(1));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  ASSERT_THAT(OpenRules(), ElementsAre("missing.not_seen"));
  EXPECT_EQ(List()[0].kind(), v1::FINDING_KIND_MISSING);
  EXPECT_EQ(Gauge("pumptrack_devices_missing", {{"facility", "general"}, {"unit", "5-west"}}), 1);
  // Re-evaluation (e.g. a policy change) does not clear it; only a report does.
  SetPolicy(rules::testing::kPolicyText);
  EXPECT_THAT(OpenRules(), ElementsAre("missing.not_seen"));
  Report(rules::testing::CompliantDevice());
  EXPECT_THAT(List(), IsEmpty());
  EXPECT_EQ(Gauge("pumptrack_devices_missing", {{"facility", "general"}, {"unit", "5-west"}}), 0);
}

TEST_F(FindingsEngineTest, PumpsSilentWithinOneSecondAreFlaggedEachAtItsOwnMillisecond) {
  SetPolicy(rules::testing::kPolicyText);  // 30 minutes by default
  // Three pumps heard 400 ms apart within the same second (a ward going silent together).
  const absl::Time first = Now();
  for (const char* tag : {"PT-a", "PT-b", "PT-c"}) {
    v1::Device device = rules::testing::CompliantDevice();
    device.mutable_identity()->set_asset_tag(tag);
    device.mutable_identity()->set_serial_number(std::string("SN-") + tag);
    *device.mutable_last_observation()->mutable_identity() = device.identity();
    Report(device);
    Advance(absl::Milliseconds(400));
  }
  // PT-b's deadline to the millisecond: PT-a and PT-b are flagged, PT-c (due 400 ms later) is not yet.
  Advance(first + absl::Minutes(30) + absl::Milliseconds(400) - Now());
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  std::vector<std::string> missing;
  for (const v1::Finding& finding : List()) missing.push_back(finding.asset_tag());
  EXPECT_THAT(missing, UnorderedElementsAre("PT-a", "PT-b"));
  Advance(absl::Milliseconds(399));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_EQ(List().size(), 2u);
  Advance(absl::Milliseconds(1));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_EQ(List().size(), 3u);
  for (const v1::Finding& finding : List()) EXPECT_EQ(finding.rule(), "missing.not_seen");
}

TEST_F(FindingsEngineTest, ThresholdFollowsTheOperatingState) {
  SetPolicy(rules::testing::kPolicyText);  // OFF: 24 hours
  v1::Device off = rules::testing::CompliantDevice();
  off.mutable_last_observation()->set_operating_state(v1::OPERATING_STATE_OFF);
  Report(off);
  Advance(absl::Hours(2));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_THAT(List(), IsEmpty());
  Advance(absl::Hours(23));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_THAT(OpenRules(), ElementsAre("missing.not_seen"));
}

TEST_F(FindingsEngineTest, RestartGivesTheFleetAFullThresholdBeforeFlagging) {
  SetPolicy(rules::testing::kPolicyText);
  Report(rules::testing::CompliantDevice());
  Close();
  Advance(absl::Hours(5));  // the service was down for hours
  Open();
  runtime_->WaitForReevaluation();
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_THAT(List(), IsEmpty());
  Advance(absl::Minutes(31));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_THAT(OpenRules(), ElementsAre("missing.not_seen"));
}

// The start-up load reads devices on one thread and indexes them on another, in batches of 512: every stored device,
// with its open findings, is indexed and given a missing deadline, across full batches and a partial last one.
TEST_F(FindingsEngineTest, RestartIndexesEveryStoredDeviceWithItsFindingsAndDeadline) {
  SetPolicy(rules::testing::kPolicyText);
  constexpr int kDevices = 1100;
  std::vector<v1::Observation> observations;
  for (int i = 0; i < kDevices; ++i) {
    v1::Device device = rules::testing::CompliantDevice();
    if (i % 100 == 0) device = WithTelnet(device);
    const std::string tag = absl::StrCat("PT-", 10000 + i);
    device.mutable_identity()->set_asset_tag(tag);
    device.mutable_identity()->set_serial_number("SN-" + tag);
    v1::Observation& observation = observations.emplace_back(device.last_observation());
    *observation.mutable_identity() = device.identity();
    observation.set_sequence(1);
    *observation.mutable_observed_at() = testing_support::ToTimestamp(Now());
  }
  v1::AgentInfo agent;
  agent.set_agent_id("gw-1");
  std::promise<absl::StatusOr<std::vector<storage::ApplyResult>>> done;
  IngestRequest request;
  for (const v1::Observation& observation : observations) request.observations.push_back({&observation, &agent});
  request.done = [&done](absl::StatusOr<std::vector<storage::ApplyResult>> r) { done.set_value(std::move(r)); };
  ASSERT_TRUE(ingest_->Submit(std::move(request)).ok());
  ASSERT_TRUE(done.get_future().get().ok());
  ASSERT_EQ(engine_->tracked_devices(), static_cast<std::size_t>(kDevices));

  Reopen();
  runtime_->WaitForReevaluation();
  EXPECT_EQ(engine_->tracked_devices(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(engine_->RiskOf("PT-11000").first, 25u);  // telnet open before the restart
  EXPECT_EQ(engine_->RiskOf("PT-11001").first, 0u);
  EXPECT_EQ(engine_->RiskOf("PT-11099"), engine_->RiskOf("PT-10001"));
  Advance(absl::Minutes(29));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_EQ(List().size(), static_cast<std::size_t>(kDevices / 100));  // the telnet findings only
  Advance(absl::Minutes(2));
  ASSERT_TRUE(runtime_->SweepMissing().ok());
  EXPECT_EQ(Gauge("pumptrack_devices_missing", {{"facility", "general"}, {"unit", "5-west"}}), kDevices);
}

TEST_F(FindingsEngineTest, PolicyChangeReevaluatesStoredDevicesAndAnInvalidPolicyChangesNothing) {
  SetPolicy(rules::testing::kPolicyText);
  Report(rules::testing::CompliantDevice());
  EXPECT_THAT(List(), IsEmpty());
  const std::string digest = engine_->policy()->digest();

  absl::StatusOr<v1::PolicyInfo> refused = runtime_->SetPolicy("models { model: 5 }", {v1::ACTOR_KIND_TOKEN, "admin"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->policy()->digest(), digest);

  std::string stricter = rules::testing::kPolicyText;
  stricter.replace(stricter.find("allowed: \"12.1.3\" "), std::string("allowed: \"12.1.3\" ").size(), "");
  SetPolicy(stricter);
  EXPECT_THAT(OpenRules(), ElementsAre("firmware.not_allowed"));
  SetPolicy(rules::testing::kPolicyText);
  EXPECT_THAT(OpenRules(), IsEmpty());
}

TEST_F(FindingsEngineTest, StoredPolicySurvivesARestart) {
  SetPolicy(rules::testing::kPolicyText);
  const std::string digest = engine_->policy()->digest();
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  EXPECT_EQ(engine_->policy()->digest(), digest);
}

TEST_F(FindingsEngineTest, OpenFindingsSurviveARestartAndStillResolve) {
  SetPolicy(rules::testing::kPolicyText);
  Report(WithTelnet(rules::testing::CompliantDevice()));
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  runtime_->WaitForReevaluation();
  ASSERT_THAT(OpenRules(), ElementsAre("security.forbidden_service.telnet"));
  EXPECT_EQ(Gauge("pumptrack_findings_open", {{"kind", "INSECURE"}, {"severity", "HIGH"}}), 1);
  Report(rules::testing::CompliantDevice());
  EXPECT_THAT(List(), IsEmpty());
  // Numbering continues after a restart.
  Report(WithTelnet(rules::testing::CompliantDevice()));
  EXPECT_EQ(List()[0].id(), "F-2");
}

TEST_F(FindingsEngineTest, SetHomeReevaluatesMoves) {
  SetPolicy(rules::testing::kPolicyText);
  v1::Device device = rules::testing::CompliantDevice();
  device.clear_home_unit();
  device.mutable_last_observation()->mutable_location()->set_unit("icu-1");
  Report(device);  // first seen in icu-1: that becomes its home
  ASSERT_EQ(devices_->GetDevice("PT-1")->home_unit(), "icu-1");
  EXPECT_THAT(OpenRules(), IsEmpty());
  absl::StatusOr<v1::Device> moved = runtime_->SetHome("PT-1", "5-west", {v1::ACTOR_KIND_TOKEN, kActorName});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->home_source(), v1::HOME_SOURCE_ASSIGNED);
  EXPECT_THAT(OpenRules(), ElementsAre("move.outside_home_unit"));
  EXPECT_EQ(runtime_->SetHome("PT-1", "mars", {v1::ACTOR_KIND_TOKEN, kActorName}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FindingsEngineTest, SlowWatcherGetsAResyncAndNeverBlocksIngest) {
  Close();
  Open(/*watcher_capacity=*/3);
  SetPolicy(rules::testing::kPolicyText);
  std::shared_ptr<FindingSubscription> slow = engine_->events().Subscribe(v1::FINDING_KIND_UNSPECIFIED, nullptr);
  for (int i = 0; i < 10; ++i) {
    Report(i % 2 == 0 ? WithTelnet(rules::testing::CompliantDevice()) : rules::testing::CompliantDevice());
  }
  std::unique_ptr<v1::FindingEvent> first = slow->Next();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->type(), v1::FindingEvent::TYPE_RESYNC);
  // After the resync, new events flow again.
  Report(WithTelnet(rules::testing::CompliantDevice()));
  std::unique_ptr<v1::FindingEvent> next = slow->Next();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->type(), v1::FindingEvent::TYPE_OPENED);
  engine_->events().Unsubscribe(slow.get());
}

TEST_F(FindingsEngineTest, RiskByUnit) {
  SetPolicy(rules::testing::kPolicyText);
  Report(WithTelnet(rules::testing::CompliantDevice()));
  v1::Device other = rules::testing::CompliantDevice();
  other.mutable_identity()->set_asset_tag("PT-2");
  other.mutable_identity()->set_serial_number("AM5-2");
  *other.mutable_last_observation()->mutable_identity() = other.identity();
  Report(other);
  std::vector<RiskGroupSummary> units = engine_->Risk(v1::GetRiskRequest::GROUP_BY_UNIT, 100);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].key, "general/5-west");
  EXPECT_EQ(units[0].devices, 2u);
  EXPECT_EQ(units[0].devices_at_risk, 1u);
  EXPECT_EQ(units[0].max_score, 25u);
  EXPECT_DOUBLE_EQ(units[0].mean_score, 12.5);
  std::vector<RiskGroupSummary> devices = engine_->Risk(v1::GetRiskRequest::GROUP_BY_DEVICE, 100);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].key, "PT-1");
}

}  // namespace
// Issue #14.5: after a restart, `policy get` shows who applied the stored policy and when, not "stored" and the
// start-up time.
TEST_F(FindingsEngineTest, StoredPolicyKeepsWhoAppliedItAndWhenAcrossARestart) {
  SetPolicy(rules::testing::kPolicyText);
  const absl::Time applied_at = Now();
  Advance(absl::Hours(3));
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  const v1::PolicyInfo info = engine_->policy_info();
  EXPECT_EQ(info.applied_by(), "admin");
  EXPECT_EQ(testing_support::FromTimestamp(info.applied_at()), applied_at);
  EXPECT_EQ(info.source(), v1::POLICY_SOURCE_SET);

  // A SIGHUP reload is stored with its own provenance.
  const std::string path = dir_.path() + "/policy.textproto";
  { std::ofstream(path) << rules::testing::kPolicyText; }
  Advance(absl::Minutes(5));
  const absl::Time reloaded_at = Now();
  ASSERT_TRUE(runtime_->ReloadPolicyFile(path).ok());
  Advance(absl::Hours(1));
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  const v1::PolicyInfo reloaded = engine_->policy_info();
  EXPECT_EQ(reloaded.applied_by(), "file:" + path);
  EXPECT_EQ(testing_support::FromTimestamp(reloaded.applied_at()), reloaded_at);
  EXPECT_EQ(reloaded.source(), v1::POLICY_SOURCE_RELOAD);

  // --policy at start-up wins over the stored policy and says so; it is applied at that start.
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy(path).ok());
  const v1::PolicyInfo from_file = engine_->policy_info();
  EXPECT_EQ(from_file.applied_by(), "file:" + path);
  EXPECT_EQ(testing_support::FromTimestamp(from_file.applied_at()), Now());
  EXPECT_EQ(from_file.source(), v1::POLICY_SOURCE_FILE);
}

TEST_F(FindingsEngineTest, RestoredPolicyKeepsWhoAppliedItAndWhen) {
  SetPolicy(rules::testing::kPolicyText);
  const absl::Time applied_at = Now();
  const std::string digest = engine_->policy()->digest();
  ScopedTempDir backups;
  absl::StatusOr<v1::Backup> backup = storage::CreateBackup(*db_, backups.path());
  ASSERT_TRUE(backup.ok()) << backup.status();
  Close();
  ScopedTempDir restored;
  data_path_ = restored.path();  // an empty directory
  absl::StatusOr<v1::Backup> restored_backup = storage::RestoreBackup(backups.path(), std::nullopt, data_path_);
  ASSERT_TRUE(restored_backup.ok()) << restored_backup.status();
  Advance(absl::Hours(24));
  Open();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  const v1::PolicyInfo info = engine_->policy_info();
  EXPECT_EQ(info.digest(), digest);
  EXPECT_EQ(info.applied_by(), "admin");
  EXPECT_EQ(testing_support::FromTimestamp(info.applied_at()), applied_at);
  EXPECT_EQ(info.source(), v1::POLICY_SOURCE_SET);
}

TEST_F(FindingsEngineTest, APolicyStoredWithoutProvenanceSaysSo) {
  // As a pumptrackd older than provenance left it: the policy text alone.
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch
                  .Put(db_->Handle(storage::ColumnFamily::kMeta), storage::ToSlice(storage::keys::kPolicyKey),
                       rules::testing::kPolicyText)
                  .ok());
  ASSERT_TRUE(db_->Write(batch, /*sync=*/true).ok());
  Reopen();
  ASSERT_TRUE(runtime_->LoadInitialPolicy("").ok());
  const v1::PolicyInfo info = engine_->policy_info();
  EXPECT_EQ(info.applied_by(), "stored");
  EXPECT_EQ(testing_support::FromTimestamp(info.applied_at()), Now());
  EXPECT_EQ(info.source(), v1::POLICY_SOURCE_STORED_WITHOUT_PROVENANCE);
}

}  // namespace pumptrack::engine
