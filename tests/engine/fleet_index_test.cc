// The missing-deadline queue of the fleet index at millisecond resolution. Time is passed in (TakeExpired's `now`),
// so every case is deterministic: no clock, no sleep, no thread. And the advisory profiles the index groups devices
// by.

#include "engine/fleet_index.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/active_policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pumptrack::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const absl::Time kNoon = absl::FromCivil(absl::CivilSecond(2026, 12, 6, 12, 0, 0), absl::UTCTimeZone());
constexpr absl::Duration kThreshold = absl::Seconds(5);

class FleetIndexDeadlineTest : public ::testing::Test {
 protected:
  // The threshold is the override (as --missing_after gives it), so the empty policy in force does not matter.
  FleetIndexDeadlineTest() : policy_(nullptr), index_(&policy_, nullptr, kThreshold) {}

  void Heard(const std::string& tag, absl::Time when) {
    DeviceUpdate update;
    update.place = {"general", "5-west"};
    update.state = v1::OPERATING_STATE_IDLE;
    update.heard = when;
    index_.Apply({{tag, update}});
  }

  ActivePolicy policy_;
  FleetIndex index_;
};

TEST(DeadlineQueueTest, RoundsUpToTheMillisecondAndNeverBeforeTheRealDeadline) {
  EXPECT_EQ(DeadlineQueue::ToMillis(kNoon + absl::Milliseconds(10)), absl::ToUnixMillis(kNoon) + 10);
  EXPECT_EQ(DeadlineQueue::ToMillis(kNoon + absl::Microseconds(10001)), absl::ToUnixMillis(kNoon) + 11);
  EXPECT_EQ(DeadlineQueue::FromMillis(DeadlineQueue::ToMillis(kNoon)), kNoon);
}

TEST(DeadlineQueueTest, EarliestFirstAndEqualDeadlinesInIdOrder) {
  DeadlineQueue queue;
  queue.Push(2000, 7);
  queue.Push(1001, 9);
  queue.Push(1001, 3);
  queue.Push(1000, 5);
  std::vector<DeadlineQueue::Entry> order;
  while (!queue.empty()) {
    order.push_back(queue.earliest());
    queue.Pop();
  }
  EXPECT_THAT(order, ElementsAre(DeadlineQueue::Entry{1000, 5}, DeadlineQueue::Entry{1001, 3},
                                 DeadlineQueue::Entry{1001, 9}, DeadlineQueue::Entry{2000, 7}));
}

TEST_F(FleetIndexDeadlineTest, DeviceIsDueAtItsOwnMillisecondNotTheNextWholeSecond) {
  Heard("PT-1", kNoon + absl::Milliseconds(10));  // due 12:00:05.010; whole seconds made it 12:00:06
  EXPECT_EQ(index_.NextDeadline(), kNoon + kThreshold + absl::Milliseconds(10));
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Milliseconds(9)), IsEmpty());
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Microseconds(9999)), IsEmpty());
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Milliseconds(10)), ElementsAre("PT-1"));
  // Taken once, until it reports again.
  EXPECT_THAT(index_.TakeExpired(kNoon + absl::Minutes(1)), IsEmpty());
  EXPECT_EQ(index_.NextDeadline(), std::nullopt);
}

TEST_F(FleetIndexDeadlineTest, DevicesHeardWithinOneSecondExpireInTheOrderTheyWereHeard) {
  Heard("PT-c", kNoon + absl::Milliseconds(900));
  Heard("PT-a", kNoon + absl::Milliseconds(10));
  Heard("PT-b", kNoon + absl::Milliseconds(500));
  const absl::Time due = kNoon + kThreshold;
  EXPECT_THAT(index_.TakeExpired(due + absl::Milliseconds(499)), ElementsAre("PT-a"));
  EXPECT_EQ(index_.NextDeadline(), due + absl::Milliseconds(500));
  EXPECT_THAT(index_.TakeExpired(due + absl::Milliseconds(500)), ElementsAre("PT-b"));
  EXPECT_THAT(index_.TakeExpired(due + absl::Milliseconds(899)), IsEmpty());
  EXPECT_THAT(index_.TakeExpired(due + absl::Milliseconds(900)), ElementsAre("PT-c"));
}

TEST_F(FleetIndexDeadlineTest, ABurstIsTakenAChunkAtATimeEarliestFirstLeavingDevicesNotYetDue) {
  // 10 pumps heard 100 ms apart, all within the same second.
  for (int i = 0; i < 10; ++i) Heard(absl::StrFormat("PT-%02d", i), kNoon + absl::Milliseconds(100 * i));
  const absl::Time now = kNoon + kThreshold + absl::Milliseconds(450);  // PT-00 .. PT-04 are due
  EXPECT_THAT(index_.TakeExpired(now, 2), ElementsAre("PT-00", "PT-01"));
  EXPECT_THAT(index_.TakeExpired(now, 2), ElementsAre("PT-02", "PT-03"));
  EXPECT_THAT(index_.TakeExpired(now, 2), ElementsAre("PT-04"));
  EXPECT_THAT(index_.TakeExpired(now, 2), IsEmpty());
  // The five not yet due are still queued, in order.
  EXPECT_EQ(index_.NextDeadline(), kNoon + kThreshold + absl::Milliseconds(500));
  EXPECT_THAT(index_.TakeExpired(kNoon + absl::Minutes(1)), ElementsAre("PT-05", "PT-06", "PT-07", "PT-08", "PT-09"));
}

TEST_F(FleetIndexDeadlineTest, AReportAfterQueueingMovesTheDeadlineByMilliseconds) {
  Heard("PT-1", kNoon);
  Heard("PT-1", kNoon + absl::Milliseconds(250));                  // heard again: its queued entry is stale
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold), IsEmpty());  // the stale entry is re-queued, not taken
  EXPECT_EQ(index_.NextDeadline(), kNoon + kThreshold + absl::Milliseconds(250));
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Milliseconds(249)), IsEmpty());
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Milliseconds(250)), ElementsAre("PT-1"));
}

TEST_F(FleetIndexDeadlineTest, SubMillisecondHeardTimesRoundTheDeadlineUp) {
  Heard("PT-1", kNoon + absl::Microseconds(1500));  // real deadline 12:00:05.0015
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Microseconds(1999)), IsEmpty());
  EXPECT_THAT(index_.TakeExpired(kNoon + kThreshold + absl::Milliseconds(2)), ElementsAre("PT-1"));
}

// Devices with the same model, firmware and component versions share one profile; a device that upgrades moves to
// another, and a profile no device has any more is not answered.
TEST(FleetIndexProfilesTest, DevicesAreCountedPerAdvisoryProfileOfTheNamedTargets) {
  ActivePolicy policy(nullptr);
  FleetIndex index(&policy, nullptr, absl::ZeroDuration());
  auto profile = [](const std::string& firmware, const std::string& wifi) {
    return rules::AdvisoryProfileOf("PCU-8015", firmware, {{"WLAN-2", wifi}});
  };
  auto update = [](rules::AdvisoryProfile p) {
    DeviceUpdate u;
    u.place = {"general", "5-west"};
    u.advisory_profile = std::move(p);
    return u;
  };
  index.Apply({{"PT-1", update(profile("12.1.0", "4.2"))},
               {"PT-2", update(profile("12.1.0", "4.2"))},
               {"PT-3", update(profile("12.1.3", "4.2"))},
               {"PT-4", update(rules::AdvisoryProfileOf("SPACE-LVP", "686E", {}))}});
  auto counts = [&](const std::vector<std::string>& targets) {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& [p, devices] : index.ProfilesWithTargets(targets)) out.emplace_back(p.firmware_version, devices);
    return out;
  };
  EXPECT_THAT(counts({"model:PCU-8015"}), UnorderedElementsAre(Pair("12.1.0", 2u), Pair("12.1.3", 1u)));
  EXPECT_THAT(counts({"component:WLAN-2", "model:PCU-8015"}),
              UnorderedElementsAre(Pair("12.1.0", 2u), Pair("12.1.3", 1u)));
  EXPECT_THAT(counts({"model:SPACE-LVP"}), ElementsAre(Pair("686E", 1u)));
  EXPECT_THAT(counts({"model:OTHER"}), IsEmpty());

  index.Apply({{"PT-3", update(profile("12.3.0", "4.2"))}});
  EXPECT_THAT(counts({"model:PCU-8015"}), UnorderedElementsAre(Pair("12.1.0", 2u), Pair("12.3.0", 1u)));
  EXPECT_THAT(index.DevicesWithTargets({"component:WLAN-2"}), UnorderedElementsAre("PT-1", "PT-2", "PT-3"));
}

}  // namespace
}  // namespace pumptrack::engine
