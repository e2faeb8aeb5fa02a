// The custody state table, the check-in gate, PAR levels, nearness and the custody rules, as pure functions.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/custody.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using testing::CompliantDevice;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::Evaluated;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kNow;
using ::testing::Not;
using testing::TestPolicy;

using Key = std::pair<v1::CustodyState, v1::CustodyAction>;

// The table as docs/CUSTODY.md states it, written out independently of rules/custody.cc.
const std::map<Key, v1::CustodyState>& Expected() {
  static const auto* kExpected = new std::map<Key, v1::CustodyState>{
      {{v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_ACTION_CHECK_OUT}, v1::CUSTODY_STATE_IN_TRANSIT},
      {{v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_ACTION_QUARANTINE}, v1::CUSTODY_STATE_QUARANTINED},
      {{v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_ACTION_SET_MAINTENANCE}, v1::CUSTODY_STATE_IN_MAINTENANCE},
      {{v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_ACTION_RETIRE}, v1::CUSTODY_STATE_RETIRED},
      {{v1::CUSTODY_STATE_IN_TRANSIT, v1::CUSTODY_ACTION_CHECK_IN}, v1::CUSTODY_STATE_AVAILABLE},
      {{v1::CUSTODY_STATE_IN_TRANSIT, v1::CUSTODY_ACTION_QUARANTINE}, v1::CUSTODY_STATE_QUARANTINED},
      {{v1::CUSTODY_STATE_QUARANTINED, v1::CUSTODY_ACTION_RELEASE}, v1::CUSTODY_STATE_AVAILABLE},
      {{v1::CUSTODY_STATE_QUARANTINED, v1::CUSTODY_ACTION_SET_MAINTENANCE}, v1::CUSTODY_STATE_IN_MAINTENANCE},
      {{v1::CUSTODY_STATE_QUARANTINED, v1::CUSTODY_ACTION_RETIRE}, v1::CUSTODY_STATE_RETIRED},
      {{v1::CUSTODY_STATE_IN_MAINTENANCE, v1::CUSTODY_ACTION_RELEASE}, v1::CUSTODY_STATE_AVAILABLE},
      {{v1::CUSTODY_STATE_IN_MAINTENANCE, v1::CUSTODY_ACTION_QUARANTINE}, v1::CUSTODY_STATE_QUARANTINED},
      {{v1::CUSTODY_STATE_IN_MAINTENANCE, v1::CUSTODY_ACTION_RETIRE}, v1::CUSTODY_STATE_RETIRED},
  };
  return *kExpected;
}

TEST(CustodyStateTableTest, EveryStateAndActionIsAllowedOrRefusedExactlyAsDocumented) {
  int allowed = 0;
  for (int s = v1::CustodyState_MIN + 1; s <= v1::CustodyState_MAX; ++s) {
    for (int a = v1::CustodyAction_MIN + 1; a <= v1::CustodyAction_MAX; ++a) {
      const auto state = static_cast<v1::CustodyState>(s);
      const auto action = static_cast<v1::CustodyAction>(a);
      SCOPED_TRACE(v1::CustodyState_Name(state) + " " + v1::CustodyAction_Name(action));
      absl::StatusOr<v1::CustodyState> next = NextCustodyState(state, action);
      auto expected = Expected().find({state, action});
      if (expected == Expected().end()) {
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(next.status().message(), HasSubstr("is not allowed"));
      } else {
        ++allowed;
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, expected->second);
      }
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(Expected().size()));
  EXPECT_EQ(CustodyTransitions().size(), Expected().size());
}

TEST(CustodyStateTableTest, AFailedGateQuarantinesAndAnUnrecordedPumpIsAvailable) {
  EXPECT_EQ(*NextCustodyState(v1::CUSTODY_STATE_IN_TRANSIT, v1::CUSTODY_ACTION_CHECK_IN, /*passed_gate=*/false),
            v1::CUSTODY_STATE_QUARANTINED);
  EXPECT_EQ(*NextCustodyState(v1::CUSTODY_STATE_UNSPECIFIED, v1::CUSTODY_ACTION_CHECK_OUT),
            v1::CUSTODY_STATE_IN_TRANSIT);
  EXPECT_EQ(CustodyStateOf(CompliantDevice()), v1::CUSTODY_STATE_AVAILABLE);
  absl::StatusOr<v1::CustodyState> refused = NextCustodyState(v1::CUSTODY_STATE_RETIRED, v1::CUSTODY_ACTION_RELEASE);
  EXPECT_THAT(refused.status().message(), HasSubstr("allowed: nothing"));
}

v1::Device CheckedOut(v1::Device device, const std::string& seal = "S-1") {
  v1::Custody& custody = *device.mutable_custody();
  custody.set_state(v1::CUSTODY_STATE_IN_TRANSIT);
  custody.set_holder("tom");
  custody.set_origin_facility("general");
  custody.set_origin_unit("5-west");
  custody.set_destination_facility("general");
  custody.set_destination_unit("icu-1");
  custody.set_recorded_seal_id(seal);
  *custody.mutable_due_at() = testing::Ts(kNow + absl::Hours(1));
  return device;
}

std::vector<std::string> Gate(const v1::Device& device, const std::string& seal,
                              const std::vector<v1::Finding>& open = {}) {
  return GateFailures(*TestPolicy(),
                      {.device = &device, .open_findings = &open, .observed_seal_id = seal, .now = kNow});
}

TEST(CheckInGateTest, ACompliantPumpWithItsSealPasses) {
  EXPECT_THAT(Gate(CheckedOut(CompliantDevice()), "S-1"), IsEmpty());
}

TEST(CheckInGateTest, NamesEachReason) {
  const v1::Device pump = CheckedOut(CompliantDevice());
  EXPECT_THAT(Gate(pump, "S-2"), ElementsAre(HasSubstr("came back with seal S-2, not the seal S-1")));

  v1::Device broken = pump;
  broken.mutable_last_observation()->mutable_physical()->set_seal_state(v1::SEAL_STATE_BROKEN);
  EXPECT_THAT(Gate(broken, "S-1"), Contains(HasSubstr("seal as BROKEN")));

  v1::Device old_firmware = pump;
  old_firmware.mutable_last_observation()->set_firmware_version("11.9.9");
  EXPECT_THAT(Gate(old_firmware, "S-1"), Contains(HasSubstr("firmware.blocked")));

  v1::Device stale_library = pump;
  *stale_library.mutable_last_observation()->mutable_drug_library()->mutable_published_at() =
      testing::Ts(kNow - absl::Hours(24 * 365));
  EXPECT_THAT(Gate(stale_library, "S-1"), Contains(HasSubstr("drug_library.stale")));

  v1::Device odd_config = pump;
  odd_config.mutable_last_observation()->mutable_configuration()->set_digest("sha256:other");
  EXPECT_THAT(Gate(odd_config, "S-1"), Contains(HasSubstr("config.")));

  v1::Device default_password = pump;
  default_password.mutable_last_observation()->mutable_security()->set_default_credentials(true);
  EXPECT_THAT(Gate(default_password, "S-1"), Contains(HasSubstr("security.default_credentials")));

  // An open finding of a blocking kind (a one-off, say) keeps it out even when the state looks fine.
  v1::Finding gap;
  gap.set_id("F-7");
  gap.set_kind(v1::FINDING_KIND_TAMPERED);
  gap.set_rule("tamper.sequence_gap");
  gap.set_reason("Reports missing.");
  v1::Finding misrouted;
  misrouted.set_kind(v1::FINDING_KIND_MISROUTED);
  misrouted.set_rule("custody.misrouted");
  EXPECT_THAT(Gate(pump, "S-1", {gap, misrouted}),
              ElementsAre("open finding F-7 tamper.sequence_gap: Reports missing."));
}

TEST(CustodyRulesTest, InTransitMovesAreExpectedOtherUnitsAreMisroutedAndLateIsOverdue) {
  v1::Device at_destination = CheckedOut(CompliantDevice());
  at_destination.mutable_last_observation()->mutable_location()->set_unit("icu-1");
  EXPECT_THAT(Evaluated(at_destination), IsEmpty());
  v1::Device elsewhere = at_destination;
  elsewhere.mutable_last_observation()->mutable_location()->set_unit("biomed");
  EXPECT_THAT(Evaluated(elsewhere), ElementsAre("custody.misrouted"));
  v1::Device late = at_destination;
  *late.mutable_custody()->mutable_due_at() = testing::Ts(kNow - absl::Seconds(1));
  EXPECT_THAT(Evaluated(late), ElementsAre("custody.overdue"));
  // Not checked out: icu-1 is outside home.
  v1::Device loose = CompliantDevice();
  loose.mutable_last_observation()->mutable_location()->set_unit("icu-1");
  EXPECT_THAT(Evaluated(loose), ElementsAre("move.outside_home_unit"));
  // Placed there by a check-in: fine.
  loose.mutable_custody()->set_placed_facility("general");
  loose.mutable_custody()->set_placed_unit("icu-1");
  EXPECT_THAT(Evaluated(loose), IsEmpty());
}

TEST(CustodyRulesTest, AnExitZoneIsStillFlaggedOnAnInFacilityTransfer) {
  v1::Device device = CheckedOut(CompliantDevice());
  v1::Location& location = *device.mutable_last_observation()->mutable_location();
  location.set_unit("biomed");
  location.set_room("dock-exit");
  EXPECT_THAT(Evaluated(device), Contains("move.exit_zone"));
  device.mutable_custody()->set_destination_facility("children");  // leaving for another facility on purpose
  EXPECT_THAT(Evaluated(device), Not(Contains("move.exit_zone")));
}

TEST(ParLevelTest, ShortUnitsRaiseParLowMoreSeverelyWhenEmpty) {
  v1::Unit unit;
  unit.set_id("5-west");
  unit.set_facility("general");
  unit.set_par_level(4);
  EXPECT_FALSE(ParLow(unit, 4).has_value());
  std::optional<Violation> short_one = ParLow(unit, 3);
  ASSERT_TRUE(short_one.has_value());
  EXPECT_EQ(short_one->kind, v1::FINDING_KIND_PAR_LOW);
  EXPECT_EQ(short_one->severity, v1::SEVERITY_MEDIUM);
  EXPECT_EQ(ParLow(unit, 0)->severity, v1::SEVERITY_HIGH);
  unit.set_par_level(0);
  EXPECT_FALSE(ParLow(unit, 0).has_value());
}

TEST(ProximityTest, SameUnitFloorBuildingFacilityThenElsewhere) {
  const auto policy = TestPolicy();
  const v1::Unit* icu = policy->FindUnitAnywhere("icu-1");
  ASSERT_NE(icu, nullptr);
  EXPECT_EQ(ProximityOf(*policy, *icu, "general", "icu-1"), v1::PROXIMITY_SAME_UNIT);
  EXPECT_EQ(ProximityOf(*policy, *icu, "general", "biomed"), v1::PROXIMITY_SAME_FLOOR);
  EXPECT_EQ(ProximityOf(*policy, *icu, "general", "5-west"), v1::PROXIMITY_SAME_BUILDING);
  EXPECT_EQ(ProximityOf(*policy, *icu, "general", "unknown"), v1::PROXIMITY_SAME_FACILITY);
  EXPECT_EQ(ProximityOf(*policy, *icu, "children", "icu-1"), v1::PROXIMITY_OTHER_FACILITY);
}

}  // namespace
}  // namespace pumptrack::rules
