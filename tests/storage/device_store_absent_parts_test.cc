// Issue #14, item 2: a part an observation does not observe changes nothing. For every optional part of an
// observation (proto/pumptrack/v1/device.proto, Observation), a second report without it leaves the stored state as
// the first report set it and adds no history entry; Location.left_known_places is the one explicit way to clear
// a pump's location, and it does change state and history.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/device_store.h"
#include "storage/observation_merge.h"
#include "tests/storage/storage_test_util.h"

namespace pumptrack::storage {
namespace {

using ::testing::ElementsAre;
using testing_util::BaseTime;
using testing_util::FromTimestamp;
using testing_util::Obs;

struct AbsentPart {
  std::string name;
  std::function<void(v1::Observation&)> remove;
};

void PrintTo(const AbsentPart& part, std::ostream* os) { *os << part.name; }

std::vector<AbsentPart> AbsentParts() {
  return {
      {"Location", [](v1::Observation& o) { o.clear_location(); }},
      {"LocationNamingNoPlace",
       [](v1::Observation& o) {
         o.mutable_location()->Clear();
         o.mutable_location()->set_source(v1::LOCATION_SOURCE_WIFI_AP);
         o.mutable_location()->set_confidence(0.2f);
       }},
      {"Firmware", [](v1::Observation& o) { o.clear_firmware_version(); }},
      {"DrugLibrary", [](v1::Observation& o) { o.clear_drug_library(); }},
      {"Configuration", [](v1::Observation& o) { o.clear_configuration(); }},
      {"SecurityPosture", [](v1::Observation& o) { o.clear_security(); }},
      {"Physical", [](v1::Observation& o) { o.clear_physical(); }},
      {"Seal",
       [](v1::Observation& o) {
         o.mutable_physical()->clear_seal_id();
         o.mutable_physical()->clear_seal_state();
       }},
      {"CaseState", [](v1::Observation& o) { o.mutable_physical()->clear_case_state(); }},
      {"Battery", [](v1::Observation& o) { o.mutable_physical()->clear_battery_percent(); }},
      {"BatteryHealth", [](v1::Observation& o) { o.mutable_physical()->clear_battery_health_percent(); }},
      {"BatteryCycleCount", [](v1::Observation& o) { o.mutable_physical()->clear_battery_cycle_count(); }},
      {"PowerSource", [](v1::Observation& o) { o.mutable_physical()->clear_power_source(); }},
      {"OperatingState", [](v1::Observation& o) { o.clear_operating_state(); }},
      {"ModelAndManufacturer",
       [](v1::Observation& o) {
         o.mutable_identity()->clear_model();
         o.mutable_identity()->clear_manufacturer();
       }},
      {"EverythingOptional",
       [](v1::Observation& o) {
         v1::Observation bare;
         *bare.mutable_identity() = o.identity();
         bare.mutable_identity()->clear_model();
         bare.mutable_identity()->clear_manufacturer();
         *bare.mutable_observed_at() = o.observed_at();
         bare.set_sequence(o.sequence());
         o = bare;
       }},
  };
}

class AbsentPartTest : public testing_util::StorageTest, public ::testing::WithParamInterface<AbsentPart> {};
class ObservedPartsTest : public testing_util::StorageTest {};

TEST_P(AbsentPartTest, ChangesNothingAndAddsNoHistory) {
  // The second report carries the first report's values for everything it observes, so only the absence is under
  // test: a part carried over compares equal, a part wrongly cleared does not.
  const v1::Observation first = Obs("PT-1").Seq(1).At(BaseTime()).Battery(64).BatteryHealth(88).BatteryCycles(210);
  ASSERT_EQ(MustApplyOne(first), ApplyResult::kAccepted);
  const v1::Device before = MustGet("PT-1");

  v1::Observation second =
      Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1)).Battery(64).BatteryHealth(88).BatteryCycles(210);
  GetParam().remove(second);
  ASSERT_EQ(MustApplyOne(second), ApplyResult::kAccepted);

  const v1::Device after = MustGet("PT-1");
  EXPECT_EQ(after.accepted_reports(), 2u);
  EXPECT_EQ(after.last_observation().sequence(), 2u);
  EXPECT_EQ(FromTimestamp(after.last_observation().observed_at()), BaseTime() + absl::Minutes(1));
  // Everything else is the first report's.
  v1::Observation kept = after.last_observation();
  kept.set_sequence(first.sequence());
  *kept.mutable_observed_at() = first.observed_at();
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(before.last_observation(), kept)) << diff;
  EXPECT_EQ(after.identity().model(), before.identity().model());
  EXPECT_EQ(FromTimestamp(after.location_since()), FromTimestamp(before.location_since()));
  EXPECT_EQ(after.home_unit(), "5-west");
  // No history entry beyond the first sighting, and the indexes still find the pump.
  EXPECT_THAT(AllHistory("PT-1"), ::testing::SizeIs(1));
  EXPECT_THAT(ListTags(DeviceFilter{.unit = "5-west"}), ElementsAre("PT-1"));
  EXPECT_THAT(ListTags(DeviceFilter{.firmware_version = "12.1.3"}), ElementsAre("PT-1"));
  EXPECT_THAT(ListTags(DeviceFilter{.operating_state = v1::OPERATING_STATE_IDLE}), ElementsAre("PT-1"));
}

INSTANTIATE_TEST_SUITE_P(EveryOptionalPart, AbsentPartTest, ::testing::ValuesIn(AbsentParts()),
                         [](const ::testing::TestParamInfo<AbsentPart>& part) { return part.param.name; });

// The same parts, observed with other values, do change state (the parameterised test above is not vacuous).
TEST_F(ObservedPartsTest, PartsObservedWithNewValuesReplaceTheKnownOnes) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime()).Battery(64).BatteryHealth(90).BatteryCycles(100)),
            ApplyResult::kAccepted);
  v1::Observation second = Obs("PT-1")
                               .Seq(2)
                               .At(BaseTime() + absl::Minutes(1))
                               .Room("514")
                               .Firmware("12.2.0")
                               .Battery(30)
                               .BatteryHealth(71)
                               .BatteryCycles(640);
  second.mutable_physical()->clear_seal_id();  // seal observed through its state alone
  second.mutable_physical()->set_seal_state(v1::SEAL_STATE_MISSING);
  ASSERT_EQ(MustApplyOne(second), ApplyResult::kAccepted);
  const v1::Device device = MustGet("PT-1");
  const v1::Observation& known = device.last_observation();
  EXPECT_EQ(known.location().room(), "514");
  EXPECT_EQ(known.firmware_version(), "12.2.0");
  EXPECT_EQ(known.physical().battery_percent(), 30u);
  EXPECT_EQ(known.physical().battery_health_percent(), 71u);
  EXPECT_EQ(known.physical().battery_cycle_count(), 640u);
  EXPECT_EQ(known.physical().seal_state(), v1::SEAL_STATE_MISSING);
  EXPECT_EQ(known.physical().seal_id(), "");
  const std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_THAT(history[0].changes(),
              ElementsAre(v1::CHANGE_KIND_LOCATION, v1::CHANGE_KIND_FIRMWARE, v1::CHANGE_KIND_SEAL));
}

// Location.left_known_places clears the location, records a LOCATION change and drops the pump from the unit index;
// a later report without a location keeps it cleared; a report naming a place puts it back.
TEST_F(ObservedPartsTest, LeftKnownPlacesClearsTheLocationExplicitly) {
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(1).At(BaseTime())), ApplyResult::kAccepted);
  v1::Observation left = Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1));
  left.mutable_location()->Clear();
  left.mutable_location()->set_left_known_places(true);
  left.mutable_location()->set_source(v1::LOCATION_SOURCE_RTLS);
  ASSERT_EQ(MustApplyOne(left), ApplyResult::kAccepted);

  v1::Device device = MustGet("PT-1");
  EXPECT_TRUE(device.last_observation().location().left_known_places());
  EXPECT_EQ(device.last_observation().location().unit(), "");
  EXPECT_EQ(device.last_observation().location().facility(), "");
  EXPECT_EQ(FromTimestamp(device.location_since()), BaseTime() + absl::Minutes(1));
  EXPECT_EQ(device.home_unit(), "5-west");  // leaving does not change where the pump belongs
  std::vector<v1::HistoryEntry> history = AllHistory("PT-1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_THAT(history[0].changes(), ElementsAre(v1::CHANGE_KIND_LOCATION));
  EXPECT_EQ(history[0].before().location().unit(), "5-west");
  EXPECT_TRUE(history[0].after().location().left_known_places());
  EXPECT_THAT(ListTags(DeviceFilter{.unit = "5-west"}), ::testing::IsEmpty());

  v1::Observation silent = Obs("PT-1").Seq(3).At(BaseTime() + absl::Minutes(2));
  silent.clear_location();
  ASSERT_EQ(MustApplyOne(silent), ApplyResult::kAccepted);
  EXPECT_TRUE(MustGet("PT-1").last_observation().location().left_known_places());
  EXPECT_EQ(AllHistory("PT-1").size(), 2u);

  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(4).At(BaseTime() + absl::Minutes(3))), ApplyResult::kAccepted);
  device = MustGet("PT-1");
  EXPECT_FALSE(device.last_observation().location().left_known_places());
  EXPECT_EQ(device.last_observation().location().unit(), "5-west");
  EXPECT_EQ(AllHistory("PT-1").size(), 3u);
}

// A pump first reported without a location has none (not an empty one), and gets its home from the first report
// that names a unit.
TEST_F(ObservedPartsTest, FirstReportWithoutLocationLeavesLocationUnset) {
  v1::Observation first = Obs("PT-1").Seq(1).At(BaseTime());
  first.mutable_location()->Clear();
  ASSERT_EQ(MustApplyOne(first), ApplyResult::kAccepted);
  EXPECT_FALSE(MustGet("PT-1").last_observation().has_location());
  EXPECT_EQ(MustGet("PT-1").home_unit(), "");
  ASSERT_EQ(MustApplyOne(Obs("PT-1").Seq(2).At(BaseTime() + absl::Minutes(1))), ApplyResult::kAccepted);
  EXPECT_EQ(MustGet("PT-1").home_unit(), "5-west");
}

TEST(ObservationMergeTest, ObservesLocation) {
  v1::Observation o;
  EXPECT_FALSE(ObservesLocation(o));
  o.mutable_location()->set_confidence(1.0f);
  EXPECT_FALSE(ObservesLocation(o));
  o.mutable_location()->set_room("512");
  EXPECT_TRUE(ObservesLocation(o));
  o.mutable_location()->clear_room();
  o.mutable_location()->set_left_known_places(true);
  EXPECT_TRUE(ObservesLocation(o));
}

}  // namespace
}  // namespace pumptrack::storage
