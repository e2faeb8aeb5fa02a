// Integration tests for DeviceStore::Apply, GetDevice and GetDeviceBySerial against a real RocksDB.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/device_store.h"
#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::BaseTime;
using testing_util::Batch;
using testing_util::FromTimestamp;
using testing_util::Obs;
using testing_util::ToTimestamp;

constexpr ApplyResult kAccepted = ApplyResult::kAccepted;
constexpr ApplyResult kDuplicate = ApplyResult::kDuplicate;

class DeviceStoreApplyTest : public testing_util::StorageTest {};

TEST_F(DeviceStoreApplyTest, FirstObservationIsAcceptedAndStored) {
  const v1::Observation observation = Obs("PT-00042").Seq(1).At(BaseTime());
  ASSERT_EQ(MustApplyOne(observation, "gw-5west-01", Now()), kAccepted);

  const v1::Device device = MustGet("PT-00042");
  EXPECT_TRUE(MessageDifferencer::Equals(device.identity(), observation.identity())) << device.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(device.last_observation(), observation)) << device.DebugString();
  EXPECT_EQ(FromTimestamp(device.first_seen_at()), Now());
  EXPECT_EQ(FromTimestamp(device.last_seen_at()), Now());
  EXPECT_EQ(FromTimestamp(device.location_since()), BaseTime());
  EXPECT_EQ(device.accepted_reports(), 1u);
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(device.last_agent().agent_version(), "0.1.0");
}

TEST_F(DeviceStoreApplyTest, SameAgentSameSequenceIsDuplicateAndChangesNothing) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(7).At(BaseTime())), kAccepted);
  const std::optional<std::string> before = RawDevice("PT-1");
  ASSERT_TRUE(before.has_value());

  // A retry of sequence 7, even with different content and a later service clock, is acknowledged and ignored.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(7).At(BaseTime() + absl::Minutes(1)).Room("514").Firmware("13.0.0"),
                         "gw-5west-01", Now() + absl::Hours(1)),
            kDuplicate);
  EXPECT_EQ(RawDevice("PT-1"), before);  // bytes-equal
  EXPECT_EQ(AllHistory("PT-1").size(), 1u);
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}), std::vector<std::string>{"PT-1"});
}

TEST_F(DeviceStoreApplyTest, SameAgentLowerSequenceIsDuplicateAndDoesNotRegress) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(5).At(BaseTime()).Room("512")), kAccepted);
  const std::optional<std::string> before = RawDevice("PT-1");

  // Lower sequence, even if observed later, is a late retry.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(4).At(BaseTime() + absl::Minutes(5)).Room("514")), kDuplicate);
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime() + absl::Minutes(6)).Room("516")), kDuplicate);

  EXPECT_EQ(RawDevice("PT-1"), before);
  const v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 5u);
  EXPECT_EQ(device.last_observation().location().room(), "512");
  EXPECT_EQ(device.accepted_reports(), 1u);
}

TEST_F(DeviceStoreApplyTest, SameAgentHigherSequenceIsAccepted) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()), "gw-5west-01", Now()), kAccepted);
  const absl::Time later = Now() + absl::Minutes(2);
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Battery(55), "gw-5west-01", later),
            kAccepted);
  // A gap (dropped observations) is fine too.
  const absl::Time latest = Now() + absl::Minutes(10);
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(10).At(BaseTime() + absl::Minutes(9)).Battery(40), "gw-5west-01", latest),
            kAccepted);

  const v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 10u);
  EXPECT_EQ(device.last_observation().physical().battery_percent(), 40u);
  EXPECT_EQ(device.accepted_reports(), 3u);
  EXPECT_EQ(FromTimestamp(device.first_seen_at()), Now());
  EXPECT_EQ(FromTimestamp(device.last_seen_at()), latest);
  EXPECT_EQ(FromTimestamp(device.location_since()), BaseTime());  // never moved
}

TEST_F(DeviceStoreApplyTest, OtherAgentWithOlderObservationIsSuperseded) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(7).At(BaseTime() + absl::Minutes(10)).Room("512"), "gw-5west-01"), kAccepted);
  const std::optional<std::string> before = RawDevice("PT-1");

  // Another agent with a much higher sequence but an older observation loses.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(100).At(BaseTime() + absl::Minutes(5)).Room("514"), "rtls-bridge-02"),
            kDuplicate);
  EXPECT_EQ(RawDevice("PT-1"), before);
  const v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(device.last_observation().location().room(), "512");
  EXPECT_EQ(AllHistory("PT-1").size(), 1u);
}

TEST_F(DeviceStoreApplyTest, OtherAgentWithNewerObservationIsAcceptedAndBecomesLastAgent) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(7).At(BaseTime()).Room("512"), "gw-5west-01"), kAccepted);
  // Newer observation from another agent with a LOWER sequence: accepted, sequences are per agent.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(1)).Room("514"), "rtls-bridge-02"),
            kAccepted);
  v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_agent().agent_id(), "rtls-bridge-02");
  EXPECT_EQ(device.last_observation().sequence(), 3u);
  EXPECT_EQ(device.last_observation().location().room(), "514");
  EXPECT_EQ(device.accepted_reports(), 2u);

  // The first agent is no longer the last agent: its next observation is judged by time, not sequence.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(8).At(BaseTime() + absl::Seconds(30)), "gw-5west-01"), kDuplicate);
  // An observation at exactly the same time from another agent is not older, so it is accepted.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(9).At(BaseTime() + absl::Minutes(1)).Room("514"), "gw-5west-01"), kAccepted);
  device = MustGet("PT-1");
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(device.last_observation().sequence(), 9u);
  EXPECT_EQ(device.accepted_reports(), 3u);
}

TEST_F(DeviceStoreApplyTest, SeveralObservationsOfOneDeviceInOneApplyAreAppliedInOrder) {
  Batch batch;
  batch.Add(Obs("PT-1").Seq(1).At(BaseTime()).Room("512"));
  batch.Add(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Room("514"));
  batch.Add(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Room("514"));  // retry within the batch
  batch.Add(Obs("PT-1").Seq(1).At(BaseTime()).Room("512"));                     // stale
  batch.Add(Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(2)).Room("516").Firmware("12.2.0"));
  EXPECT_THAT(MustApply(batch), ElementsAre(kAccepted, kAccepted, kDuplicate, kDuplicate, kAccepted));

  const v1::Device device = MustGet("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 3u);
  EXPECT_EQ(device.last_observation().location().room(), "516");
  EXPECT_EQ(device.last_observation().firmware_version(), "12.2.0");
  EXPECT_EQ(device.accepted_reports(), 3u);
  EXPECT_EQ(FromTimestamp(device.location_since()), BaseTime() + absl::Minutes(2));

  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_LOCATION, v1::CHANGE_KIND_FIRMWARE));
  EXPECT_EQ(history[0].before().location().room(), "514");
  EXPECT_THAT(history[1].changes(), ElementsAre(v1::CHANGE_KIND_LOCATION));
  EXPECT_EQ(history[1].before().location().room(), "512");
  EXPECT_THAT(history[2].changes(), ElementsAre(v1::CHANGE_KIND_FIRST_SEEN));
}

TEST_F(DeviceStoreApplyTest, BatchMixingManyDevices) {
  // Seed two devices so the batch mixes new and existing ones.
  Batch seed;
  seed.Add(Obs("PT-000").Seq(4).At(BaseTime()));
  seed.Add(Obs("PT-001").Seq(4).At(BaseTime()));
  ASSERT_THAT(MustApply(seed), ElementsAre(kAccepted, kAccepted));

  Batch batch;
  std::vector<ApplyResult> expected;
  constexpr int kDevices = 24;
  for (int round = 0; round < 2; ++round) {
    for (int i = kDevices - 1; i >= 0; --i) {  // reverse tag order, interleaved rounds
      const std::string tag = absl::StrFormat("PT-%03d", i);
      const std::uint64_t sequence = 4 + round;  // 4 is a duplicate for the seeded devices
      batch.Add(Obs(tag).Seq(sequence).At(BaseTime() + absl::Minutes(1 + round)).Room(absl::StrCat(500 + round)),
                i % 3 == 2 && i >= 2 ? "gw-4east-01" : "gw-5west-01");
      expected.push_back(round == 0 && i <= 1 ? kDuplicate : kAccepted);
    }
  }
  // A stale retry of a seeded device at the end.
  batch.Add(Obs("PT-000").Seq(3).At(BaseTime() - absl::Minutes(1)));
  expected.push_back(kDuplicate);
  EXPECT_EQ(MustApply(batch), expected);

  for (int i = 0; i < kDevices; ++i) {
    const v1::Device device = MustGet(absl::StrFormat("PT-%03d", i));
    EXPECT_EQ(device.last_observation().sequence(), 5u) << i;
    EXPECT_EQ(device.last_observation().location().room(), "501") << i;
    EXPECT_EQ(device.accepted_reports(), 2u) << i;  // seeded: seed + round 1; new: round 0 + round 1
    EXPECT_EQ(FromTimestamp(device.location_since()), BaseTime() + absl::Minutes(2)) << i;
  }
  EXPECT_EQ(ListTags({}).size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}).size(), static_cast<std::size_t>(kDevices));
}

TEST_F(DeviceStoreApplyTest, EmptyApplyIsANoOp) {
  Batch empty;
  absl::StatusOr<std::vector<ApplyResult>> results = store_->Apply(empty.span(), Now());
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(results->empty());
  EXPECT_TRUE(ListTags({}).empty());
}

TEST_F(DeviceStoreApplyTest, LocationSinceIgnoresConfidenceAndSourceButFollowsTheRoom) {
  const absl::Time t0 = BaseTime();
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(t0).Room("512").Source(v1::LOCATION_SOURCE_RTLS).Confidence(0.95f)),
            kAccepted);
  // Same place, weaker source and lower confidence: location_since stays, no history.
  ASSERT_EQ(MustApplyOne(Obs("PT-1")
                             .Seq(2)
                             .At(t0 + absl::Minutes(5))
                             .Room("512")
                             .Source(v1::LOCATION_SOURCE_WIFI_AP)
                             .Confidence(0.4f)),
            kAccepted);
  v1::Device device = MustGet("PT-1");
  EXPECT_EQ(FromTimestamp(device.location_since()), t0);
  EXPECT_EQ(device.last_observation().location().source(), v1::LOCATION_SOURCE_WIFI_AP);
  EXPECT_FLOAT_EQ(device.last_observation().location().confidence(), 0.4f);
  EXPECT_EQ(AllHistory("PT-1").size(), 1u);

  // Another room: location_since moves to that observation's time.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(3).At(t0 + absl::Minutes(10)).Room("514")), kAccepted);
  device = MustGet("PT-1");
  EXPECT_EQ(FromTimestamp(device.location_since()), t0 + absl::Minutes(10));

  // And stays there while only the source changes again.
  ASSERT_EQ(MustApplyOne(Obs("PT-1")
                             .Seq(4)
                             .At(t0 + absl::Minutes(15))
                             .Room("514")
                             .Source(v1::LOCATION_SOURCE_MANUAL_SCAN)
                             .Confidence(1.0f)),
            kAccepted);
  EXPECT_EQ(FromTimestamp(MustGet("PT-1").location_since()), t0 + absl::Minutes(10));

  // A move at a coarser level (other floor, same room id) is a move too.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(5).At(t0 + absl::Minutes(20)).Floor("4").Room("514")), kAccepted);
  EXPECT_EQ(FromTimestamp(MustGet("PT-1").location_since()), t0 + absl::Minutes(20));
  EXPECT_EQ(AllHistory("PT-1").size(), 3u);
}

TEST_F(DeviceStoreApplyTest, GetDeviceBySerialFindsTheDevice) {
  Batch batch;
  batch.Add(Obs("PT-1").Serial("AM5-0001-X"));
  batch.Add(Obs("PT-2").Serial("AM5-0002-X"));
  ASSERT_THAT(MustApply(batch), ElementsAre(kAccepted, kAccepted));

  absl::StatusOr<v1::Device> device = store_->GetDeviceBySerial("AM5-0002-X");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ(device->identity().asset_tag(), "PT-2");
  EXPECT_EQ(device->identity().serial_number(), "AM5-0002-X");
  EXPECT_TRUE(MessageDifferencer::Equals(*device, MustGet("PT-2")));
  // Serials are case-sensitive exact matches.
  EXPECT_EQ(store_->GetDeviceBySerial("am5-0002-x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceStoreApplyTest, SerialChangeMovesTheSerialIndex) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).Serial("SN-OLD")), kAccepted);
  ASSERT_TRUE(store_->GetDeviceBySerial("SN-OLD").ok());

  // The serial was mis-entered and is corrected (e.g. after a board swap).
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Serial("SN-NEW")), kAccepted);
  absl::StatusOr<v1::Device> by_new = store_->GetDeviceBySerial("SN-NEW");
  ASSERT_TRUE(by_new.ok()) << by_new.status();
  EXPECT_EQ(by_new->identity().asset_tag(), "PT-1");
  EXPECT_EQ(MustGet("PT-1").identity().serial_number(), "SN-NEW");

  absl::StatusOr<v1::Device> by_old = store_->GetDeviceBySerial("SN-OLD");
  EXPECT_EQ(by_old.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(by_old.status().message()), HasSubstr("SN-OLD"));
  EXPECT_EQ(db_->Get(ColumnFamily::kSerialIndex, keys::SerialKey("SN-OLD")).value(), std::nullopt);
}

TEST_F(DeviceStoreApplyTest, UnknownTagAndSerialAreNotFoundWithTheKeyInTheMessage) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1")), kAccepted);

  absl::StatusOr<v1::Device> by_tag = store_->GetDevice("PT-404");
  EXPECT_EQ(by_tag.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(by_tag.status().message()), HasSubstr("PT-404"));

  absl::StatusOr<v1::Device> by_serial = store_->GetDeviceBySerial("SN-404");
  EXPECT_EQ(by_serial.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(by_serial.status().message()), HasSubstr("SN-404"));

  // A prefix of an existing tag is not a match.
  EXPECT_EQ(store_->GetDevice("PT-").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceStoreApplyTest, CorruptStoredStateIsDataLossAndApplyWritesNothing) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1")), kAccepted);
  rocksdb::WriteOptions write;
  ASSERT_TRUE(
      db_->raw().Put(write, db_->Handle(ColumnFamily::kDevices), keys::DeviceKey("PT-1"), "\xff\xff garbage").ok());

  absl::StatusOr<v1::Device> device = store_->GetDevice("PT-1");
  EXPECT_EQ(device.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(device.status().message()), HasSubstr("PT-1"));

  // The batch fails as a whole: the healthy device in it is not stored either.
  Batch batch;
  batch.Add(Obs("PT-0").Seq(1));
  batch.Add(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)));
  absl::StatusOr<std::vector<ApplyResult>> results = store_->Apply(batch.span(), Now());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->GetDevice("PT-0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(AllHistory("PT-0").empty());
}

TEST_F(DeviceStoreApplyTest, EverythingSurvivesCloseAndReopen) {
  Batch batch;
  batch.Add(Obs("PT-1").Seq(1).Serial("AM5-1").Unit("5-west").Room("512"));
  batch.Add(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(3)).Serial("AM5-1").Unit("4-east").Room("410"));
  batch.Add(Obs("PT-2").Seq(1).Serial("AM5-2").Unit("5-west").State(v1::OPERATING_STATE_INFUSING), "gw-4east-01");
  batch.Add(Obs("PT-3").Seq(1).Serial("AM5-3").Unit("picu").Firmware("11.0.0"));
  ASSERT_THAT(MustApply(batch), ElementsAre(kAccepted, kAccepted, kAccepted, kAccepted));

  std::vector<v1::Device> devices_before;
  std::vector<std::vector<v1::HistoryEntry>> history_before;
  for (const char* tag : {"PT-1", "PT-2", "PT-3"}) {
    devices_before.push_back(MustGet(tag));
    history_before.push_back(AllHistory(tag));
  }

  Reopen();  // destroys the Database (closing RocksDB) and opens the same directory again

  const char* tags[] = {"PT-1", "PT-2", "PT-3"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(MustGet(tags[i]), devices_before[i])) << tags[i];
    const std::vector<v1::HistoryEntry> history = AllHistory(tags[i]);
    ASSERT_EQ(history.size(), history_before[i].size()) << tags[i];
    for (std::size_t j = 0; j < history.size(); ++j) {
      EXPECT_TRUE(MessageDifferencer::Equals(history[j], history_before[i][j])) << tags[i] << " entry " << j;
    }
  }
  EXPECT_EQ(AllHistory("PT-1").size(), 2u);
  absl::StatusOr<v1::Device> by_serial = store_->GetDeviceBySerial("AM5-3");
  ASSERT_TRUE(by_serial.ok()) << by_serial.status();
  EXPECT_EQ(by_serial->identity().asset_tag(), "PT-3");
  EXPECT_EQ(ListTags({}), (std::vector<std::string>{"PT-1", "PT-2", "PT-3"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "5-west"}), (std::vector<std::string>{"PT-2"}));
  EXPECT_EQ(ListTags(DeviceFilter{.unit = "4-east"}), (std::vector<std::string>{"PT-1"}));
  EXPECT_EQ(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_INFUSING}),
            (std::vector<std::string>{"PT-2"}));

  // Deduplication state survived too: a retry is still a duplicate, the next sequence is accepted.
  EXPECT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(3)).Serial("AM5-1").Unit("4-east")),
            kDuplicate);
  EXPECT_EQ(
      MustApplyOne(Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(4)).Serial("AM5-1").Unit("4-east").Room("410")),
      kAccepted);
  EXPECT_EQ(MustGet("PT-1").accepted_reports(), 3u);
}

// ---------------------------------------------------------------------------------------------------------------
// Regression (fixed): storage/device_store.cc Apply() deletes the device's *old* serial
// index entry unconditionally (lines ~240-243) without checking that it still points to this device, and stages
// deletes and puts per device in asset-tag order. When two pumps' serials are swapped (a data-entry correction), the
// second device's Delete removes the entry the first device just wrote.
// ---------------------------------------------------------------------------------------------------------------
TEST_F(DeviceStoreApplyTest, SerialSwapBetweenDevicesKeepsBothSerialsIndexed) {
  Batch seed;
  seed.Add(Obs("PT-1").Seq(1).Serial("SN-X"));
  seed.Add(Obs("PT-2").Seq(1).Serial("SN-Y"));
  ASSERT_THAT(MustApply(seed), ElementsAre(kAccepted, kAccepted));

  // The serials had been swapped at registration; both agents now report the corrected serials in one batch.
  Batch swap;
  swap.Add(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Serial("SN-Y"));
  swap.Add(Obs("PT-2").Seq(2).At(BaseTime() + absl::Minutes(1)).Serial("SN-X"));
  ASSERT_THAT(MustApply(swap), ElementsAre(kAccepted, kAccepted));

  absl::StatusOr<v1::Device> y = store_->GetDeviceBySerial("SN-Y");
  ASSERT_TRUE(y.ok()) << "serial SN-Y lost from the serial index: " << y.status();
  EXPECT_EQ(y->identity().asset_tag(), "PT-1");
  absl::StatusOr<v1::Device> x = store_->GetDeviceBySerial("SN-X");
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->identity().asset_tag(), "PT-2");
}

// Same root cause across two Apply calls: a serial that moved to another device is deleted when its previous
// owner changes serial.
TEST_F(DeviceStoreApplyTest, OldSerialDeletedEvenWhenNowOwnedByAnotherDevice) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).Serial("SN-X")), kAccepted);
  // The physical pump SN-X was re-labelled PT-9 and reports under its new tag.
  ASSERT_EQ(MustApplyOne(Obs("PT-9").Seq(1).At(BaseTime() + absl::Minutes(1)).Serial("SN-X")), kAccepted);
  // PT-1's tag now sits on another pump, which reports its own serial.
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(2)).Serial("SN-Z")), kAccepted);

  absl::StatusOr<v1::Device> x = store_->GetDeviceBySerial("SN-X");
  ASSERT_TRUE(x.ok()) << "PT-1's serial change deleted SN-X, which belongs to PT-9: " << x.status();
  EXPECT_EQ(x->identity().asset_tag(), "PT-9");
}

}  // namespace
}  // namespace pumptrack::storage
