// Integration tests for the change history DeviceStore keeps: which changes create entries, their contents, order,
// time ranges and paging.
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/device_store.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::BaseTime;
using testing_util::Batch;
using testing_util::FromTimestamp;
using testing_util::Obs;
using testing_util::ObservationBuilder;

class DeviceStoreHistoryTest : public testing_util::StorageTest {
 protected:
  // Applies a first observation, then `changed` (sequence 2, one minute later), and returns PT-1's newest entry.
  // Fails the test unless exactly one new entry appeared.
  v1::HistoryEntry ChangeEntry(ObservationBuilder changed) {
    EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime())), ApplyResult::kAccepted);
    EXPECT_EQ(MustApplyOne(changed.Seq(2).At(BaseTime() + absl::Minutes(1))), ApplyResult::kAccepted);
    std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
    EXPECT_EQ(history.size(), 2u);
    if (history.empty()) return {};
    EXPECT_EQ(history.front().sequence(), 2u);
    return history.front();
  }

  std::vector<std::uint64_t> Sequences(absl::Time start, absl::Time end, absl::string_view tag = "PT-1") const {
    absl::StatusOr<HistoryPage> page = store_->GetHistory(tag, start, end, "", 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::uint64_t> out;
    if (!page.ok()) return out;
    for (const v1::HistoryEntry& entry : page->entries) out.push_back(entry.sequence());
    return out;
  }
};

TEST_F(DeviceStoreHistoryTest, FirstSeenEntryHoldsTheInitialSnapshot) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(3).At(BaseTime()).Room("512"), "gw-5west-01"), ApplyResult::kAccepted);
  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 1u);
  const v1::HistoryEntry& entry = history[0];
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_FIRST_SEEN));
  EXPECT_EQ(FromTimestamp(entry.observed_at()), BaseTime());
  EXPECT_EQ(entry.sequence(), 3u);
  EXPECT_EQ(entry.agent_id(), "gw-5west-01");
  EXPECT_FALSE(entry.has_before());
  ASSERT_TRUE(entry.has_after());
  const v1::DeviceSnapshot& after = entry.after();
  EXPECT_EQ(after.location().facility(), "general");
  EXPECT_EQ(after.location().unit(), "5-west");
  EXPECT_EQ(after.location().room(), "512");
  EXPECT_EQ(after.firmware_version(), "12.1.3");
  EXPECT_EQ(after.drug_library().name(), "adult-icu");
  EXPECT_EQ(after.drug_library().version(), "2026.11.2");
  EXPECT_EQ(after.drug_library().digest(), "sha256:9f2c1e");
  EXPECT_EQ(after.configuration_digest(), "sha256:c0nf1g");
  EXPECT_EQ(after.operating_state(), v1::OPERATING_STATE_IDLE);
  EXPECT_EQ(after.seal_state(), v1::SEAL_STATE_INTACT);
  EXPECT_EQ(after.seal_id(), "SEAL-PT-1");
  EXPECT_EQ(after.case_state(), v1::CASE_STATE_CLOSED);
  EXPECT_FALSE(after.default_credentials());
  EXPECT_EQ(after.wifi_security(), v1::WIFI_SECURITY_WPA2_ENTERPRISE);
  EXPECT_FALSE(after.remote_access_enabled());
  EXPECT_EQ(after.open_services(), 1u);
}

TEST_F(DeviceStoreHistoryTest, LocationChangeRecordsBeforeAndAfter) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").Unit("4-east").Room("410"));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_LOCATION));
  EXPECT_EQ(FromTimestamp(entry.observed_at()), BaseTime() + absl::Minutes(1));
  EXPECT_EQ(entry.agent_id(), "gw-5west-01");
  ASSERT_TRUE(entry.has_before());
  EXPECT_EQ(entry.before().location().unit(), "5-west");
  EXPECT_EQ(entry.before().location().room(), "512");
  EXPECT_EQ(entry.after().location().unit(), "4-east");
  EXPECT_EQ(entry.after().location().room(), "410");
  // Unchanged parts appear identically on both sides.
  EXPECT_EQ(entry.before().firmware_version(), entry.after().firmware_version());
}

TEST_F(DeviceStoreHistoryTest, FirmwareChangeIsRecorded) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").Firmware("12.2.0"));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_FIRMWARE));
  EXPECT_EQ(entry.before().firmware_version(), "12.1.3");
  EXPECT_EQ(entry.after().firmware_version(), "12.2.0");
}

TEST_F(DeviceStoreHistoryTest, DrugLibraryChangeIsRecorded) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").DrugLibrary("2026.12.1", "sha256:abcd01"));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_DRUG_LIBRARY));
  EXPECT_EQ(entry.before().drug_library().version(), "2026.11.2");
  EXPECT_EQ(entry.after().drug_library().version(), "2026.12.1");
  EXPECT_EQ(entry.after().drug_library().digest(), "sha256:abcd01");
}

// Apply decides history-worthiness field by field; these cover the drug library fields the builder does not set.
TEST_F(DeviceStoreHistoryTest, DrugLibraryPublishedAtChangeOrClearIsRecorded) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime())), ApplyResult::kAccepted);
  v1::Observation republished = Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1));
  republished.mutable_drug_library()->mutable_published_at()->set_nanos(1);
  ASSERT_EQ(MustApplyOne(republished), ApplyResult::kAccepted);
  v1::Observation unpublished = Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(2));
  unpublished.mutable_drug_library()->clear_published_at();
  ASSERT_EQ(MustApplyOne(unpublished), ApplyResult::kAccepted);
  v1::Observation zero = Obs("PT-1").Seq(4).At(BaseTime() + absl::Minutes(3));
  zero.mutable_drug_library()->mutable_published_at()->Clear();  // set, but the zero time: differs from unset
  ASSERT_EQ(MustApplyOne(zero), ApplyResult::kAccepted);
  v1::Observation renamed = Obs("PT-1").Seq(5).At(BaseTime() + absl::Minutes(4));
  renamed.mutable_drug_library()->set_name("peds-icu");
  renamed.mutable_drug_library()->mutable_published_at()->Clear();
  ASSERT_EQ(MustApplyOne(renamed), ApplyResult::kAccepted);

  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(history[i].changes(), ElementsAre(v1::CHANGE_KIND_DRUG_LIBRARY)) << history[i].sequence();
  }
  EXPECT_EQ(history[0].after().drug_library().name(), "peds-icu");
  EXPECT_FALSE(history[2].after().drug_library().has_published_at());
  EXPECT_TRUE(history[1].after().drug_library().has_published_at());
}

// The field-by-field comparison in Apply knows DrugLibrary's four fields; a new field must be added there too.
TEST(DeviceStoreHistoryFields, DrugLibraryHasTheFieldsApplyCompares) {
  EXPECT_EQ(v1::DrugLibrary::descriptor()->field_count(), 4);
}

TEST_F(DeviceStoreHistoryTest, OpenServiceCountChangeIsRecordedAsSecurity) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").OpenTelnet().OpenTelnet());
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_SECURITY));
  EXPECT_EQ(entry.after().open_services(), entry.before().open_services() + 2);
}

TEST_F(DeviceStoreHistoryTest, ConfigurationDigestChangeIsRecorded) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").ConfigDigest("sha256:c0nf1g-v2"));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_CONFIGURATION));
  EXPECT_EQ(entry.before().configuration_digest(), "sha256:c0nf1g");
  EXPECT_EQ(entry.after().configuration_digest(), "sha256:c0nf1g-v2");
}

TEST_F(DeviceStoreHistoryTest, SealStateAndSealIdChangesAreRecorded) {
  const v1::HistoryEntry broken = ChangeEntry(Obs("PT-1").Seal(v1::SEAL_STATE_BROKEN));
  EXPECT_THAT(broken.changes(), ElementsAre(v1::CHANGE_KIND_SEAL));
  EXPECT_EQ(broken.before().seal_state(), v1::SEAL_STATE_INTACT);
  EXPECT_EQ(broken.after().seal_state(), v1::SEAL_STATE_BROKEN);

  // A new seal fitted (new id, intact again) is a seal change too.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(2)).SealId("SEAL-NEW-77")),
            ApplyResult::kAccepted);
  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_SEAL));
  EXPECT_EQ(history[0].before().seal_id(), "SEAL-PT-1");
  EXPECT_EQ(history[0].after().seal_id(), "SEAL-NEW-77");
  EXPECT_EQ(history[0].after().seal_state(), v1::SEAL_STATE_INTACT);
}

TEST_F(DeviceStoreHistoryTest, CaseOpenedIsASealChange) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").Case(v1::CASE_STATE_OPENED));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_SEAL));
  EXPECT_EQ(entry.before().case_state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(entry.after().case_state(), v1::CASE_STATE_OPENED);
}

TEST_F(DeviceStoreHistoryTest, ReportingAgentChangeIsRecordedWithThePreviousAgent) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()), "gw-5west-01"), ApplyResult::kAccepted);
  // Same content, same agent: nothing history-worthy.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)), "gw-5west-01"), ApplyResult::kAccepted);
  ASSERT_EQ(AllHistory("PT-1").size(), 1u);

  // Same content from another agent: a REPORTING_AGENT entry naming both agents.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(40).At(BaseTime() + absl::Minutes(2)), "rtls-bridge-02"),
            ApplyResult::kAccepted);
  std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_REPORTING_AGENT));
  EXPECT_EQ(history[0].agent_id(), "rtls-bridge-02");
  EXPECT_EQ(history[0].previous_agent_id(), "gw-5west-01");
  EXPECT_EQ(history[0].sequence(), 40u);

  // Combined with a move, both kinds are listed; a superseded (older) report from the old agent adds nothing.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(3).At(BaseTime() + absl::Seconds(90)).Room("514"), "gw-5west-01"),
            ApplyResult::kDuplicate);
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(4).At(BaseTime() + absl::Minutes(3)).Room("514"), "gw-5west-01"),
            ApplyResult::kAccepted);
  history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_LOCATION, v1::CHANGE_KIND_REPORTING_AGENT));
  EXPECT_EQ(history[0].previous_agent_id(), "rtls-bridge-02");
  EXPECT_EQ(history[0].agent_id(), "gw-5west-01");
  // Entries without an agent change carry no previous agent.
  EXPECT_EQ(history[2].previous_agent_id(), "");
}

TEST_F(DeviceStoreHistoryTest, SecurityPostureChangeIsRecorded) {
  const v1::HistoryEntry entry = ChangeEntry(Obs("PT-1").DefaultCredentials(true).OpenTelnet());
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_SECURITY));
  EXPECT_FALSE(entry.before().default_credentials());
  EXPECT_TRUE(entry.after().default_credentials());
  EXPECT_EQ(entry.before().open_services(), 1u);
  EXPECT_EQ(entry.after().open_services(), 2u);
}

TEST_F(DeviceStoreHistoryTest, SeveralChangesInOneObservationAreOneEntry) {
  const v1::HistoryEntry entry =
      ChangeEntry(Obs("PT-1").Room("514").Firmware("12.2.0").ConfigDigest("sha256:other").Seal(v1::SEAL_STATE_MISSING));
  EXPECT_THAT(entry.changes(), ElementsAre(v1::CHANGE_KIND_LOCATION, v1::CHANGE_KIND_FIRMWARE,
                                           v1::CHANGE_KIND_CONFIGURATION, v1::CHANGE_KIND_SEAL));
}

TEST_F(DeviceStoreHistoryTest, OperatingStateOnlyChangesCreateNoEntry) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()).State(v1::OPERATING_STATE_IDLE)), ApplyResult::kAccepted);
  ASSERT_EQ(MustApplyOne(
                Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).State(v1::OPERATING_STATE_INFUSING).Battery(64)),
            ApplyResult::kAccepted);
  ASSERT_EQ(MustApplyOne(Obs("PT-1")
                             .Seq(3)
                             .At(BaseTime() + absl::Minutes(2))
                             .State(v1::OPERATING_STATE_ALARM)
                             .Confidence(0.2f)
                             .Source(v1::LOCATION_SOURCE_WIFI_AP)),
            ApplyResult::kAccepted);

  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_FIRST_SEEN));
  // The device state itself did advance.
  const v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_observation().operating_state(), v1::OPERATING_STATE_ALARM);
  EXPECT_EQ(device.accepted_reports(), 3u);
}

TEST_F(DeviceStoreHistoryTest, EntriesAreNewestFirst) {
  Batch batch;
  for (int i = 1; i <= 6; ++i) {
    batch.Add(Obs("PT-1").Seq(i).At(BaseTime() + absl::Minutes(i)).Room(absl::StrCat(500 + i)));
  }
  // Two entries at the same observed_at (agent clock resolution) order by sequence, higher first.
  batch.Add(Obs("PT-1").Seq(7).At(BaseTime() + absl::Minutes(6)).Room("599"));
  MustApply(batch);

  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  std::vector<std::uint64_t> sequences;
  for (const v1::HistoryEntry& entry : history) sequences.push_back(entry.sequence());
  EXPECT_THAT(sequences, ElementsAre(7, 6, 5, 4, 3, 2, 1));
  for (std::size_t i = 1; i < history.size(); ++i) {
    EXPECT_GE(FromTimestamp(history[i - 1].observed_at()), FromTimestamp(history[i].observed_at()));
  }
}

TEST_F(DeviceStoreHistoryTest, TimeRangeIsStartInclusiveEndExclusive) {
  const absl::Time t = BaseTime();
  Batch batch;
  batch.Add(Obs("PT-1").Seq(1).At(t).Room("501"));
  batch.Add(Obs("PT-1").Seq(2).At(t + absl::Minutes(10)).Room("502"));
  batch.Add(Obs("PT-1").Seq(3).At(t + absl::Minutes(20)).Room("503"));
  batch.Add(Obs("PT-1").Seq(4).At(t + absl::Minutes(20)).Room("504"));  // same instant, later sequence
  batch.Add(Obs("PT-1").Seq(5).At(t + absl::Minutes(30)).Room("505"));
  MustApply(batch);
  const absl::Duration us = absl::Microseconds(1);

  EXPECT_THAT(Sequences(t + absl::Minutes(10), t + absl::Minutes(30)), ElementsAre(4, 3, 2));
  EXPECT_THAT(Sequences(t + absl::Minutes(10) + us, t + absl::Minutes(30)), ElementsAre(4, 3));
  EXPECT_THAT(Sequences(t + absl::Minutes(10), t + absl::Minutes(30) + us), ElementsAre(5, 4, 3, 2));
  EXPECT_THAT(Sequences(t + absl::Minutes(20), t + absl::Minutes(20) + us), ElementsAre(4, 3));
  EXPECT_THAT(Sequences(t + absl::Minutes(20), t + absl::Minutes(20)), IsEmpty());  // empty range
  EXPECT_THAT(Sequences(t + absl::Minutes(20) - us, t + absl::Minutes(20)), IsEmpty());
  EXPECT_THAT(Sequences(t, t + absl::Minutes(10)), ElementsAre(1));
  EXPECT_THAT(Sequences(absl::InfinitePast(), absl::InfiniteFuture()), ElementsAre(5, 4, 3, 2, 1));
  EXPECT_THAT(Sequences(t + absl::Minutes(31), absl::InfiniteFuture()), IsEmpty());
  EXPECT_THAT(Sequences(absl::InfinitePast(), t), IsEmpty());
}

TEST_F(DeviceStoreHistoryTest, PagingWithCursorVisitsEveryEntryExactlyOnce) {
  Batch batch;
  for (int i = 1; i <= 9; ++i) {
    // Pairs of entries share an observed_at so pages also split equal times.
    batch.Add(Obs("PT-1").Seq(i).At(BaseTime() + absl::Minutes((i + 1) / 2)).Room(absl::StrCat(500 + i)));
  }
  batch.Add(Obs("PT-2").Seq(1).At(BaseTime()));  // another device's history must not leak in
  MustApply(batch);

  for (int limit : {1, 2, 4, 9, 10}) {
    std::vector<std::uint64_t> seen;
    std::string cursor;
    int pages = 0;
    for (int guard = 0; guard < 100; ++guard) {
      absl::StatusOr<HistoryPage> page =
          store_->GetHistory("PT-1", absl::InfinitePast(), absl::InfiniteFuture(), cursor, limit);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_LE(page->entries.size(), static_cast<std::size_t>(limit));
      ++pages;
      for (const v1::HistoryEntry& entry : page->entries) seen.push_back(entry.sequence());
      if (page->next_cursor.empty()) break;
      cursor = page->next_cursor;
    }
    EXPECT_THAT(seen, ElementsAre(9, 8, 7, 6, 5, 4, 3, 2, 1)) << "limit " << limit;
    EXPECT_EQ(pages, (9 + limit - 1) / limit) << "limit " << limit;
  }

  // Paging within a time range keeps honouring its start.
  std::vector<std::uint64_t> seen;
  std::string cursor;
  for (int guard = 0; guard < 100; ++guard) {
    absl::StatusOr<HistoryPage> page =
        store_->GetHistory("PT-1", BaseTime() + absl::Minutes(2), BaseTime() + absl::Minutes(5), cursor, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::HistoryEntry& entry : page->entries) seen.push_back(entry.sequence());
    if (page->next_cursor.empty()) break;
    cursor = page->next_cursor;
  }
  EXPECT_THAT(seen, ElementsAre(8, 7, 6, 5, 4, 3));
}

TEST_F(DeviceStoreHistoryTest, CursorOfAnotherDeviceOrGarbageIsInvalidArgument) {
  Batch batch;
  for (const char* tag : {"A", "AB", "PT-2"}) {
    batch.Add(Obs(tag).Seq(1).At(BaseTime()));
    batch.Add(Obs(tag).Seq(2).At(BaseTime() + absl::Minutes(1)).Room("514"));
  }
  MustApply(batch);

  absl::StatusOr<HistoryPage> first = store_->GetHistory("A", absl::InfinitePast(), absl::InfiniteFuture(), "", 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_cursor.empty());

  for (const char* other : {"AB", "PT-2"}) {
    absl::StatusOr<HistoryPage> page =
        store_->GetHistory(other, absl::InfinitePast(), absl::InfiniteFuture(), first->next_cursor, 10);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << other;
    EXPECT_THAT(std::string(page.status().message()), HasSubstr("does not belong"));
  }
  for (absl::string_view garbage : {absl::string_view("not-a-cursor"),
                                    absl::string_view("\x01\x01"
                                                      "A",
                                                      3),
                                    absl::string_view(first->next_cursor).substr(0, 12)}) {
    absl::StatusOr<HistoryPage> page =
        store_->GetHistory("A", absl::InfinitePast(), absl::InfiniteFuture(), garbage, 10);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << garbage.size() << " bytes";
  }
  // The genuine cursor still works for its own device.
  absl::StatusOr<HistoryPage> rest =
      store_->GetHistory("A", absl::InfinitePast(), absl::InfiniteFuture(), first->next_cursor, 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->entries.size(), 1u);
  EXPECT_EQ(rest->entries[0].sequence(), 1u);
  EXPECT_EQ(rest->next_cursor, "");
}

TEST_F(DeviceStoreHistoryTest, HistoryIsPerDevice) {
  Batch batch;
  batch.Add(Obs("A").Seq(1).At(BaseTime()));
  batch.Add(Obs("AB").Seq(1).At(BaseTime() + absl::Minutes(1)));
  batch.Add(Obs("AB").Seq(2).At(BaseTime() + absl::Minutes(2)).Room("514"));
  batch.Add(Obs("B").Seq(1).At(BaseTime()));
  MustApply(batch);
  EXPECT_THAT(Sequences(absl::InfinitePast(), absl::InfiniteFuture(), "A"), ElementsAre(1));
  EXPECT_THAT(Sequences(absl::InfinitePast(), absl::InfiniteFuture(), "AB"), ElementsAre(2, 1));
  // Unknown devices simply have no history.
  absl::StatusOr<HistoryPage> none = store_->GetHistory("PT-404", absl::InfinitePast(), absl::InfiniteFuture(), "", 10);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(none->entries, IsEmpty());
  EXPECT_EQ(none->next_cursor, "");
  // Duplicates never add history.
  EXPECT_EQ(MustApplyOne(Obs("AB").Seq(2).At(BaseTime() + absl::Minutes(2)).Room("516")), ApplyResult::kDuplicate);
  EXPECT_THAT(Sequences(absl::InfinitePast(), absl::InfiniteFuture(), "AB"), ElementsAre(2, 1));
}

// ---------------------------------------------------------------------------------------------------------------
// Regression (fixed): history keys are (asset tag, observed_at, sequence) only
// (storage/keys.h HistoryKey, used by storage/device_store.cc Apply line ~222). Sequences are per (agent, device), so
// two agents can report the same observed_at and sequence; the second agent's observation is accepted (not older)
// and its history entry silently overwrites the first one (every agent switch now writes a REPORTING_AGENT entry,
// so any such collision loses history). Here the FIRST_SEEN entry is lost.
// ---------------------------------------------------------------------------------------------------------------
TEST_F(DeviceStoreHistoryTest, EqualTimeAndSequenceFromTwoAgentsKeepsBothEntries) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()).Room("512"), "gw-5west-01"), ApplyResult::kAccepted);
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()).Room("514"), "rtls-bridge-02"), ApplyResult::kAccepted);
  EXPECT_EQ(MustGet("PT-1").accepted_reports(), 2u);

  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 2u) << "an accepted change's history entry overwrote an earlier one";
  std::set<std::string> agents = {history[0].agent_id(), history[1].agent_id()};
  EXPECT_EQ(agents, (std::set<std::string>{"gw-5west-01", "rtls-bridge-02"}));
}

// ---------------------------------------------------------------------------------------------------------------
// Regression (fixed): GetHistory's bounds are converted to microseconds by truncation
// (storage/device_store.cc GetHistory lines ~330 and ~339, via keys::HistoryKey/absl::ToUnixMicros), but the service
// passes nanosecond-precision bounds (service/device_history_handler.cc RangeBound). With end = T + 500ns an entry at
// exactly T (< end) is dropped; with start = T + 500ns an entry at T (< start) is returned.
// ---------------------------------------------------------------------------------------------------------------
TEST_F(DeviceStoreHistoryTest, SubMicrosecondRangeBoundsAreHonoured) {
  const absl::Time t = BaseTime();
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(t)), ApplyResult::kAccepted);
  const absl::Duration half_us = absl::Nanoseconds(500);
  EXPECT_THAT(Sequences(t - absl::Seconds(1), t + half_us), ElementsAre(1))
      << "entry at T missing from [T-1s, T+500ns)";
  EXPECT_THAT(Sequences(t + half_us, t + absl::Seconds(1)), IsEmpty()) << "entry at T returned for [T+500ns, T+1s)";
}

}  // namespace
}  // namespace pumptrack::storage
