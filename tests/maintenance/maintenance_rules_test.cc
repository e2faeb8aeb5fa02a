// Due-date arithmetic and the maintenance rule, as pure functions: calendar months in a time zone, month ends, a pump
// never maintained, an override, the warning window.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/maintenance.h"
#include "tests/rules/rules_test_util.h"

namespace pumptrack::rules {
namespace {

using testing::CompliantDevice;
using testing::Ts;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// The test policy with the Infusia 500 given `pm` (text inside the model) and the site in `time_zone`.
std::shared_ptr<const CompiledPolicy> PolicyWith(const std::string& pm, const std::string& time_zone = "") {
  std::string text = testing::kPolicyText;
  const std::string anchor = "max_clock_drift { seconds: 300 }";
  text.replace(text.find(anchor), anchor.size(), anchor + " " + pm);
  if (!time_zone.empty()) text += "\ntime_zone: \"" + time_zone + "\"";
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(text);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : CompiledPolicy::Empty();
}

v1::Device PumpLastPm(absl::Time last_pm) {
  v1::Device device = CompliantDevice();
  *device.mutable_first_seen_at() = Ts(Utc(2020, 1, 1));
  *device.mutable_maintenance()->mutable_last_pm_at() = Ts(last_pm);
  return device;
}

TEST(AddMonths, KeepsTheDayAndTimeOfDay) {
  EXPECT_EQ(AddMonths(Utc(2026, 3, 15, 9, 30), 12, absl::UTCTimeZone()), Utc(2027, 3, 15, 9, 30));
  EXPECT_EQ(AddMonths(Utc(2026, 11, 15), 3, absl::UTCTimeZone()), Utc(2027, 2, 15));
}

TEST(AddMonths, ADayTheMonthLacksBecomesItsLastDay) {
  EXPECT_EQ(AddMonths(Utc(2026, 1, 31), 1, absl::UTCTimeZone()), Utc(2026, 2, 28));
  EXPECT_EQ(AddMonths(Utc(2027, 1, 31), 1, absl::UTCTimeZone()), Utc(2027, 2, 28));
  EXPECT_EQ(AddMonths(Utc(2028, 1, 31), 1, absl::UTCTimeZone()), Utc(2028, 2, 29));  // leap year
  EXPECT_EQ(AddMonths(Utc(2026, 8, 31), 1, absl::UTCTimeZone()), Utc(2026, 9, 30));
  EXPECT_EQ(AddMonths(Utc(2026, 5, 31), 6, absl::UTCTimeZone()), Utc(2026, 11, 30));
}

TEST(AddMonths, CountsInTheSiteTimeZone) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  // 31 Jan 23:30 in Berlin is 31 Jan 22:30 UTC; one month later is 28 Feb 23:30 Berlin, not 28 Feb in UTC terms of
  // 1 Mar.
  const absl::Time performed = absl::FromCivil(absl::CivilSecond(2026, 1, 31, 23, 30, 0), berlin);
  EXPECT_EQ(AddMonths(performed, 1, berlin), absl::FromCivil(absl::CivilSecond(2026, 2, 28, 23, 30, 0), berlin));
  // Across the spring DST change the local time of day stays: 09:00 in winter, 09:00 in summer (an hour less apart).
  const absl::Time winter = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 0, 0), berlin);
  const absl::Time summer = AddMonths(winter, 1, berlin);
  EXPECT_EQ(summer, absl::FromCivil(absl::CivilSecond(2026, 4, 1, 9, 0, 0), berlin));
  EXPECT_EQ(summer - winter, absl::Hours(31 * 24 - 1));
  // In UTC the same instant 31 Jan 22:30 is the 31st too, but New York's 31 Jan 20:00 is 1 Feb 01:00 UTC: the local
  // date counts.
  const absl::TimeZone new_york = Zone("America/New_York");
  const absl::Time ny = absl::FromCivil(absl::CivilSecond(2026, 1, 31, 20, 0, 0), new_york);
  EXPECT_EQ(AddMonths(ny, 1, new_york), absl::FromCivil(absl::CivilSecond(2026, 2, 28, 20, 0, 0), new_york));
  EXPECT_EQ(AddMonths(ny, 1, absl::UTCTimeZone()), Utc(2026, 3, 1, 1, 0));
}

TEST(NextPmDue, AfterTheLastPmByTheModelsInterval) {
  auto policy = PolicyWith("pm_interval { seconds: 31536000 }");  // 365 days
  EXPECT_EQ(NextPmDue(*policy, PumpLastPm(Utc(2026, 3, 1))), Utc(2027, 3, 1));
}

TEST(NextPmDue, CalendarMonthsWinOverTheDuration) {
  auto policy = PolicyWith("pm_interval { seconds: 86400 } pm_interval_months: 1");
  EXPECT_EQ(NextPmDue(*policy, PumpLastPm(Utc(2026, 1, 31))), Utc(2026, 2, 28));
}

TEST(NextPmDue, MonthsAreReadInThePolicysTimeZone) {
  auto policy = PolicyWith("pm_interval_months: 1", "America/New_York");
  const absl::TimeZone ny = Zone("America/New_York");
  const absl::Time performed = absl::FromCivil(absl::CivilSecond(2026, 1, 31, 20, 0, 0), ny);
  EXPECT_EQ(NextPmDue(*policy, PumpLastPm(performed)), absl::FromCivil(absl::CivilSecond(2026, 2, 28, 20, 0, 0), ny));
}

TEST(NextPmDue, APumpNeverMaintainedCountsFromWhenItWasFirstSeen) {
  auto policy = PolicyWith("pm_interval_months: 6");
  v1::Device device = CompliantDevice();
  *device.mutable_first_seen_at() = Ts(Utc(2026, 6, 10));
  EXPECT_EQ(NextPmDue(*policy, device), Utc(2026, 12, 10));
  device.clear_first_seen_at();
  EXPECT_EQ(NextPmDue(*policy, device), std::nullopt);
}

TEST(NextPmDue, AnOverrideWinsEvenWithoutAnInterval) {
  v1::Device device = PumpLastPm(Utc(2026, 3, 1));
  *device.mutable_maintenance()->mutable_next_due_override() = Ts(Utc(2026, 5, 1));
  EXPECT_EQ(NextPmDue(*PolicyWith("pm_interval_months: 12"), device), Utc(2026, 5, 1));
  EXPECT_EQ(NextPmDue(*testing::TestPolicy(), device), Utc(2026, 5, 1));
}

TEST(NextPmDue, NoneForAModelWithoutASchedule) {
  EXPECT_EQ(NextPmDue(*testing::TestPolicy(), PumpLastPm(Utc(2026, 3, 1))), std::nullopt);
  v1::Device other = PumpLastPm(Utc(2026, 3, 1));
  other.mutable_identity()->set_model("Unknown 9");
  EXPECT_EQ(NextPmDue(*PolicyWith("pm_interval_months: 12"), other), std::nullopt);
}

TEST(ScheduleOf, WarningWindowThenOverdue) {
  auto policy = PolicyWith("pm_interval_months: 12 pm_warning { seconds: 1209600 }");  // 14 days
  const v1::Device device = PumpLastPm(Utc(2026, 3, 1));
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 2, 14, 23, 59)).phase, MaintenancePhase::kNone);
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 2, 15)).phase, MaintenancePhase::kDue);
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 2, 28, 23, 59)).phase, MaintenancePhase::kDue);
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 3, 1)).phase, MaintenancePhase::kOverdue);
}

TEST(ScheduleOf, TheDefaultWarningIsThirtyDays) {
  auto policy = PolicyWith("pm_interval_months: 12");
  const v1::Device device = PumpLastPm(Utc(2026, 3, 1));
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 1, 29, 23, 59)).phase, MaintenancePhase::kNone);
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 1, 30)).phase, MaintenancePhase::kDue);
}

TEST(ScheduleOf, ARetiredPumpIsNeverDue) {
  auto policy = PolicyWith("pm_interval_months: 12");
  v1::Device device = PumpLastPm(Utc(2020, 3, 1));
  device.mutable_custody()->set_state(v1::CUSTODY_STATE_RETIRED);
  EXPECT_EQ(ScheduleOf(*policy, device, Utc(2027, 1, 1)).phase, MaintenancePhase::kNone);
}

TEST(CheckMaintenance, RaisesDueOrOverdueWithTheDateInTheEvidence) {
  auto policy = PolicyWith("pm_interval_months: 12");
  const v1::Device device = PumpLastPm(Utc(2026, 3, 1));
  std::vector<Violation> out;
  CheckMaintenance(*policy, {.device = &device, .now = Utc(2027, 2, 20)}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_MAINTENANCE_DUE);
  EXPECT_EQ(out[0].rule, "maintenance.due");
  EXPECT_EQ(out[0].evidence.expected(), "PM by 2027-03-01");
  EXPECT_EQ(out[0].evidence.seen(), "last PM 2026-03-01");
  out.clear();
  CheckMaintenance(*policy, {.device = &device, .now = Utc(2027, 3, 2)}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_MAINTENANCE_OVERDUE);
  EXPECT_EQ(out[0].severity, v1::SEVERITY_HIGH);
  // Evaluate runs it with the others.
  EXPECT_THAT(Evaluate(*policy, {.device = &device, .now = Utc(2027, 3, 2)}),
              ::testing::Contains(::testing::Field(&Violation::rule, "maintenance.overdue")));
}

// Components (Policy.components): the test policy plus a battery module with a 180-day PM and a 14-day window, and a
// Wi-Fi module with no PM schedule.
std::shared_ptr<const CompiledPolicy> ComponentPolicy(const std::string& pump_pm = "") {
  std::string text = testing::kPolicyText;
  if (!pump_pm.empty()) {
    const std::string anchor = "max_clock_drift { seconds: 300 }";
    text.replace(text.find(anchor), anchor.size(), anchor + " " + pump_pm);
  }
  text += R"(
components { kind: "battery-module" model: "BAT-9" pm_interval { seconds: 15552000 } pm_warning { seconds: 1209600 } }
components { kind: "wifi-module" model: "WLAN-7" }
)";
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(text);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : CompiledPolicy::Empty();
}

// A pump first seen 2026-01-01 with a battery module BAT-9 serial B-1 and a Wi-Fi module serial W-1.
v1::Device PumpWithModules() {
  v1::Device device = CompliantDevice();
  *device.mutable_first_seen_at() = Ts(Utc(2026, 1, 1));
  v1::Component& battery = *device.mutable_last_observation()->add_components();
  battery.set_kind("battery-module");
  battery.set_position("3");
  battery.set_model("BAT-9");
  battery.set_serial_number("B-1");
  v1::Component& wifi = *device.mutable_last_observation()->add_components();
  wifi.set_kind("wifi-module");
  wifi.set_position("2");
  wifi.set_model("WLAN-7");
  wifi.set_serial_number("W-1");
  return device;
}

const v1::Component& Battery(const v1::Device& device) { return device.last_observation().components(0); }

TEST(NextComponentPmDue, NeverMaintainedCountsFromThePumpsFirstSighting) {
  auto policy = ComponentPolicy();
  const v1::Device device = PumpWithModules();
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), Utc(2026, 1, 1) + absl::Hours(24 * 180));
  // The Wi-Fi module's kind and model have no PM interval.
  EXPECT_EQ(NextComponentPmDue(*policy, device, device.last_observation().components(1)), std::nullopt);
}

TEST(NextComponentPmDue, CalendarMonthsInTheSitesZoneWinOverTheDuration) {
  std::string text = testing::kPolicyText;
  text += R"(
time_zone: "America/New_York"
components { kind: "battery-module" model: "BAT-9" pm_interval { seconds: 86400 } pm_interval_months: 1 }
)";
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(text);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const absl::TimeZone ny = Zone("America/New_York");
  v1::Device device = PumpWithModules();
  v1::ComponentMaintenance& entry = *device.mutable_maintenance()->add_components();
  entry.set_kind("battery-module");
  entry.set_serial_number("B-1");
  // 31 January, 20:00 in New York (1 February in UTC) + 1 month: 28 February, 20:00 in New York.
  *entry.mutable_last_pm_at() = Ts(absl::FromCivil(absl::CivilSecond(2026, 1, 31, 20, 0, 0), ny));
  EXPECT_EQ(NextComponentPmDue(**policy, device, Battery(device)),
            absl::FromCivil(absl::CivilSecond(2026, 2, 28, 20, 0, 0), ny));
  // Months alone give a component a schedule.
  text.replace(text.find("pm_interval { seconds: 86400 } "), 31, "");
  policy = CompiledPolicy::FromText(text);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(NextComponentPmDue(**policy, device, Battery(device)),
            absl::FromCivil(absl::CivilSecond(2026, 2, 28, 20, 0, 0), ny));
}

TEST(NextComponentPmDue, AfterItsOwnLastPmNotThePumps) {
  auto policy = ComponentPolicy("pm_interval_months: 12");
  v1::Device device = PumpWithModules();
  *device.mutable_maintenance()->mutable_last_pm_at() = Ts(Utc(2026, 6, 1));  // the pump's PM moves nothing
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), Utc(2026, 1, 1) + absl::Hours(24 * 180));
  v1::ComponentMaintenance& entry = *device.mutable_maintenance()->add_components();
  entry.set_kind("battery-module");
  entry.set_serial_number("B-1");
  *entry.mutable_last_pm_at() = Ts(Utc(2026, 3, 1));
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), Utc(2026, 3, 1) + absl::Hours(24 * 180));
  // Another module's entry (a battery swapped out) is not this one's.
  entry.set_serial_number("B-0");
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), Utc(2026, 1, 1) + absl::Hours(24 * 180));
}

TEST(NextComponentPmDue, AnOverrideWinsAndNoSerialMeansNoSchedule) {
  auto policy = ComponentPolicy();
  v1::Device device = PumpWithModules();
  v1::ComponentMaintenance& entry = *device.mutable_maintenance()->add_components();
  entry.set_kind("battery-module");
  entry.set_serial_number("B-1");
  *entry.mutable_last_pm_at() = Ts(Utc(2026, 3, 1));
  *entry.mutable_next_due_override() = Ts(Utc(2026, 4, 15));
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), Utc(2026, 4, 15));
  // A module that reports no serial number cannot be told apart or recorded against: not scheduled.
  device.mutable_last_observation()->mutable_components(0)->clear_serial_number();
  EXPECT_EQ(NextComponentPmDue(*policy, device, Battery(device)), std::nullopt);
}

TEST(ComponentScheduleOf, ItsOwnWarningWindowThenOverdueAndNeverForARetiredPump) {
  auto policy = ComponentPolicy();
  v1::Device device = PumpWithModules();
  const absl::Time due = Utc(2026, 1, 1) + absl::Hours(24 * 180);
  EXPECT_EQ(ComponentScheduleOf(*policy, device, Battery(device), due - absl::Hours(24 * 14) - absl::Seconds(1)).phase,
            MaintenancePhase::kNone);
  EXPECT_EQ(ComponentScheduleOf(*policy, device, Battery(device), due - absl::Hours(24 * 14)).phase,
            MaintenancePhase::kDue);
  EXPECT_EQ(ComponentScheduleOf(*policy, device, Battery(device), due - absl::Seconds(1)).phase,
            MaintenancePhase::kDue);
  EXPECT_EQ(ComponentScheduleOf(*policy, device, Battery(device), due).phase, MaintenancePhase::kOverdue);
  device.mutable_custody()->set_state(v1::CUSTODY_STATE_RETIRED);
  EXPECT_EQ(ComponentScheduleOf(*policy, device, Battery(device), due).phase, MaintenancePhase::kNone);
}

TEST(CheckMaintenance, AComponentRaisesItsOwnFindingNamingKindModelAndSerial) {
  auto policy = ComponentPolicy();
  const v1::Device device = PumpWithModules();
  const absl::Time due = Utc(2026, 1, 1) + absl::Hours(24 * 180);  // 2026-06-30
  std::vector<Violation> out;
  CheckMaintenance(*policy, {.device = &device, .now = due - absl::Hours(24)}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_MAINTENANCE_DUE);
  EXPECT_EQ(out[0].rule, "maintenance.component.due.battery-module.B-1");
  EXPECT_EQ(out[0].severity, v1::SEVERITY_LOW);
  EXPECT_THAT(out[0].reason, ::testing::HasSubstr("battery-module BAT-9 serial B-1 of pump PT-1"));
  EXPECT_EQ(out[0].evidence.expected(), "PM by 2026-06-30");
  EXPECT_EQ(out[0].evidence.seen(), "no PM recorded");
  out.clear();
  CheckMaintenance(*policy, {.device = &device, .now = due}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, v1::FINDING_KIND_MAINTENANCE_OVERDUE);
  EXPECT_EQ(out[0].rule, "maintenance.component.overdue.battery-module.B-1");
  EXPECT_EQ(out[0].severity, v1::SEVERITY_HIGH);
  EXPECT_TRUE(AnyPmOverdue(*policy, device, due));
  EXPECT_FALSE(AnyPmOverdue(*policy, device, due - absl::Seconds(1)));
}

TEST(MaintenanceRulesAt, ThePumpsAndEachComponentsOnceSorted) {
  auto policy = ComponentPolicy("pm_interval_months: 3");
  v1::Device device = PumpWithModules();
  // Two battery modules (a pump with two bays), and the first reported twice: one finding each.
  v1::Component second = Battery(device);
  second.set_serial_number("B-2");
  second.set_position("4");
  *device.mutable_last_observation()->add_components() = second;
  *device.mutable_last_observation()->add_components() = Battery(device);
  EXPECT_THAT(MaintenanceRulesAt(*policy, device, Utc(2026, 3, 20)), ::testing::ElementsAre("maintenance.due"));
  EXPECT_THAT(MaintenanceRulesAt(*policy, device, Utc(2026, 7, 1)),
              ::testing::ElementsAre("maintenance.component.overdue.battery-module.B-1",
                                     "maintenance.component.overdue.battery-module.B-2", "maintenance.overdue"));
  std::vector<Violation> out;
  CheckMaintenance(*policy, {.device = &device, .now = Utc(2026, 7, 1)}, out);
  EXPECT_EQ(out.size(), 3u);
}

TEST(PolicyValidation, RefusesBadScheduleFields) {
  const auto refused = [](const std::string& pm, const std::string& zone, const std::string& message) {
    std::string text = testing::kPolicyText;
    const std::string anchor = "max_clock_drift { seconds: 300 }";
    text.replace(text.find(anchor), anchor.size(), anchor + " " + pm);
    if (!zone.empty()) text += "\ntime_zone: \"" + zone + "\"";
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompiledPolicy::FromText(text);
    ASSERT_FALSE(policy.ok()) << pm << zone;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(policy.status().message()), ::testing::HasSubstr(message));
  };
  refused("pm_interval { seconds: -5 }", "", "models[0].pm_interval: must be a positive duration");
  refused("pm_warning { seconds: 0 }", "", "models[0].pm_warning: must be a positive duration");
  refused("pm_interval_months: 121", "", "models[0].pm_interval_months: must be 1-120");
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> component =
      CompiledPolicy::FromText(std::string(testing::kPolicyText) +
                               "\ncomponents { kind: \"battery-module\" model: \"BAT-9\" pm_interval_months: 121 }");
  ASSERT_FALSE(component.ok());
  EXPECT_THAT(std::string(component.status().message()),
              ::testing::HasSubstr("components[0].pm_interval_months: must be 1-120"));
  refused("", "Mars/Olympus", "time_zone: \"Mars/Olympus\" is not a known IANA time zone");
}

}  // namespace
}  // namespace pumptrack::rules
