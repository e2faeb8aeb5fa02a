// The battery rules as pure functions: BATTERY_DEGRADED against the model's minimum health, BATTERY_LOW_FOR_TRANSPORT
// for a checked-out pump below the policy's transport minimum, what each leaves alone, and the policy's validation of
// both minimums.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/battery.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using testing::CompliantDevice;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kNow;

// The test policy with the Infusia 500's minimum battery health and the site's transport minimum.
absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(std::uint32_t minimum_health,
                                                              std::uint32_t transport_minimum) {
  std::string text = testing::kPolicyText;
  const std::string anchor = "max_clock_drift { seconds: 300 }";
  text.replace(text.find(anchor), anchor.size(),
               absl::StrCat(anchor, " minimum_battery_health_percent: ", minimum_health));
  absl::StrAppend(&text, "\ntransport_minimum_battery_percent: ", transport_minimum);
  return CompiledPolicy::FromText(text);
}

std::shared_ptr<const CompiledPolicy> PolicyWith(std::uint32_t minimum_health, std::uint32_t transport_minimum) {
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = Compile(minimum_health, transport_minimum);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : CompiledPolicy::Empty();
}

v1::Device Pump(std::optional<std::uint32_t> health, std::optional<std::uint32_t> charge = std::nullopt) {
  v1::Device device = CompliantDevice();
  v1::Physical& physical = *device.mutable_last_observation()->mutable_physical();
  if (health) physical.set_battery_health_percent(*health);
  if (charge) physical.set_battery_percent(*charge);
  return device;
}

v1::Device CheckedOut(v1::Device device) {
  v1::Custody& custody = *device.mutable_custody();
  custody.set_state(v1::CUSTODY_STATE_IN_TRANSIT);
  custody.set_holder("porter-1");
  custody.set_destination_facility("general");
  custody.set_destination_unit("icu-1");
  return device;
}

std::vector<Violation> Check(const CompiledPolicy& policy, const v1::Device& device) {
  std::vector<Violation> out;
  CheckBattery(policy, {.device = &device, .now = kNow}, out);
  return out;
}

std::vector<std::string> Rules(const std::vector<Violation>& violations) {
  std::vector<std::string> rules;
  for (const Violation& v : violations) rules.push_back(v.rule);
  return rules;
}

TEST(BatteryDegraded, BelowTheModelsMinimumHealthWithTheEvidence) {
  auto policy = PolicyWith(70, 0);
  v1::Device device = Pump(69);
  device.mutable_last_observation()->mutable_physical()->set_battery_cycle_count(812);
  const std::vector<Violation> out = Check(*policy, device);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_BATTERY_DEGRADED);
  EXPECT_EQ(out[0].rule, kRuleBatteryDegraded);
  EXPECT_EQ(out[0].severity, v1::SEVERITY_MEDIUM);
  EXPECT_EQ(out[0].evidence.expected(), "health at least 70%");
  EXPECT_EQ(out[0].evidence.seen(), "health 69% after 812 cycles");
  EXPECT_THAT(out[0].reason, HasSubstr("PT-1"));
  EXPECT_THAT(out[0].reason, HasSubstr("replace the battery"));
}

TEST(BatteryDegraded, AtTheMinimumOrAboveItIsHealthy) {
  auto policy = PolicyWith(70, 0);
  EXPECT_THAT(Check(*policy, Pump(70)), IsEmpty());
  EXPECT_THAT(Check(*policy, Pump(100)), IsEmpty());
}

TEST(BatteryDegraded, NothingWithoutAMinimumAHealthReadingOrForARetiredPump) {
  EXPECT_THAT(Check(*PolicyWith(0, 0), Pump(5)), IsEmpty()) << "no minimum: not checked";
  EXPECT_THAT(Check(*PolicyWith(70, 0), Pump(std::nullopt)), IsEmpty()) << "never reported: not judged";
  v1::Device retired = Pump(10);
  retired.mutable_custody()->set_state(v1::CUSTODY_STATE_RETIRED);
  EXPECT_THAT(Check(*PolicyWith(70, 0), retired), IsEmpty());
  v1::Device unknown_model = Pump(10);
  unknown_model.mutable_identity()->set_model("Other 9");
  EXPECT_THAT(Check(*PolicyWith(70, 0), unknown_model), IsEmpty());
  // A health of 0 is a reading (a dead battery), not "unknown".
  EXPECT_THAT(Rules(Check(*PolicyWith(70, 0), Pump(0))), ::testing::ElementsAre("battery.degraded"));
}

TEST(BatteryLowForTransport, ACheckedOutPumpBelowTheTransportMinimum) {
  auto policy = PolicyWith(0, 40);
  const std::vector<Violation> out = Check(*policy, CheckedOut(Pump(std::nullopt, 25)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_BATTERY_LOW_FOR_TRANSPORT);
  EXPECT_EQ(out[0].rule, kRuleBatteryLowForTransport);
  EXPECT_EQ(out[0].severity, v1::SEVERITY_MEDIUM);
  EXPECT_EQ(out[0].evidence.expected(), "charge at least 40% for transport");
  EXPECT_EQ(out[0].evidence.seen(), "charge 25%");
  EXPECT_THAT(out[0].reason, HasSubstr("checked out by porter-1 to general/icu-1"));
}

TEST(BatteryLowForTransport, SaysWhenThePumpIsOnMainsNow) {
  v1::Device device = CheckedOut(Pump(std::nullopt, 10));
  device.mutable_last_observation()->mutable_physical()->set_power_source(v1::POWER_SOURCE_MAINS);
  const std::vector<Violation> out = Check(*PolicyWith(0, 40), device);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].reason, HasSubstr("10% charge (on mains now)"));
}

TEST(BatteryLowForTransport, OnlyWhileCheckedOutAndBelowTheMinimum) {
  auto policy = PolicyWith(0, 40);
  EXPECT_THAT(Check(*policy, Pump(std::nullopt, 25)), IsEmpty()) << "not checked out";
  EXPECT_THAT(Check(*policy, CheckedOut(Pump(std::nullopt, 40))), IsEmpty()) << "at the minimum";
  EXPECT_THAT(Check(*policy, CheckedOut(Pump(std::nullopt, std::nullopt))), IsEmpty()) << "charge never reported";
  EXPECT_THAT(Check(*PolicyWith(0, 0), CheckedOut(Pump(std::nullopt, 1))), IsEmpty()) << "no transport minimum";
  v1::Device quarantined = Pump(std::nullopt, 5);
  quarantined.mutable_custody()->set_state(v1::CUSTODY_STATE_QUARANTINED);
  EXPECT_THAT(Check(*policy, quarantined), IsEmpty());
}

TEST(BatteryRules, BothAtOnceAndThroughEvaluate) {
  auto policy = PolicyWith(70, 40);
  const v1::Device device = CheckedOut(Pump(50, 20));
  EXPECT_THAT(Rules(Check(*policy, device)), ::testing::ElementsAre("battery.degraded", "battery.low_for_transport"));
  // Evaluate runs the battery rules with the others (the writer decides findings from Evaluate's verdicts).
  std::vector<std::string> all = Rules(Evaluate(*policy, {.device = &device, .now = kNow}));
  EXPECT_THAT(all, ::testing::IsSupersetOf({"battery.degraded", "battery.low_for_transport"}));
}

TEST(BatteryPolicy, MinimumsAbove100AreRefusedNamingTheField) {
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> health = Compile(101, 0);
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(health.status().message(), HasSubstr("models[0].minimum_battery_health_percent"));
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> transport = Compile(0, 101);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(transport.status().message(), HasSubstr("transport_minimum_battery_percent"));
  EXPECT_TRUE(Compile(100, 100).ok());
}

}  // namespace
}  // namespace pumptrack::rules
