// examples/hospital-policy.textproto must describe the simulator's hospital (agents/sim/hospital.h) exactly: its
// facility, buildings, units, rooms and exit zones, and for every model the firmware, drug libraries and configuration
// the simulated pumps report, so that a clean simulated pump breaks no rule of the example policy.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agents/sim/hospital.h"
#include "agents/sim/sim_source.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/policy.pb.h"

namespace pumptrack {
namespace {

namespace sim = agents::sim;

using ::testing::Contains;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr char kPolicyPath[] = PUMPTRACK_EXAMPLE_POLICY;

// Collects the first parse error with its line, so a broken example names where it broke.
class FirstError final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (error.empty()) error = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  std::string error;
};

std::string S(std::string_view text) { return std::string(text); }

// -1, 0 or 1 comparing dotted numeric versions ("12.1.3"); a missing part counts as 0.
int CompareVersions(const std::string& a, const std::string& b) {
  const std::vector<std::string> left = absl::StrSplit(a, '.');
  const std::vector<std::string> right = absl::StrSplit(b, '.');
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    int x = 0;
    int y = 0;
    if (i < left.size()) {
      EXPECT_TRUE(absl::SimpleAtoi(left[i], &x)) << a;
    }
    if (i < right.size()) {
      EXPECT_TRUE(absl::SimpleAtoi(right[i], &y)) << b;
    }
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

class ExamplePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream file(kPolicyPath);
    ASSERT_TRUE(file) << "cannot read " << kPolicyPath;
    std::stringstream text;
    text << file.rdbuf();
    google::protobuf::TextFormat::Parser parser;
    FirstError errors;
    parser.RecordErrorsTo(&errors);
    ASSERT_TRUE(parser.ParseFromString(text.str(), &policy_)) << kPolicyPath << ": " << errors.error;
  }

  const v1::Unit* FindUnit(std::string_view id) const {
    for (const v1::Unit& unit : policy_.site().units()) {
      if (unit.id() == id) return &unit;
    }
    return nullptr;
  }

  const v1::ModelPolicy* FindModel(std::string_view model) const {
    for (const v1::ModelPolicy& candidate : policy_.models()) {
      if (candidate.model() == model) return &candidate;
    }
    return nullptr;
  }

  const sim::Site& site_ = sim::ExampleGeneral();
  v1::Policy policy_;
};

TEST_F(ExamplePolicyTest, HasTheSimulatorsFacilityAndBuildings) {
  ASSERT_EQ(policy_.site().facilities_size(), 1);
  EXPECT_EQ(policy_.site().facilities(0).id(), S(site_.facility_id));
  EXPECT_EQ(policy_.site().facilities(0).name(), S(site_.facility_name));
  ASSERT_EQ(policy_.site().buildings_size(), static_cast<int>(site_.buildings.size()));
  for (size_t i = 0; i < site_.buildings.size(); ++i) {
    const v1::Building& building = policy_.site().buildings(static_cast<int>(i));
    EXPECT_EQ(building.id(), S(site_.buildings[i].id));
    EXPECT_EQ(building.name(), S(site_.buildings[i].name));
    EXPECT_EQ(building.facility(), S(site_.facility_id));
  }
}

TEST_F(ExamplePolicyTest, HasEverySimulatedUnitWithItsRoomsAndExitZones) {
  EXPECT_EQ(policy_.site().units_size(), static_cast<int>(site_.units.size())) << "a unit the simulator lacks";
  for (const sim::Unit& expected : site_.units) {
    SCOPED_TRACE(S(expected.id));
    const v1::Unit* unit = FindUnit(expected.id);
    ASSERT_NE(unit, nullptr);
    EXPECT_EQ(unit->facility(), S(site_.facility_id));
    EXPECT_EQ(unit->building(), S(expected.building));
    EXPECT_EQ(unit->floor(), S(expected.floor));
    EXPECT_EQ(unit->name(), S(expected.name));
    EXPECT_EQ(unit->care_area(), S(expected.care_area));
    std::vector<std::string> rooms(expected.rooms.begin(), expected.rooms.end());
    EXPECT_THAT(unit->rooms(), UnorderedElementsAreArray(rooms));
    std::vector<std::string> exit_zones(expected.exit_zones.begin(), expected.exit_zones.end());
    EXPECT_THAT(unit->exit_zones(), UnorderedElementsAreArray(exit_zones));
    // Units pumps call home hold some; storage holds none.
    if (expected.is_home_unit()) {
      EXPECT_GT(unit->par_level(), 0u);
    } else {
      EXPECT_EQ(unit->par_level(), 0u);
    }
  }
}

TEST_F(ExamplePolicyTest, TheLoadingDockIsAnExitZoneOfBiomed) {
  const v1::Unit* biomed = FindUnit("biomed");
  ASSERT_NE(biomed, nullptr);
  EXPECT_THAT(biomed->exit_zones(), Contains("dock-exit"));
  EXPECT_THAT(biomed->rooms(), Not(Contains("dock-exit")));
}

TEST_F(ExamplePolicyTest, AllowsEveryModelsApprovedFirmware) {
  EXPECT_EQ(policy_.models_size(), static_cast<int>(site_.models.size())) << "a model the simulator lacks";
  for (const sim::PumpModel& model : site_.models) {
    SCOPED_TRACE(S(model.model));
    const v1::ModelPolicy* policy = FindModel(model.model);
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(policy->manufacturer(), S(model.manufacturer));
    const v1::FirmwarePolicy& firmware = policy->firmware();
    EXPECT_THAT(firmware.allowed(), Contains(S(model.firmware)));
    EXPECT_THAT(firmware.blocked(), Not(Contains(S(model.firmware))));
    EXPECT_FALSE(firmware.blocked().empty()) << "each model blocks a recalled build";
    ASSERT_FALSE(firmware.minimum().empty());
    EXPECT_GE(CompareVersions(S(model.firmware), firmware.minimum()), 0);
    for (const std::string& blocked : firmware.blocked()) EXPECT_LT(CompareVersions(blocked, firmware.minimum()), 0);
    for (const v1::VulnerableFirmware& range : policy->vulnerable_firmware()) {
      SCOPED_TRACE(range.advisory());
      const std::string approved = S(model.firmware);
      const bool affected = (range.introduced().empty() || CompareVersions(approved, range.introduced()) >= 0) &&
                            (range.fixed().empty() || CompareVersions(approved, range.fixed()) < 0);
      EXPECT_FALSE(affected) << "the approved firmware is in a known-vulnerable range";
      EXPECT_NE(range.severity(), v1::SEVERITY_UNSPECIFIED);
    }
  }
}

// The agent's --sim_faults pumps run each model's `blocked_firmware` (a field of sim::PumpModel on the agent branch);
// where the site table has it, the policy must block it. Checked only where the field exists.
TEST_F(ExamplePolicyTest, BlocksTheFirmwareFaultyPumpsRun) {
  int checked = 0;
  auto check = [&](const auto& model) {
    if constexpr (requires { model.blocked_firmware; }) {
      const v1::ModelPolicy* policy = FindModel(model.model);
      ASSERT_NE(policy, nullptr) << model.model;
      EXPECT_THAT(policy->firmware().blocked(), Contains(S(model.blocked_firmware))) << model.model;
      ++checked;
    }
  };
  for (const sim::PumpModel& model : site_.models) check(model);
  if (checked == 0) GTEST_SKIP() << "sim::PumpModel has no blocked_firmware on this branch";
}

TEST_F(ExamplePolicyTest, AtLeastOneKnownVulnerableRangeNamesAnAdvisory) {
  int ranges = 0;
  for (const v1::ModelPolicy& model : policy_.models()) {
    for (const v1::VulnerableFirmware& range : model.vulnerable_firmware()) {
      EXPECT_FALSE(range.advisory().empty());
      EXPECT_FALSE(range.fixed().empty() && range.introduced().empty());
      ++ranges;
    }
  }
  EXPECT_GE(ranges, 1);
}

TEST_F(ExamplePolicyTest, ExpectsEveryPublishedDrugLibraryWithItsDigestForEveryModel) {
  for (const sim::PumpModel& model : site_.models) {
    const v1::ModelPolicy* policy = FindModel(model.model);
    ASSERT_NE(policy, nullptr) << model.model;
    EXPECT_EQ(policy->drug_libraries_size(), static_cast<int>(site_.drug_libraries.size())) << model.model;
    for (const sim::DrugLibraryRelease& release : site_.drug_libraries) {
      SCOPED_TRACE(absl::StrCat(S(model.model), " / ", S(release.care_area)));
      const v1::DrugLibraryExpectation* expected = nullptr;
      for (const v1::DrugLibraryExpectation& library : policy->drug_libraries()) {
        if (library.care_area() == release.care_area) expected = &library;
      }
      ASSERT_NE(expected, nullptr);
      EXPECT_EQ(expected->name(), S(release.name));
      EXPECT_EQ(expected->version(), S(release.version));
      EXPECT_EQ(expected->digest(), sim::DrugLibraryDigest(release));
      EXPECT_GT(expected->max_age().seconds(), 0);
    }
  }
}

TEST_F(ExamplePolicyTest, EveryCareAreaPumpsCallHomeHasADrugLibrary) {
  for (const sim::Unit& unit : site_.units) {
    if (!unit.is_home_unit()) continue;
    EXPECT_NE(sim::FindDrugLibrary(site_, unit.care_area), nullptr) << unit.id;
  }
}

TEST_F(ExamplePolicyTest, ApprovesEveryModelsConfigurationAndItsSettingsMeetTheRequiredOnes) {
  for (const sim::PumpModel& model : site_.models) {
    SCOPED_TRACE(S(model.model));
    const v1::ModelPolicy* policy = FindModel(model.model);
    ASSERT_NE(policy, nullptr);
    EXPECT_THAT(policy->approved_configuration_digests(), Contains(sim::ConfigurationDigest(model)));
    EXPECT_EQ(policy->required_settings().at("wifi.eap"), "tls");
    EXPECT_EQ(policy->required_settings().at("remote_service"), "disabled");
    EXPECT_EQ(policy->required_settings().at("drug_library.require_signature"), "true");
    for (const auto& [key, value] : policy->required_settings()) {
      const auto setting = std::find_if(model.settings.begin(), model.settings.end(),
                                        [&key = key](const sim::Setting& s) { return s.key == key; });
      ASSERT_NE(setting, model.settings.end()) << key;
      EXPECT_EQ(S(setting->value), value) << key;
    }
  }
}

TEST_F(ExamplePolicyTest, SecurityRulesForbidDebugAndCleartextServicesButPassCleanPumps) {
  const std::vector<int> forbidden = {v1::SERVICE_KIND_TELNET, v1::SERVICE_KIND_FTP, v1::SERVICE_KIND_HTTP_ADMIN,
                                      v1::SERVICE_KIND_USB_DEBUG, v1::SERVICE_KIND_SERIAL_DEBUG};
  for (const sim::PumpModel& model : site_.models) {
    SCOPED_TRACE(S(model.model));
    const v1::ModelPolicy* policy = FindModel(model.model);
    ASSERT_NE(policy, nullptr);
    EXPECT_THAT(policy->forbidden_services(), UnorderedElementsAreArray(forbidden));
    for (const sim::ServicePort& open : model.open_services) {
      EXPECT_THAT(policy->forbidden_services(), Not(Contains(static_cast<int>(open.kind))));
    }
    EXPECT_EQ(policy->minimum_wifi_security(), v1::WIFI_SECURITY_WPA2_ENTERPRISE);
    EXPECT_GE(model.wifi_security, policy->minimum_wifi_security());
    EXPECT_EQ(policy->credential_rotation().seconds(), 365 * 24 * 3600);
    EXPECT_EQ(policy->max_clock_drift().seconds(), 5 * 60);
    EXPECT_FALSE(policy->remote_access_allowed());
  }
}

TEST_F(ExamplePolicyTest, MissingThresholdsAreHalfAnHourAndADayWhenOff) {
  EXPECT_EQ(policy_.missing().default_after().seconds(), 30 * 60);
  ASSERT_EQ(policy_.missing().thresholds_size(), 1);
  EXPECT_EQ(policy_.missing().thresholds(0).operating_state(), v1::OPERATING_STATE_OFF);
  EXPECT_EQ(policy_.missing().thresholds(0).after().seconds(), 24 * 3600);
}

TEST_F(ExamplePolicyTest, NoSimulatedBatteryIsDegradedAndTheTransportMinimumIsSet) {
  // The simulator's healthiest-to-most-worn batteries all pass every model's minimum (no BATTERY_DEGRADED for a clean
  // pump); the transport minimum is set so a checked-out pump low on charge raises BATTERY_LOW_FOR_TRANSPORT.
  for (const v1::ModelPolicy& model : policy_.models()) {
    SCOPED_TRACE(model.model());
    EXPECT_GT(model.minimum_battery_health_percent(), 0u);
    EXPECT_LE(model.minimum_battery_health_percent(), sim::kLowestBatteryHealthPercent);
  }
  EXPECT_GT(policy_.transport_minimum_battery_percent(), 0u);
  EXPECT_LE(policy_.transport_minimum_battery_percent(), 100u);
}

}  // namespace
}  // namespace pumptrack
