// The utilization roll-up against hand-computed histories: every report goes through the real DeviceStore::Apply
// with the roll-up staged in its write batch, committed after the write as the ingest writer does.
#include "engine/utilization_rollup.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "pumptrack/v1/report.pb.h"
#include "storage/keys.h"
#include "storage/proto_time.h"
#include "storage/utilization_store.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::engine {
namespace {

using storage::testing_util::BaseTime;
using storage::testing_util::Batch;
using storage::testing_util::Obs;
using storage::testing_util::ToTimestamp;

constexpr std::int64_t kMinute = 60'000;

// 08:00 + h hours + m minutes on the test day.
absl::Time At(int hours, int minutes = 0) { return BaseTime() + absl::Hours(hours - 8) + absl::Minutes(minutes); }

class UtilizationRollupTest : public storage::testing_util::StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    MakeRollup();
  }

  void MakeRollup() {
    utilization_store_ = std::make_unique<storage::UtilizationStore>(db_.get());
    rollup_ = std::make_unique<UtilizationRollup>(utilization_store_.get(), nullptr, registry_.get());
    ASSERT_TRUE(rollup_->Load().ok());
  }

  // `fresh_registry`: the gauges start empty, as in a restarted process.
  void ReopenAll(bool fresh_registry = false) {
    rollup_.reset();
    utilization_store_.reset();
    if (fresh_registry) registry_ = std::make_unique<prometheus::Registry>();
    Reopen();
    MakeRollup();
  }

  // Applies `batch` as the ingest writer does: the roll-up stages into the write and commits after it.
  std::vector<storage::ApplyResult> Report(const Batch& batch) {
    absl::StatusOr<std::vector<storage::ApplyResult>> results = store_->Apply(
        batch.span(), Now(), true, [&](const v1::Device*, const v1::Device& after, rocksdb::WriteBatch& write) {
          return rollup_->Stage(after, write);
        });
    EXPECT_TRUE(results.ok()) << results.status();
    if (!results.ok()) {
      rollup_->Abort();
      return {};
    }
    rollup_->Commit();
    return *results;
  }

  // One report of `tag` in `state` at `at`, in `unit`, with the next sequence of that tag.
  storage::ApplyResult State(const std::string& tag, v1::OperatingState state, absl::Time at,
                             const std::string& unit = "5-west", const std::string& model = "Infusia 500") {
    Batch batch;
    batch.Add(Obs(tag).Seq(++sequences_[tag]).At(at).Unit(unit).Model(model).State(state).Build());
    std::vector<storage::ApplyResult> results = Report(batch);
    return results.empty() ? storage::ApplyResult::kDuplicate : results.front();
  }

  v1::GetUtilizationResponse Query(absl::Time since, absl::Time until, v1::UtilizationGrouping by,
                                   absl::Time now = At(23)) {
    absl::StatusOr<v1::GetUtilizationResponse> response = rollup_->Query(since, until, now, by);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::GetUtilizationResponse();
  }

  // The row of one device (by asset tag) or unit (by unit id); fails the test when absent.
  static v1::UtilizationRow Row(const v1::GetUtilizationResponse& response, const std::string& key) {
    for (const v1::UtilizationRow& row : response.rows()) {
      if (row.asset_tag() == key || (row.asset_tag().empty() && row.unit() == key) ||
          (row.unit().empty() && row.model() == key)) {
        return row;
      }
    }
    ADD_FAILURE() << "no row " << key << " in " << response.DebugString();
    return v1::UtilizationRow();
  }

  // pumptrack_unit_infusing_peak by unit.
  absl::flat_hash_map<std::string, double> Gauges() {
    absl::flat_hash_map<std::string, double> gauges;
    for (const prometheus::MetricFamily& family : registry_->Collect()) {
      if (family.name != "pumptrack_unit_infusing_peak") continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        for (const prometheus::ClientMetric::Label& label : metric.label) {
          if (label.name == "unit") gauges[label.value] = metric.gauge.value;
        }
      }
    }
    return gauges;
  }

  std::unique_ptr<prometheus::Registry> registry_ = std::make_unique<prometheus::Registry>();
  std::unique_ptr<storage::UtilizationStore> utilization_store_;
  std::unique_ptr<UtilizationRollup> rollup_;
  absl::flat_hash_map<std::string, std::uint64_t> sequences_;
};

// Pump A: idle 10:00, infusing 10:30, idle 12:15, off 13:00.
TEST_F(UtilizationRollupTest, WindowsSumTheTimeInEachStateIncludingPartialHours) {
  ASSERT_EQ(State("A", v1::OPERATING_STATE_IDLE, At(10)), storage::ApplyResult::kAccepted);
  State("A", v1::OPERATING_STATE_INFUSING, At(10, 30));
  State("A", v1::OPERATING_STATE_IDLE, At(12, 15));
  State("A", v1::OPERATING_STATE_OFF, At(13));

  v1::UtilizationRow whole = Row(Query(At(10), At(14), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(whole.time().idle_ms(), 75 * kMinute);
  EXPECT_EQ(whole.time().infusing_ms(), 105 * kMinute);
  EXPECT_EQ(whole.time().off_ms(), 60 * kMinute);
  EXPECT_EQ(whole.time().alarm_ms(), 0);
  EXPECT_EQ(whole.time().unknown_ms(), 0);
  EXPECT_DOUBLE_EQ(whole.infusing_share(), 105.0 / 240.0);
  EXPECT_EQ(whole.unit(), "5-west");
  EXPECT_EQ(whole.model(), "Infusia 500");

  // A window starting and ending inside the hours and inside the states: 11:10–12:40.
  v1::UtilizationRow inner = Row(Query(At(11, 10), At(12, 40), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(inner.time().infusing_ms(), 65 * kMinute);
  EXPECT_EQ(inner.time().idle_ms(), 25 * kMinute);
  EXPECT_EQ(inner.time().off_ms(), 0);

  // Before the first report nothing is counted: 09:00–11:00 holds 30 min idle and 30 min infusing only.
  v1::UtilizationRow early = Row(Query(At(9), At(11), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(early.time().idle_ms(), 30 * kMinute);
  EXPECT_EQ(early.time().infusing_ms(), 30 * kMinute);

  // After the last change the pump stays in its last state up to the window's end, and a window is clamped to now.
  v1::GetUtilizationResponse late = Query(At(13), At(20), v1::UTILIZATION_GROUPING_DEVICE, /*now=*/At(15, 30));
  EXPECT_EQ(Row(late, "A").time().off_ms(), 150 * kMinute);
  EXPECT_EQ(storage::ToAbslTime(late.until()), At(15, 30));

  // A window wholly before the pump was first seen has no row for it.
  EXPECT_EQ(Query(At(8), At(9, 59), v1::UTILIZATION_GROUPING_DEVICE).rows_size(), 0);
}

TEST_F(UtilizationRollupTest, ReportsThatChangeNothingCountedAddNoCheckpoint) {
  State("A", v1::OPERATING_STATE_INFUSING, At(10));
  for (int minute = 1; minute < 60; ++minute) State("A", v1::OPERATING_STATE_INFUSING, At(10, minute));
  State("A", v1::OPERATING_STATE_IDLE, At(11));
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(storage::ColumnFamily::kUtilization, rocksdb::ReadOptions());
  int checkpoints = 0;
  const std::string prefix = storage::keys::UtilizationCheckpointPrefix("A");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++checkpoints;
  EXPECT_EQ(checkpoints, 2);
  EXPECT_EQ(Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE), "A").time().infusing_ms(), 60 * kMinute);
}

TEST_F(UtilizationRollupTest, APumpThatNeverReportsAStateCountsAsUnknown) {
  Batch batch;
  v1::Observation silent = Obs("S").At(At(10)).Build();
  silent.set_operating_state(v1::OPERATING_STATE_UNSPECIFIED);
  batch.Add(silent);
  Report(batch);
  State("A", v1::OPERATING_STATE_INFUSING, At(10));
  v1::GetUtilizationResponse devices = Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE);
  v1::UtilizationRow s = Row(devices, "S");
  EXPECT_EQ(s.time().unknown_ms(), 120 * kMinute);
  EXPECT_EQ(s.infusing_share(), 0.0);
  // The unit's share counts known time only: A infused all along, S's unknown time does not dilute it.
  v1::UtilizationRow unit = Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_UNIT), "5-west");
  EXPECT_EQ(unit.devices(), 2u);
  EXPECT_DOUBLE_EQ(unit.infusing_share(), 1.0);
}

TEST_F(UtilizationRollupTest, OutOfOrderReportsAreHandledAsThePipelineDoes) {
  State("A", v1::OPERATING_STATE_IDLE, At(10), "5-west");
  State("A", v1::OPERATING_STATE_INFUSING, At(11), "5-west");
  // From the same agent with a higher sequence but stamped earlier (a skewed clock): the pipeline accepts it as the
  // newest; it takes effect at the last change, never rewriting time already counted.
  ASSERT_EQ(State("A", v1::OPERATING_STATE_ALARM, At(10, 30)), storage::ApplyResult::kAccepted);
  // From another agent and older than the device's state: superseded, a duplicate; the roll-up ignores it.
  Batch stale;
  stale.Add(Obs("A").Seq(1).At(At(10, 15)).State(v1::OPERATING_STATE_OFF).Build(), "gw-other");
  ASSERT_EQ(Report(stale).front(), storage::ApplyResult::kDuplicate);

  v1::UtilizationRow row = Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(row.time().idle_ms(), 60 * kMinute);
  EXPECT_EQ(row.time().infusing_ms(), 0);
  EXPECT_EQ(row.time().alarm_ms(), 60 * kMinute);
  EXPECT_EQ(row.time().off_ms(), 0);
}

TEST_F(UtilizationRollupTest, SeveralChangesOfOnePumpInOneWriteAreEachCounted) {
  Batch batch;
  batch.Add(Obs("A").Seq(1).At(At(10)).State(v1::OPERATING_STATE_IDLE).Build());
  batch.Add(Obs("A").Seq(2).At(At(10, 20)).State(v1::OPERATING_STATE_INFUSING).Build());
  batch.Add(Obs("A").Seq(3).At(At(10, 50)).State(v1::OPERATING_STATE_ALARM).Build());
  batch.Add(Obs("A").Seq(4).At(At(10, 55)).State(v1::OPERATING_STATE_IDLE).Build());
  Report(batch);
  v1::UtilizationRow row = Row(Query(At(10), At(11), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(row.time().idle_ms(), 25 * kMinute);
  EXPECT_EQ(row.time().infusing_ms(), 30 * kMinute);
  EXPECT_EQ(row.time().alarm_ms(), 5 * kMinute);
}

TEST_F(UtilizationRollupTest, PeakConcurrentUseIsKeptPerUnitAndHour) {
  // A infuses 10:30–12:15; B 11:00–11:30 and 12:00–13:00; C in another unit 11:00–14:00.
  State("A", v1::OPERATING_STATE_IDLE, At(9));
  State("B", v1::OPERATING_STATE_IDLE, At(9));
  State("A", v1::OPERATING_STATE_INFUSING, At(10, 30));
  State("B", v1::OPERATING_STATE_INFUSING, At(11));
  State("C", v1::OPERATING_STATE_INFUSING, At(11), "6-east");
  State("B", v1::OPERATING_STATE_IDLE, At(11, 30));
  State("B", v1::OPERATING_STATE_INFUSING, At(12));
  State("A", v1::OPERATING_STATE_IDLE, At(12, 15));
  State("B", v1::OPERATING_STATE_OFF, At(13));
  State("C", v1::OPERATING_STATE_IDLE, At(14), "6-east");

  auto peak = [&](absl::Time since, absl::Time until, const std::string& unit) {
    return Row(Query(since, until, v1::UTILIZATION_GROUPING_UNIT), unit).peak_infusing();
  };
  EXPECT_EQ(peak(At(9), At(15), "5-west"), 2u);
  EXPECT_EQ(peak(At(10), At(11), "5-west"), 1u);
  // 13:00–14:00: A idle, B off at 13:00; one pump (B) was infusing at the start of the hour.
  EXPECT_EQ(peak(At(13), At(14), "5-west"), 1u);
  EXPECT_EQ(peak(At(14), At(15), "5-west"), 0u);
  // C infused alone in its unit through 12:00–13:00, an hour with no change in 6-east: the level carries in.
  EXPECT_EQ(peak(At(12), At(13), "6-east"), 1u);
  EXPECT_EQ(peak(At(9), At(15), "6-east"), 1u);

  // The unit's time: A 105 min infusing, B 90 min, within 09:00–15:00 (2 pumps x 6 h).
  v1::UtilizationRow unit = Row(Query(At(9), At(15), v1::UTILIZATION_GROUPING_UNIT), "5-west");
  EXPECT_EQ(unit.devices(), 2u);
  EXPECT_EQ(unit.time().infusing_ms(), 195 * kMinute);
  EXPECT_EQ(unit.time().infusing_ms() + unit.time().idle_ms() + unit.time().off_ms(), 720 * kMinute);

  // The Prometheus gauge holds the current hour's peak per unit.
  bool found = false;
  for (const prometheus::MetricFamily& family : registry_->Collect()) {
    if (family.name != "pumptrack_unit_infusing_peak") continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        if (label.name == "unit" && label.value == "5-west") {
          found = true;
          EXPECT_EQ(metric.gauge.value, 1.0);  // hour 13: one infusing at its start
        }
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(UtilizationRollupTest, AMoveBetweenUnitsWhileInfusingMovesItsCount) {
  State("A", v1::OPERATING_STATE_INFUSING, At(10), "5-west");
  State("A", v1::OPERATING_STATE_INFUSING, At(11, 30), "6-east");
  State("B", v1::OPERATING_STATE_INFUSING, At(12, 10), "6-east");
  EXPECT_EQ(Row(Query(At(12), At(13), v1::UTILIZATION_GROUPING_UNIT), "6-east").peak_infusing(), 2u);
  EXPECT_EQ(Row(Query(At(12), At(13), v1::UTILIZATION_GROUPING_DEVICE), "A").unit(), "6-east");
  // 5-west saw A leave at 11:30: one infusing in 11:00-12:00, no pump afterwards; its gauge shows that hour.
  EXPECT_EQ(Row(Query(At(11), At(12), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 1u);
  const v1::GetUtilizationResponse later = Query(At(12), At(13), v1::UTILIZATION_GROUPING_UNIT);
  ASSERT_EQ(later.rows_size(), 1);  // no pump in 5-west any more
  EXPECT_EQ(later.rows(0).unit(), "6-east");
  EXPECT_EQ(Gauges()["5-west"], 1.0);
  EXPECT_EQ(Gauges()["6-east"], 2.0);
}

TEST_F(UtilizationRollupTest, PeakIsTheSameWhenReportsArriveOutOfTimeOrder) {
  // Everything of B first (as an agent flushing its buffer might send it), then A: A infuses 10:30-12:15, B
  // 11:00-11:30, so two pumps infused at once from 11:00 to 11:30 although they never did in arrival order.
  State("B", v1::OPERATING_STATE_IDLE, At(10));
  State("B", v1::OPERATING_STATE_INFUSING, At(11));
  State("B", v1::OPERATING_STATE_OFF, At(11, 30));
  State("A", v1::OPERATING_STATE_IDLE, At(10));
  State("A", v1::OPERATING_STATE_INFUSING, At(10, 30));
  State("A", v1::OPERATING_STATE_IDLE, At(12, 15));
  EXPECT_EQ(Row(Query(At(10), At(13), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 2u);
  EXPECT_EQ(Row(Query(At(10), At(11), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 1u);
  EXPECT_EQ(Row(Query(At(12), At(13), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 1u);
  EXPECT_EQ(Row(Query(At(13), At(14), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 0u);
}

TEST(PeakBucketTest, StopsCountBeforeStartsAtTheSameMillisecond) {
  storage::PeakBucket bucket;
  bucket.Add(500, +1);
  bucket.Add(100, +1);
  bucket.Add(500, -1);  // one stops as another starts: never two at once from these two
  EXPECT_EQ(bucket.MaxRise(), 1);
  EXPECT_EQ(bucket.Net(), 1);
}

TEST_F(UtilizationRollupTest, GroupsByModel) {
  State("A", v1::OPERATING_STATE_INFUSING, At(10), "5-west", "Infusia 500");
  State("B", v1::OPERATING_STATE_IDLE, At(10), "6-east", "Infusia 500");
  State("C", v1::OPERATING_STATE_INFUSING, At(10), "6-east", "Volu 9");
  v1::GetUtilizationResponse models = Query(At(10), At(12), v1::UTILIZATION_GROUPING_MODEL);
  ASSERT_EQ(models.rows_size(), 2);
  EXPECT_EQ(Row(models, "Infusia 500").devices(), 2u);
  EXPECT_DOUBLE_EQ(Row(models, "Infusia 500").infusing_share(), 0.5);
  EXPECT_DOUBLE_EQ(Row(models, "Volu 9").infusing_share(), 1.0);
  EXPECT_EQ(Row(models, "Volu 9").peak_infusing(), 0u);  // peaks are per unit only
}

TEST_F(UtilizationRollupTest, SurvivesARestart) {
  State("A", v1::OPERATING_STATE_IDLE, At(10));
  State("A", v1::OPERATING_STATE_INFUSING, At(10, 30));
  State("B", v1::OPERATING_STATE_INFUSING, At(10, 40));
  ReopenAll();
  // The cursor is back: the next change continues the cumulative counts; the unit's level is back: the peak in
  // 11:00 counts A and B infusing plus C.
  State("C", v1::OPERATING_STATE_INFUSING, At(11, 10));
  State("A", v1::OPERATING_STATE_IDLE, At(11, 30));
  v1::UtilizationRow a = Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(a.time().idle_ms(), 60 * kMinute);
  EXPECT_EQ(a.time().infusing_ms(), 60 * kMinute);
  EXPECT_EQ(Row(Query(At(11), At(12), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 3u);
}

TEST_F(UtilizationRollupTest, TheGaugeComesBackFromTheGroupBucketsAndOldPeakBucketsAreIgnored) {
  // 5-west: A infuses 10:30-12:15, B from 12:00 (two at once in 12:00-13:00), then B moves to 6-east at 13:20 (its
  // newest hour with a start or stop). 6-east: C infused 09:00-10:00 only. 7-north: D idle, never infusing.
  State("C", v1::OPERATING_STATE_INFUSING, At(9), "6-east");
  State("C", v1::OPERATING_STATE_IDLE, At(10), "6-east");
  State("A", v1::OPERATING_STATE_INFUSING, At(10, 30));
  State("B", v1::OPERATING_STATE_INFUSING, At(12));
  State("A", v1::OPERATING_STATE_IDLE, At(12, 15));
  State("B", v1::OPERATING_STATE_INFUSING, At(13, 20), "6-east");
  State("D", v1::OPERATING_STATE_IDLE, At(13, 30), "7-north");
  const absl::flat_hash_map<std::string, double> before = Gauges();
  EXPECT_EQ(before.at("5-west"), 1.0);  // hour 13: B infusing at its start, gone at 13:20
  EXPECT_EQ(before.at("6-east"), 1.0);  // hour 13: B arrives infusing
  EXPECT_FALSE(before.contains("7-north"));

  // Peak buckets as versions before session 10 wrote them (one per unit and hour), and one no version could read:
  // neither is read, at start-up or by a query.
  ASSERT_TRUE(db_->raw()
                  .Put(rocksdb::WriteOptions(), db_->Handle(storage::ColumnFamily::kUtilization),
                       storage::keys::UtilizationPeakKey("general", "5-west", absl::ToUnixMillis(At(12)) / 3'600'000),
                       std::string("\0\0\0\x01\x01\0\0\0\x02\x01\0\0\0\x03\x01", 15))
                  .ok());
  ASSERT_TRUE(db_->raw()
                  .Put(rocksdb::WriteOptions(), db_->Handle(storage::ColumnFamily::kUtilization),
                       storage::keys::UtilizationPeakKey("general", "8-south", 1), "abc")
                  .ok());
  ReopenAll(/*fresh_registry=*/true);
  EXPECT_EQ(Gauges(), before);
  EXPECT_EQ(Row(Query(At(12), At(13), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 2u);
  EXPECT_EQ(Query(At(9), At(15), v1::UTILIZATION_GROUPING_UNIT).rows_size(), 3);

  // After the restart the level carries on: C starts again in 6-east at 14:10, so two infuse there at once.
  State("C", v1::OPERATING_STATE_INFUSING, At(14, 10), "6-east");
  EXPECT_EQ(Gauges()["6-east"], 2.0);
  EXPECT_EQ(Row(Query(At(14), At(15), v1::UTILIZATION_GROUPING_UNIT), "6-east").peak_infusing(), 2u);

  // This version writes no peak buckets of its own: the only ones are the two put above.
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(storage::ColumnFamily::kUtilization, rocksdb::ReadOptions());
  const std::string peaks = {storage::keys::kKeyVersion, 'p'};
  int peak_keys = 0;
  for (it->Seek(peaks); it->Valid() && it->key().starts_with(peaks); it->Next()) ++peak_keys;
  EXPECT_EQ(peak_keys, 2);
}

TEST_F(UtilizationRollupTest, AnAbortedWriteLeavesNothingBehind) {
  State("A", v1::OPERATING_STATE_IDLE, At(10));
  rocksdb::WriteBatch discarded;
  v1::Device device = MustGet("A");
  device.mutable_last_observation()->set_operating_state(v1::OPERATING_STATE_INFUSING);
  *device.mutable_last_observation()->mutable_observed_at() = ToTimestamp(At(10, 30));
  ASSERT_TRUE(rollup_->Stage(device, discarded).ok());
  rollup_->Abort();  // the write failed: `discarded` is never written
  State("A", v1::OPERATING_STATE_ALARM, At(11));
  v1::UtilizationRow a = Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE), "A");
  EXPECT_EQ(a.time().idle_ms(), 60 * kMinute);
  EXPECT_EQ(a.time().infusing_ms(), 0);
  EXPECT_EQ(a.time().alarm_ms(), 60 * kMinute);
  EXPECT_EQ(Row(Query(At(10), At(12), v1::UTILIZATION_GROUPING_UNIT), "5-west").peak_infusing(), 0u);
}

TEST(UtilizationCheckpointTest, EncodingRoundTripsAndRefusesTruncation) {
  storage::UtilizationCheckpoint checkpoint;
  checkpoint.at_millis = 1'700'000'000'000;
  checkpoint.state = v1::OPERATING_STATE_ALARM;
  checkpoint.cumulative = {1, 2, 3, 4, 5};
  checkpoint.facility = "general";
  checkpoint.unit = "5-west";
  checkpoint.model = "Infusia 500";
  const std::string value = storage::EncodeCheckpoint(checkpoint);
  absl::StatusOr<storage::UtilizationCheckpoint> decoded = storage::DecodeCheckpoint(checkpoint.at_millis, value);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->state, checkpoint.state);
  EXPECT_EQ(decoded->cumulative, checkpoint.cumulative);
  EXPECT_EQ(decoded->unit, "5-west");
  EXPECT_EQ(decoded->model, "Infusia 500");
  EXPECT_EQ(decoded->CumulativeAt(checkpoint.at_millis + 10)[v1::OPERATING_STATE_ALARM], 14);
  EXPECT_EQ(storage::DecodeCheckpoint(0, value.substr(0, value.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
}

// The units' and models' rows come from the pre-aggregated group buckets, the devices' rows from each pump's
// checkpoints: two independent paths that must agree to the millisecond. A three-day history of five pumps in two
// units and two models, reported out of time order across pumps (one agent's buffer arrives late), queried over
// windows that start and end inside hours, on later days (the day buckets carry the level in) and before any report.
TEST_F(UtilizationRollupTest, UnitAndModelRowsEqualTheSumOfTheirPumps) {
  struct Pump {
    std::string tag;
    std::string unit;
    std::string model;
  };
  const std::vector<Pump> pumps = {{"P1", "5-west", "Infusia 500"},
                                   {"P2", "5-west", "Volu 9"},
                                   {"P3", "6-east", "Infusia 500"},
                                   {"P4", "6-east", "Infusia 500"},
                                   {"P5", "5-west", "Infusia 500"}};
  // P5's reports arrive last (as a buffer flush): earlier in time than many already applied.
  for (const Pump& pump : pumps) {
    const int p = static_cast<int>(pump.tag.back() - '0');
    for (int step = 0; step < 14; ++step) {
      const absl::Time at = At(9) + absl::Minutes(step * (17 + 13 * p) + 7 * p);  // up to ~3 days on
      const auto state = static_cast<v1::OperatingState>((step * p + p) % 4 + 1);
      State(pump.tag, state, at, pump.unit, pump.model);
    }
  }
  const std::vector<std::pair<absl::Time, absl::Time>> windows = {
      {At(8), At(9, 30)},      {At(9, 10), At(11, 50)}, {At(10), At(34)},         {At(33, 20), At(58, 5)},
      {At(50, 59), At(51, 1)}, {At(7), At(80)},         {At(60, 45), At(60, 46)}, {At(12, 34), At(13, 21)}};
  for (const auto& [since, until] : windows) {
    SCOPED_TRACE(absl::StrCat(absl::FormatTime(since), " - ", absl::FormatTime(until)));
    const v1::GetUtilizationResponse devices = Query(since, until, v1::UTILIZATION_GROUPING_DEVICE, At(100));
    absl::flat_hash_map<std::string, v1::StateTime> expected;  // by unit and by model
    absl::flat_hash_map<std::string, std::uint32_t> expected_devices;
    for (const v1::UtilizationRow& row : devices.rows()) {
      for (const std::string& key : {row.unit(), row.model()}) {
        v1::StateTime& t = expected[key];
        t.set_infusing_ms(t.infusing_ms() + row.time().infusing_ms());
        t.set_idle_ms(t.idle_ms() + row.time().idle_ms());
        t.set_alarm_ms(t.alarm_ms() + row.time().alarm_ms());
        t.set_off_ms(t.off_ms() + row.time().off_ms());
        t.set_unknown_ms(t.unknown_ms() + row.time().unknown_ms());
        ++expected_devices[key];
      }
    }
    std::size_t groups = 0;
    for (v1::UtilizationGrouping by : {v1::UTILIZATION_GROUPING_UNIT, v1::UTILIZATION_GROUPING_MODEL}) {
      const v1::GetUtilizationResponse grouped = Query(since, until, by, At(100));
      for (const v1::UtilizationRow& row : grouped.rows()) {
        ++groups;
        const std::string key = by == v1::UTILIZATION_GROUPING_UNIT ? row.unit() : row.model();
        SCOPED_TRACE(key);
        const v1::StateTime& want = expected[key];
        EXPECT_EQ(row.time().infusing_ms(), want.infusing_ms());
        EXPECT_EQ(row.time().idle_ms(), want.idle_ms());
        EXPECT_EQ(row.time().alarm_ms(), want.alarm_ms());
        EXPECT_EQ(row.time().off_ms(), want.off_ms());
        EXPECT_EQ(row.time().unknown_ms(), want.unknown_ms());
        EXPECT_EQ(row.devices(), expected_devices[key]);
      }
    }
    EXPECT_EQ(groups, expected.size());
  }
  // The history does reach the later days the windows ask about.
  const v1::StateTime late = Row(Query(At(58), At(59), v1::UTILIZATION_GROUPING_DEVICE, At(100)), "P5").time();
  EXPECT_GT(late.infusing_ms() + late.idle_ms() + late.alarm_ms() + late.off_ms(), 0);
}

// A pump moved inside the window counts in each unit for the time it spent there.
TEST_F(UtilizationRollupTest, AMoveInsideTheWindowSplitsThePumpsTimeBetweenUnits) {
  State("A", v1::OPERATING_STATE_INFUSING, At(10), "5-west");
  State("A", v1::OPERATING_STATE_IDLE, At(11, 30), "6-east");
  const v1::GetUtilizationResponse units = Query(At(10), At(13), v1::UTILIZATION_GROUPING_UNIT);
  EXPECT_EQ(Row(units, "5-west").time().infusing_ms(), 90 * kMinute);
  EXPECT_EQ(Row(units, "5-west").time().idle_ms(), 0);
  EXPECT_EQ(Row(units, "5-west").devices(), 1u);
  EXPECT_EQ(Row(units, "6-east").time().idle_ms(), 90 * kMinute);
  EXPECT_EQ(Row(units, "6-east").time().infusing_ms(), 0);
  EXPECT_EQ(Row(units, "6-east").devices(), 1u);
  // After the move only 6-east has it.
  const v1::GetUtilizationResponse later = Query(At(12), At(13), v1::UTILIZATION_GROUPING_UNIT);
  ASSERT_EQ(later.rows_size(), 1);
  EXPECT_EQ(later.rows(0).unit(), "6-east");
}

TEST_F(UtilizationRollupTest, DeviceRowsArePagedInAssetTagOrder) {
  for (const std::string tag : {"E", "B", "D", "A", "C"}) State(tag, v1::OPERATING_STATE_IDLE, At(10));
  State("F", v1::OPERATING_STATE_IDLE, At(15));  // first seen after the window: no row, no empty last page
  std::vector<std::string> seen;
  std::vector<std::string> tokens;
  std::string after;
  do {
    std::string next;
    absl::StatusOr<v1::GetUtilizationResponse> page =
        rollup_->Query(At(10), At(12), At(23), v1::UTILIZATION_GROUPING_DEVICE, after, 2, &next);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->rows_size(), 2);
    for (const v1::UtilizationRow& row : page->rows()) seen.push_back(row.asset_tag());
    tokens.push_back(next);
    after = next;
  } while (!after.empty() && tokens.size() < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  EXPECT_EQ(tokens, (std::vector<std::string>{"B", "D", ""}));
  // Unpaged: every row, in the same order.
  const v1::GetUtilizationResponse all = Query(At(10), At(12), v1::UTILIZATION_GROUPING_DEVICE);
  ASSERT_EQ(all.rows_size(), 5);
  EXPECT_EQ(all.rows(0).asset_tag(), "A");
  EXPECT_EQ(all.rows(4).asset_tag(), "E");
}

// Device rows against each pump's own timeline, for histories short and long (the store steps through a device's
// first checkpoints and seeks past the rest) and windows that start or end on a checkpoint, a millisecond either side
// of one, before a pump's first report and after its last; paged and unpaged alike. The history is flushed to a table
// file and the roll-up reloaded (Load takes each pump's latest checkpoint with the same pass) before every pump
// reports once more, from another unit: a wrong latest checkpoint after the restart would shift that change's totals.
TEST_F(UtilizationRollupTest, DeviceRowsMatchEachPumpsTimelineWhateverTheLengthOfItsHistory) {
  struct Change {
    absl::Time at;
    v1::OperatingState state;
    std::string unit;
  };
  std::mt19937 random(23);
  std::map<std::string, std::vector<Change>> timelines;
  std::vector<absl::Time> times;
  const auto report = [&](const std::string& tag, absl::Time at, const std::string& unit) {
    const int previous = timelines[tag].empty() ? 0 : timelines[tag].back().state;
    const auto state = static_cast<v1::OperatingState>(1 + (previous + static_cast<int>(random() % 3)) % 4);
    State(tag, state, at, unit);  // never the same state twice in a row: each report is a change
    timelines[tag].push_back({at, state, unit});
    times.push_back(at);
  };
  for (int p = 0; p < 12; ++p) {
    const std::string tag = absl::StrCat("P", p / 10, p % 10);
    const int changes = p < 6 ? p + 1 : 6 * p;  // 1..6, then 36..66
    absl::Time at = At(9) + absl::Minutes(p);
    for (int c = 0; c < changes; ++c) {
      at += absl::Minutes(1 + static_cast<int>(random() % 40));
      report(tag, at, "5-west");
    }
  }
  ASSERT_TRUE(db_->raw().Flush(rocksdb::FlushOptions(), db_->Handle(storage::ColumnFamily::kUtilization)).ok());
  ReopenAll();
  for (auto& [tag, timeline] : timelines) report(tag, timeline.back().at + absl::Minutes(5), "6-east");

  const absl::Time now = At(100);
  const auto expected_time = [&](const std::vector<Change>& timeline, absl::Time from, absl::Time to) {
    std::array<std::int64_t, 5> millis{};
    for (std::size_t i = 0; i < timeline.size(); ++i) {
      const absl::Time begin = std::max(timeline[i].at, from);
      const absl::Time end = std::min(i + 1 < timeline.size() ? timeline[i + 1].at : now, to);
      if (end > begin) millis[timeline[i].state] += absl::ToInt64Milliseconds(end - begin);
    }
    return millis;
  };
  // The row's unit: that of the pump's last change at or before the window's end.
  const auto expected_unit = [](const std::vector<Change>& timeline, absl::Time to) {
    std::string unit;
    for (const Change& change : timeline) {
      if (change.at <= to) unit = change.unit;
    }
    return unit;
  };
  std::vector<std::pair<absl::Time, absl::Time>> windows = {{At(8), now}, {At(8), At(9)}, {At(10), At(11)}};
  for (int w = 0; w < 60; ++w) {
    absl::Time a = times[random() % times.size()] + absl::Milliseconds(static_cast<int>(random() % 3) - 1);
    absl::Time b = times[random() % times.size()] + absl::Milliseconds(static_cast<int>(random() % 3) - 1);
    if (a > b) std::swap(a, b);
    if (a < b) windows.emplace_back(a, b);
  }
  for (const auto& [tag, timeline] : timelines) windows.emplace_back(timeline.front().at, timeline.back().at);
  for (const auto& [from, to] : windows) {
    SCOPED_TRACE(absl::StrCat(absl::FormatTime(from), " - ", absl::FormatTime(to)));
    std::vector<std::string> expected_tags;
    for (const auto& [tag, timeline] : timelines) {
      if (timeline.front().at <= to) expected_tags.push_back(tag);
    }
    std::vector<v1::UtilizationRow> paged;
    std::string after;
    do {
      std::string next;
      absl::StatusOr<v1::GetUtilizationResponse> page =
          rollup_->Query(from, to, now, v1::UTILIZATION_GROUPING_DEVICE, after, 5, &next);
      ASSERT_TRUE(page.ok()) << page.status();
      paged.insert(paged.end(), page->rows().begin(), page->rows().end());
      after = next;
    } while (!after.empty());
    const v1::GetUtilizationResponse unpaged = Query(from, to, v1::UTILIZATION_GROUPING_DEVICE, now);
    ASSERT_EQ(paged.size(), static_cast<std::size_t>(unpaged.rows_size()));
    std::vector<std::string> tags;
    for (int i = 0; i < unpaged.rows_size(); ++i) {
      const v1::UtilizationRow& row = unpaged.rows(i);
      tags.push_back(row.asset_tag());
      EXPECT_EQ(paged[i].SerializeAsString(), row.SerializeAsString()) << row.asset_tag();
      const std::vector<Change>& timeline = timelines[row.asset_tag()];
      const std::array<std::int64_t, 5> want = expected_time(timeline, from, to);
      EXPECT_EQ(row.time().unknown_ms(), want[0]) << row.asset_tag();
      EXPECT_EQ(row.time().infusing_ms(), want[1]) << row.asset_tag();
      EXPECT_EQ(row.time().idle_ms(), want[2]) << row.asset_tag();
      EXPECT_EQ(row.time().alarm_ms(), want[3]) << row.asset_tag();
      EXPECT_EQ(row.time().off_ms(), want[4]) << row.asset_tag();
      EXPECT_EQ(row.unit(), expected_unit(timeline, to)) << row.asset_tag();
    }
    EXPECT_EQ(tags, expected_tags);
  }
}

// A checkpoint key no writer makes (a time past int64's range, which sorts after every valid one of its device) is
// reported as data loss, not stepped over or looped on.
TEST_F(UtilizationRollupTest, ACheckpointKeyWithATimeOutOfRangeIsDataLoss) {
  State("A", v1::OPERATING_STATE_INFUSING, At(10));
  std::string key = storage::keys::UtilizationCheckpointPrefix("A");
  storage::keys::AppendBigEndian64(key, 0x8000000000000001ull);
  storage::UtilizationCheckpoint readable;  // a value that decodes: only the key is wrong
  readable.state = v1::OPERATING_STATE_IDLE;
  ASSERT_TRUE(db_->raw()
                  .Put(rocksdb::WriteOptions(), db_->Handle(storage::ColumnFamily::kUtilization), key,
                       storage::EncodeCheckpoint(readable))
                  .ok());
  absl::StatusOr<v1::GetUtilizationResponse> response =
      rollup_->Query(At(10, 30), At(11), At(23), v1::UTILIZATION_GROUPING_DEVICE);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDataLoss) << response.status();
  storage::UtilizationStore store(db_.get());
  UtilizationRollup reloaded(&store, nullptr);
  EXPECT_EQ(reloaded.Load().code(), absl::StatusCode::kDataLoss);
}

TEST(FoldGroupTest, CountsTimeFromTheLevelAndChangesInAnyOrder) {
  // Two pumps infusing at 10:00 (the start), one more joins idle at 10:20 and starts at 10:40 as another stops.
  constexpr std::int64_t kHour = 3'600'000;
  const std::int64_t ten = 10 * kHour;
  storage::StateMillis level{};
  level[v1::OPERATING_STATE_INFUSING] = 2;
  std::vector<storage::GroupChange> changes = {
      {ten + 40 * kMinute, v1::OPERATING_STATE_IDLE, v1::OPERATING_STATE_INFUSING},
      {ten + 20 * kMinute, storage::kNoState, v1::OPERATING_STATE_IDLE},
      {ten + 40 * kMinute, v1::OPERATING_STATE_INFUSING, v1::OPERATING_STATE_OFF},
      {ten + 5 * kMinute, v1::OPERATING_STATE_INFUSING, v1::OPERATING_STATE_INFUSING},  // counted as a no-op
  };
  const storage::GroupWindow window = storage::FoldGroup(level, ten, changes, ten + 10 * kMinute, ten + 50 * kMinute);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_INFUSING], 2 * 40 * kMinute);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_IDLE], 20 * kMinute);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_OFF], 10 * kMinute);
  EXPECT_EQ(window.devices, 3);
  EXPECT_EQ(window.peak_infusing, 2);  // the stop at 10:40 counts before the start at the same millisecond

  // Whole hours without a peak take the unordered path; the same figures as the walk in time order.
  changes.push_back({ten + 90 * kMinute, v1::OPERATING_STATE_OFF, storage::kNoState});  // one leaves at 11:30
  changes.push_back({ten + 30 * kMinute, storage::kNoState, v1::OPERATING_STATE_ALARM});
  for (const auto& [from, to] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {ten, ten + 2 * kHour}, {ten - kHour, ten + 3 * kHour}, {ten + kHour, ten + 2 * kHour}}) {
    const storage::GroupWindow walked = storage::FoldGroup(level, ten, changes, from, to, /*peak=*/true);
    const storage::GroupWindow summed = storage::FoldGroup(level, ten, changes, from, to, /*peak=*/false);
    EXPECT_EQ(walked.time, summed.time);
    EXPECT_EQ(walked.devices, summed.devices);
  }
  const storage::GroupWindow two_hours = storage::FoldGroup(level, ten, changes, ten, ten + 2 * kHour, false);
  EXPECT_EQ(two_hours.time[v1::OPERATING_STATE_OFF], 50 * kMinute);  // 10:40-11:30
  EXPECT_EQ(two_hours.time[v1::OPERATING_STATE_ALARM], 90 * kMinute);
  EXPECT_EQ(two_hours.time[v1::OPERATING_STATE_INFUSING], 2 * 120 * kMinute);  // one stops as another starts
  EXPECT_EQ(two_hours.devices, 4);
}

// A group's history as pumps' own timelines, the reference the fold is checked against: every pump's state from
// moment to moment, counted directly (no buckets, no hours).
struct PumpTimeline {
  bool in_group_at_start = false;
  int state_at_start = 0;
  std::vector<storage::GroupChange> changes;  // this pump's, strictly increasing in time
};

struct Reference {
  storage::StateMillis time{};
  std::int64_t devices = 0;
  std::int64_t peak = 0;
};

// The figures by brute force: per pump, its stretches in each state overlapping [from, to); pumps in the group just
// before `from` plus joins inside; the most pumps infusing at once from the start of from's hour to the end of the
// hour of to - 1 (the count just before that start, then after each moment with a change).
Reference Expected(const std::vector<PumpTimeline>& pumps, std::int64_t start, std::int64_t from, std::int64_t to) {
  constexpr std::int64_t kHour = 3'600'000;
  const std::int64_t peak_from = from / kHour * kHour;
  const std::int64_t peak_to = ((to - 1) / kHour + 1) * kHour;
  Reference expected;
  std::vector<std::int64_t> moments = {peak_from};
  for (const PumpTimeline& pump : pumps) {
    for (const storage::GroupChange& change : pump.changes) {
      if (change.at_millis > peak_from && change.at_millis < peak_to) moments.push_back(change.at_millis);
    }
  }
  // Infusing at `t`: after every change at or before t (at_or_before) or strictly before it.
  const auto infusing_at = [&](std::int64_t t, bool at_or_before) {
    std::int64_t count = 0;
    for (const PumpTimeline& pump : pumps) {
      int state = pump.in_group_at_start ? pump.state_at_start : storage::kNoState;
      for (const storage::GroupChange& change : pump.changes) {
        if (at_or_before ? change.at_millis > t : change.at_millis >= t) break;
        state = change.to;
      }
      if (state == v1::OPERATING_STATE_INFUSING) ++count;
    }
    return count;
  };
  expected.peak = infusing_at(peak_from, /*at_or_before=*/false);
  for (std::int64_t moment : moments) expected.peak = std::max(expected.peak, infusing_at(moment, true));
  for (const PumpTimeline& pump : pumps) {
    int state = pump.in_group_at_start ? pump.state_at_start : storage::kNoState;
    std::int64_t since = start;
    bool counted = false;
    const auto stretch = [&](std::int64_t until) {
      if (state == storage::kNoState) return;
      const std::int64_t overlap = std::min(until, to) - std::max(since, from);
      if (overlap > 0) expected.time[state] += overlap;
    };
    for (const storage::GroupChange& change : pump.changes) {
      if (!counted && change.at_millis >= from) {
        counted = true;
        if (state != storage::kNoState) ++expected.devices;  // in the group at the window's start
      }
      stretch(change.at_millis);
      if (change.from == storage::kNoState && change.at_millis >= from && change.at_millis < to) ++expected.devices;
      state = change.to;
      since = change.at_millis;
    }
    if (!counted && state != storage::kNoState) ++expected.devices;
    stretch(to);
  }
  return expected;
}

TEST(FoldGroupTest, MatchesEachPumpsOwnTimelineOverRandomHistories) {
  // Pumps joining and leaving the group (a pump changing unit), stretches crossing hour boundaries, blips in and out
  // of alarm within an hour, several pumps changing at the same millisecond and on the hour; windows starting and
  // ending on and off the hour. Both paths of the fold (hours summed without order, hours walked in order) run.
  constexpr std::int64_t kHour = 3'600'000;
  const std::int64_t start = 400'000 * kHour;  // the start of a day
  std::mt19937 random(19);
  for (int history = 0; history < 200; ++history) {
    const int pump_count = 1 + static_cast<int>(random() % 12);
    std::vector<PumpTimeline> pumps(pump_count);
    storage::StateMillis level{};
    std::vector<storage::GroupChange> all;
    for (PumpTimeline& pump : pumps) {
      pump.in_group_at_start = random() % 2 == 0;
      pump.state_at_start = static_cast<int>(random() % 5);
      if (pump.in_group_at_start) ++level[pump.state_at_start];
      int state = pump.in_group_at_start ? pump.state_at_start : storage::kNoState;
      std::int64_t at = start;
      const int change_count = static_cast<int>(random() % 14);
      for (int c = 0; c < change_count; ++c) {
        // Quarter hours and minutes (collisions between pumps), sometimes exactly on the hour, sometimes a 1-3 ms blip.
        const std::uint32_t kind = random() % 10;
        at += kind == 0   ? 1 + static_cast<std::int64_t>(random() % 3)
              : kind == 1 ? (at / kHour + 1) * kHour - at
              : kind < 6  ? (1 + static_cast<std::int64_t>(random() % 4)) * 15 * kMinute
                          : (1 + static_cast<std::int64_t>(random() % 50)) * kMinute;
        std::uint8_t next = static_cast<std::uint8_t>(random() % 6);  // 5: leave the group
        if (next == 5) next = storage::kNoState;
        if (state == storage::kNoState && next == storage::kNoState) next = v1::OPERATING_STATE_INFUSING;
        const storage::GroupChange change{at, static_cast<std::uint8_t>(state), next};
        pump.changes.push_back(change);
        all.push_back(change);
        state = next;
      }
    }
    std::shuffle(all.begin(), all.end(), random);  // buckets hold changes in arrival order
    const std::vector<std::pair<std::int64_t, std::int64_t>> windows = {
        {start, start + 8 * kHour},
        {start + kHour, start + 3 * kHour},
        {start + 17 * kMinute, start + 2 * kHour + 5 * kMinute},
        {start + 2 * kHour + 30 * kMinute, start + 2 * kHour + 31 * kMinute},
        {start + static_cast<std::int64_t>(random() % (5 * kHour)), start + 5 * kHour + 7 * kMinute},
    };
    for (const auto& [from, to] : windows) {
      const Reference expected = Expected(pumps, start, from, to);
      SCOPED_TRACE(absl::StrCat("history ", history, ", window ", from - start, "..", to - start, " ms"));
      const storage::GroupWindow units = storage::FoldGroup(level, start, all, from, to, /*peak=*/true);
      EXPECT_EQ(units.time, expected.time);
      EXPECT_EQ(units.devices, expected.devices);
      EXPECT_EQ(units.peak_infusing, expected.peak);
      const storage::GroupWindow models = storage::FoldGroup(level, start, all, from, to, /*peak=*/false);
      EXPECT_EQ(models.time, expected.time);
      EXPECT_EQ(models.devices, expected.devices);
    }
  }
}

TEST(FoldGroupTest, AStateCountBelowZeroCountsAsNoTimeAsBefore) {
  // Transitions that are not paired (a pump tracked before the group buckets existed leaves a state it was never
  // counted in): at 10:00 one pump (X) idle; Y (never counted) goes idle -> infusing at 10:10, X idle -> off at
  // 10:20 (idle's count is -1 until Z arrives idle at 10:30). Stretches below zero count as no time, as the walk in
  // time order always counted them.
  constexpr std::int64_t kHour = 3'600'000;
  const std::int64_t ten = 10 * kHour;
  storage::StateMillis level{};
  level[v1::OPERATING_STATE_IDLE] = 1;
  const std::vector<storage::GroupChange> changes = {
      {ten + 30 * kMinute, storage::kNoState, v1::OPERATING_STATE_IDLE},
      {ten + 20 * kMinute, v1::OPERATING_STATE_IDLE, v1::OPERATING_STATE_OFF},
      {ten + 10 * kMinute, v1::OPERATING_STATE_IDLE, v1::OPERATING_STATE_INFUSING},
  };
  const storage::GroupWindow window = storage::FoldGroup(level, ten, changes, ten, ten + kHour);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_IDLE], 10 * kMinute);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_INFUSING], 50 * kMinute);
  EXPECT_EQ(window.time[v1::OPERATING_STATE_OFF], 40 * kMinute);
  EXPECT_EQ(window.devices, 2);
  EXPECT_EQ(window.peak_infusing, 1);
}

}  // namespace
}  // namespace pumptrack::engine
