// AdvisoryRuntime's import on the real engine (real RocksDB in a temporary directory, the real ingest writer): an
// import re-evaluates only the devices its advisory's targets name, against that advisory's rule only, a chunk at a
// time, and leaves no affected pump out.
#include "engine/advisory_runtime.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "advisories/csaf_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/policy.h"
#include "storage/advisory_store.h"
#include "storage/keys.h"
#include "tests/advisories/fixtures.h"
#include "tests/findings/engine_test_fixture.h"

namespace pumptrack::engine {
namespace {

using ::pumptrack::advisories::testing::ReadFixture;
using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kTrackingId[] = "ICSMA-23-193-01";
constexpr char kRule[] = "advisory.ICSMA-23-193-01";

// Maps BD's Alaris PCU 8015 (ICSMA-23-193-01: firmware <= 12.1.3 affected, 12.3.0 fixed) to the model PCU-8015.
constexpr char kPolicy[] = R"pb(
  models { model: "PCU-8015" }
  models { model: "SPACE-LVP" }
  advisory_products { vendor: "BD" product: "Alaris PCU 8015" model: "PCU-8015" }
)pb";
// The same, with telnet forbidden on both models: a rule that would open a finding on every pump below if it were
// evaluated.
constexpr char kStricterPolicy[] = R"pb(
  models { model: "PCU-8015" forbidden_services: SERVICE_KIND_TELNET }
  models { model: "SPACE-LVP" forbidden_services: SERVICE_KIND_TELNET }
  advisory_products { vendor: "BD" product: "Alaris PCU 8015" model: "PCU-8015" }
)pb";

v1::Device Pump(const std::string& tag, const std::string& model, const std::string& firmware) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag(tag);
  device.mutable_identity()->set_serial_number(absl::StrCat("SN-", tag));
  device.mutable_identity()->set_model(model);
  v1::Observation& o = *device.mutable_last_observation();
  *o.mutable_identity() = device.identity();
  o.mutable_location()->set_facility("general");
  o.mutable_location()->set_unit("5-west");
  o.set_firmware_version(firmware);
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  v1::OpenService* telnet = o.mutable_security()->add_open_services();
  telnet->set_kind(v1::SERVICE_KIND_TELNET);
  telnet->set_port(23);
  return device;
}

class AdvisoryRuntimeTest : public FindingsEngineTest {
 protected:
  void Close() override {
    advisories_.reset();
    FindingsEngineTest::Close();
  }

  void StartAdvisories(std::size_t chunk_devices) {
    StartAdvisories(AdvisoryRuntimeOptions{.chunk_devices = chunk_devices});
  }
  void StartAdvisories(AdvisoryRuntimeOptions options) {
    advisories_ = std::make_unique<AdvisoryRuntime>(db_.get(), devices_.get(), audit_.get(), engine_.get(),
                                                    ingest_.get(), options);
    ASSERT_TRUE(advisories_->Load().ok());
  }

  // Puts `text` in force without re-evaluating any stored device.
  void InstallPolicyOnly(absl::string_view text) {
    absl::StatusOr<std::shared_ptr<const rules::CompiledPolicy>> policy = rules::CompiledPolicy::FromText(text);
    ASSERT_TRUE(policy.ok()) << policy.status();
    engine_->InstallPolicy(*std::move(policy), "test");
  }

  absl::StatusOr<std::vector<v1::AdvisorySummary>> Import(const std::string& fixture, bool in_background = false) {
    absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(ReadFixture(fixture));
    if (!advisory.ok()) return advisory.status();
    return advisories_->Import({*advisory}, {fixture}, {v1::ACTOR_KIND_TOKEN, "admin"}, Now(), in_background);
  }

  // The re-evaluation records stored now.
  std::size_t StoredReevaluations() {
    absl::StatusOr<std::vector<std::pair<std::uint64_t, v1::AdvisoryReevaluation>>> stored =
        storage::AdvisoryStore(db_.get()).LoadReevaluations();
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? stored->size() : 0;
  }

  // Waits (up to 60 s) until the background thread has re-evaluated every pump of `kTrackingId` and removed its
  // record.
  void WaitForBackgroundFindings() {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while ((advisories_->FindingsPending(kTrackingId) > 0 || StoredReevaluations() > 0) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_EQ(advisories_->FindingsPending(kTrackingId), 0);
    ASSERT_EQ(StoredReevaluations(), 0u);
  }

  // Reports `count` PCU-8015s PT-A0.. on firmware 12.1.0 (in the advisory's range); returns the open findings the
  // advisory should leave them, as Open() lists them.
  std::vector<std::string> ReportAffectedPumps(int count) {
    std::vector<std::string> affected;
    for (int i = 0; i < count; ++i) {
      const std::string tag = absl::StrCat("PT-A", i);
      Report(Pump(tag, "PCU-8015", "12.1.0"));
      affected.push_back(absl::StrCat(tag, " ", kRule));
    }
    return affected;
  }

  // Open findings as "tag rule".
  std::vector<std::string> Open() {
    std::vector<std::string> out;
    for (const v1::Finding& f : List()) {
      if (f.state() != v1::FINDING_STATE_RESOLVED) out.push_back(absl::StrCat(f.asset_tag(), " ", f.rule()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<AdvisoryRuntime> advisories_;
};

TEST_F(AdvisoryRuntimeTest, ImportReevaluatesOnlyTheNamedDevicesAgainstItsOwnRuleAndLeavesNoPumpOut) {
  SetPolicy(kPolicy);
  // 10 affected PCU-8015s, 1 already fixed, 4 pumps of a model no advisory names: with chunks of 3 the named 11 are
  // read in 4 chunks, the last one short.
  const std::vector<std::string> affected = ReportAffectedPumps(10);
  Report(Pump("PT-FIXED", "PCU-8015", "12.3.0"));
  for (int i = 0; i < 4; ++i) Report(Pump(absl::StrCat("PT-S", i), "SPACE-LVP", "686E"));
  ASSERT_THAT(Open(), IsEmpty());

  // A rule that every pump breaks comes into force without a re-evaluation: an import must not apply it (only the
  // advisory's own rule can have changed), neither to the pumps it names nor to the others.
  InstallPolicyOnly(kStricterPolicy);
  StartAdvisories(/*chunk_devices=*/3);
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported = Import("icsma-23-193-01.json");
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_EQ(imported->size(), 1u);
  EXPECT_EQ((*imported)[0].affected_devices(), 10);
  // Exactly the 11 PCU-8015s were read, each once; the SPACE-LVPs never.
  EXPECT_EQ(advisories_->reevaluated_devices(), 11u);
  // Every affected pump has exactly one VULNERABLE finding, and nothing else opened.
  EXPECT_THAT(Open(), ElementsAreArray(affected));
  for (const v1::Finding& f : List()) {
    EXPECT_EQ(f.kind(), v1::FINDING_KIND_VULNERABLE);
    EXPECT_EQ(f.evidence().advisory(), kTrackingId);
  }
  EXPECT_EQ(engine_->AffectedDevices(kTrackingId), 10);

  // A report evaluates every rule as before: the pump gets its telnet finding, and its upgrade resolves the advisory.
  Report(Pump("PT-A0", "PCU-8015", "12.3.0"));
  const std::vector<std::string> after = Open();
  EXPECT_THAT(after, Contains("PT-A0 security.forbidden_service.telnet"));
  EXPECT_THAT(after, Not(Contains(absl::StrCat("PT-A0 ", kRule))));
  for (std::size_t i = 1; i < affected.size(); ++i) EXPECT_THAT(after, Contains(affected[i]));
  EXPECT_EQ(engine_->AffectedDevices(kTrackingId), 9);
}

TEST_F(AdvisoryRuntimeTest, ChunkedImportFlagsEveryPumpOnceWhateverTheChunkSize) {
  SetPolicy(kPolicy);
  std::set<std::string> tags;
  for (int i = 0; i < 23; ++i) {
    const std::string tag = absl::StrCat("PT-", 100 + i * 7 % 23);  // reported out of tag order
    Report(Pump(tag, "PCU-8015", "12.1.0"));
    tags.insert(tag);
  }
  StartAdvisories(/*chunk_devices=*/1);
  ASSERT_TRUE(Import("icsma-23-193-01.json").ok());
  EXPECT_EQ(advisories_->reevaluated_devices(), 23u);
  // A newer revision re-evaluates them all again, in chunks of 5 (the last one 3), and keeps one finding each.
  StartAdvisories(/*chunk_devices=*/5);
  std::string revised = ReadFixture("icsma-23-193-01.json");
  absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(revised);
  ASSERT_TRUE(advisory.ok()) << advisory.status();
  advisory->set_version("2");
  *advisory->mutable_current_release_date() = testing_support::ToTimestamp(Now());
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported =
      advisories_->Import({*advisory}, {"revision 2"}, {v1::ACTOR_KIND_TOKEN, "admin"}, Now());
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ((*imported)[0].affected_devices(), 23);
  EXPECT_EQ(advisories_->reevaluated_devices(), 23u);
  std::vector<std::string> expected;
  for (const std::string& tag : tags) expected.push_back(absl::StrCat(tag, " ", kRule));
  EXPECT_THAT(Open(), ElementsAreArray(expected));
}

TEST_F(AdvisoryRuntimeTest, BackgroundImportAnswersWithTheMatchedPumpsAndWritesTheirFindingsBehind) {
  SetPolicy(kPolicy);
  std::vector<std::string> affected;
  for (int i = 0; i < 10; ++i) {
    const std::string tag = absl::StrCat("PT-A", i);
    // Two firmware versions in the range: two advisory profiles, each matched once for all of its pumps.
    Report(Pump(tag, "PCU-8015", i % 2 == 0 ? "12.1.0" : "12.1.3"));
    affected.push_back(absl::StrCat(tag, " ", kRule));
  }
  Report(Pump("PT-FIXED", "PCU-8015", "12.3.0"));
  for (int i = 0; i < 3; ++i) Report(Pump(absl::StrCat("PT-S", i), "SPACE-LVP", "686E"));
  StartAdvisories(/*chunk_devices=*/2);
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported = Import("icsma-23-193-01.json", /*in_background=*/true);
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_EQ(imported->size(), 1u);
  // Answered from memory: the 10 pumps whose firmware is in the range, whatever the findings written so far.
  EXPECT_EQ((*imported)[0].matched_devices(), 10);
  // Counted, not yet listed: the 11 PCU-8015s the advisory's model names (one of them fixed). The answer is made on
  // the writer before the work is queued: nothing is flagged yet.
  EXPECT_EQ((*imported)[0].findings_pending(), 11);
  EXPECT_EQ((*imported)[0].affected_devices(), 0);

  WaitForBackgroundFindings();
  EXPECT_THAT(Open(), ElementsAreArray(affected));
  EXPECT_EQ(engine_->AffectedDevices(kTrackingId), 10);
  EXPECT_EQ(advisories_->reevaluated_devices(), 11u);  // the PCU-8015s, each once
  absl::StatusOr<std::vector<v1::AdvisorySummary>> listed = advisories_->List("", 10, nullptr);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].affected_devices(), 10);
  EXPECT_EQ((*listed)[0].matched_devices(), 10);
  EXPECT_EQ((*listed)[0].findings_pending(), 0);

  // An upgrade moves the pump to a profile the advisory does not match, and resolves its finding.
  Report(Pump("PT-A0", "PCU-8015", "12.3.0"));
  listed = advisories_->List("", 10, nullptr);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ((*listed)[0].matched_devices(), 9);
  EXPECT_EQ((*listed)[0].affected_devices(), 9);
}

TEST_F(AdvisoryRuntimeTest, AReevaluationAStopLeftUnfinishedIsResumedAtTheNextStart) {
  SetPolicy(kPolicy);
  const std::vector<std::string> affected = ReportAffectedPumps(5);
  StartAdvisories(/*chunk_devices=*/2);
  // Stopped before the import: its re-evaluation is queued but never run, as if pumptrackd died right after the
  // import's write.
  advisories_->Stop();
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported = Import("icsma-23-193-01.json", /*in_background=*/true);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ((*imported)[0].matched_devices(), 5);
  EXPECT_EQ((*imported)[0].findings_pending(), 5);
  EXPECT_THAT(Open(), IsEmpty());
  EXPECT_EQ(StoredReevaluations(), 1u);  // stored in the import's own write

  Reopen();
  StartAdvisories(/*chunk_devices=*/2);
  // Which pumps an advisory concerns depends on the policy's mapping: nothing is planned before it is in force. It is
  // installed without the start-up re-evaluation of the whole fleet, so only the resumed work can flag the pumps.
  InstallPolicyOnly(kPolicy);
  EXPECT_THAT(Open(), IsEmpty());
  advisories_->Resume();
  WaitForBackgroundFindings();
  EXPECT_THAT(Open(), ElementsAreArray(affected));
  EXPECT_EQ(advisories_->reevaluated_devices(), 5u);
}

TEST_F(AdvisoryRuntimeTest, TwoUnfinishedReevaluationsAreKeptApartAndBothResumed) {
  SetPolicy(kPolicy);
  const std::vector<std::string> affected = ReportAffectedPumps(4);
  StartAdvisories(/*chunk_devices=*/3);
  advisories_->Stop();
  ASSERT_TRUE(Import("icsma-23-193-01.json", /*in_background=*/true).ok());
  EXPECT_EQ(StoredReevaluations(), 1u);

  // After a restart, a newer revision imported before the first record is resumed gets a record of its own: the
  // sequence continues past the stored one rather than overwriting it.
  Reopen();
  StartAdvisories(/*chunk_devices=*/3);
  InstallPolicyOnly(kPolicy);
  advisories_->Stop();
  absl::StatusOr<v1::Advisory> advisory = advisories::ParseCsafAdvisory(ReadFixture("icsma-23-193-01.json"));
  ASSERT_TRUE(advisory.ok()) << advisory.status();
  advisory->set_version("2");
  *advisory->mutable_current_release_date() = testing_support::ToTimestamp(Now());
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported =
      advisories_->Import({*advisory}, {"revision 2"}, {v1::ACTOR_KIND_TOKEN, "admin"}, Now(), /*in_background=*/true);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(StoredReevaluations(), 2u);
  EXPECT_THAT(Open(), IsEmpty());

  Reopen();
  StartAdvisories(/*chunk_devices=*/3);
  InstallPolicyOnly(kPolicy);
  advisories_->Resume();
  WaitForBackgroundFindings();
  EXPECT_THAT(Open(), ElementsAreArray(affected));
  EXPECT_EQ(advisories_->reevaluated_devices(), 8u);  // each record's 4 pumps
}

TEST_F(AdvisoryRuntimeTest, AWaitingImportWhoseReevaluationFailsSaysWhatIsStoredAndTheBackgroundFinishesIt) {
  SetPolicy(kPolicy);
  const std::vector<std::string> affected = ReportAffectedPumps(6);
  StartAdvisories(AdvisoryRuntimeOptions{.chunk_devices = 2, .retry_initial = absl::Milliseconds(10)});
  // The import's own write goes through; the volume then refuses the next three writes (the first chunk's, then two
  // retries of it), as a full disk would, and recovers.
  // Shared with the gate, which the background thread may still call if the test ends early.
  auto writes = std::make_shared<std::atomic<int>>(0);
  db_->SetWriteGate([writes]() -> absl::Status {
    const int n = ++*writes;
    if (n >= 2 && n <= 4) return absl::ResourceExhaustedError("no space left on the volume");
    return absl::OkStatus();
  });
  absl::StatusOr<std::vector<v1::AdvisorySummary>> imported = Import("icsma-23-193-01.json");
  EXPECT_EQ(imported.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(imported.status().message()),
              ::testing::AllOf(::testing::HasSubstr("the advisories are stored and in force"),
                               ::testing::HasSubstr("no space left on the volume"),
                               ::testing::HasSubstr("the 6 pumps left are re-evaluated in the background")));
  ASSERT_TRUE(advisories_->Get(kTrackingId).ok());  // stored
  WaitForBackgroundFindings();
  EXPECT_THAT(Open(), ElementsAreArray(affected));
  EXPECT_GE(writes->load(), 5);
  db_->SetWriteGate(nullptr);
}

// The read an import's chunk makes (storage::DeviceStore::GetDevices, one MultiGet): the devices in the order asked,
// null for one never reported, and a stored state that does not parse is DATA_LOSS naming the device.
TEST_F(AdvisoryRuntimeTest, GetDevicesReadsAChunkInOrderWithAbsentOnesNull) {
  Report(Pump("PT-1", "PCU-8015", "12.1.0"));
  Report(Pump("PT-2", "SPACE-LVP", "686E"));
  google::protobuf::Arena arena;
  absl::StatusOr<std::vector<v1::Device*>> read = devices_->GetDevices({"PT-2", "PT-404", "PT-1", "PT-2"}, arena);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 4u);
  ASSERT_NE((*read)[0], nullptr);
  EXPECT_EQ((*read)[0]->identity().model(), "SPACE-LVP");
  EXPECT_EQ((*read)[1], nullptr);
  ASSERT_NE((*read)[2], nullptr);
  EXPECT_EQ((*read)[2]->last_observation().firmware_version(), "12.1.0");
  ASSERT_NE((*read)[3], nullptr);
  EXPECT_EQ((*read)[3]->identity().asset_tag(), "PT-2");
  absl::StatusOr<std::vector<v1::Device*>> none = devices_->GetDevices({}, arena);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());

  ASSERT_TRUE(db_->raw()
                  .Put(rocksdb::WriteOptions(), db_->Handle(storage::ColumnFamily::kDevices),
                       storage::keys::DeviceKey("PT-1"), "\xff\xff garbage")
                  .ok());
  absl::StatusOr<std::vector<v1::Device*>> corrupt = devices_->GetDevices({"PT-2", "PT-1"}, arena);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(corrupt.status().message()), ::testing::HasSubstr("PT-1"));
}

}  // namespace
}  // namespace pumptrack::engine
