// The sim adapter, its site table and the sequencer.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agents/sequencer.h"
#include "agents/sim/faults.h"
#include "agents/sim/hospital.h"
#include "agents/sim/sim_source.h"
#include "tests/agents/observation_limits.h"

namespace pumptrack::agents::sim {
namespace {

using pumptrack::v1::Observation;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 11, 29, 8, 0, 0), absl::UTCTimeZone());

std::unique_ptr<SimSource> MakeSource(SimOptions options) {
  options.epoch = kStart;
  absl::StatusOr<std::unique_ptr<SimSource>> source = SimSource::Create(options);
  EXPECT_TRUE(source.ok()) << source.status();
  return std::move(source).value();
}

SimOptions Pumps(int64_t count) {
  SimOptions options;
  options.pumps = count;
  return options;
}

std::vector<Observation> Round(SimSource& source, int round_number) {
  absl::StatusOr<std::vector<Observation>> round = source.NextRound(kStart + absl::Seconds(30) * round_number);
  EXPECT_TRUE(round.ok()) << round.status();
  return std::move(round).value();
}

// ---- site table ----

TEST(HospitalTest, SiteIsGeneralWithTwoBuildings) {
  const Site& site = ExampleGeneral();
  EXPECT_EQ(site.facility_id, "general");
  EXPECT_EQ(site.facility_name, "St. Example General Hospital");
  std::set<std::string_view> buildings;
  for (const Building& building : site.buildings) buildings.insert(building.id);
  EXPECT_EQ(buildings, (std::set<std::string_view>{"north", "south"}));
  EXPECT_GE(site.units.size(), 8u);
  EXPECT_LE(site.units.size(), 10u);
}

TEST(HospitalTest, UnitAndRoomIdsAreUniqueAndUnitsSitInKnownBuildings) {
  const Site& site = ExampleGeneral();
  std::set<std::string_view> unit_ids;
  std::set<std::string_view> room_ids;
  for (const Unit& unit : site.units) {
    EXPECT_TRUE(unit_ids.insert(unit.id).second) << unit.id;
    EXPECT_FALSE(unit.rooms.empty()) << unit.id;
    EXPECT_FALSE(unit.floor.empty()) << unit.id;
    EXPECT_TRUE(std::any_of(site.buildings.begin(), site.buildings.end(), [&](const Building& b) {
      return b.id == unit.building;
    })) << unit.id;
    for (std::string_view room : unit.rooms) EXPECT_TRUE(room_ids.insert(room).second) << room;
    for (std::string_view zone : unit.exit_zones) EXPECT_TRUE(room_ids.insert(zone).second) << zone;
  }
  for (std::string_view expected : {"icu-1", "5-west", "5-east", "er", "peds-3", "onc-4", "periop-2", "biomed"}) {
    EXPECT_NE(FindUnit(site, expected), nullptr) << expected;
  }
  EXPECT_EQ(FindUnit(site, "nowhere"), nullptr);
}

TEST(HospitalTest, BiomedIsStorageWithTheDockExitZone) {
  const Unit* biomed = FindUnit(ExampleGeneral(), "biomed");
  ASSERT_NE(biomed, nullptr);
  EXPECT_EQ(biomed->care_area, "storage");
  EXPECT_FALSE(biomed->is_home_unit());
  ASSERT_EQ(biomed->exit_zones.size(), 1u);
  EXPECT_EQ(biomed->exit_zones[0], "dock-exit");
  for (const Unit& unit : ExampleGeneral().units) {
    if (unit.id != "biomed") {
      EXPECT_TRUE(unit.exit_zones.empty()) << unit.id;
    }
  }
}

TEST(HospitalTest, EveryHomeUnitHasADrugLibraryForItsCareArea) {
  const Site& site = ExampleGeneral();
  for (const Unit& unit : site.units) {
    if (!unit.is_home_unit()) continue;
    const DrugLibraryRelease* library = FindDrugLibrary(site, unit.care_area);
    ASSERT_NE(library, nullptr) << unit.id;
    EXPECT_EQ(library->name, unit.care_area);
  }
  EXPECT_EQ(FindDrugLibrary(site, "storage"), nullptr);
}

TEST(HospitalTest, ModelsShareTheWholeFleetAndListSettingsSorted) {
  int percent = 0;
  for (const PumpModel& model : ExampleGeneral().models) {
    percent += model.fleet_percent;
    EXPECT_TRUE(std::is_sorted(model.settings.begin(), model.settings.end(), [](const Setting& a, const Setting& b) {
      return a.key < b.key;
    })) << model.model;
  }
  EXPECT_EQ(percent, 100);
  EXPECT_EQ(ExampleGeneral().models.size(), 3u);
}

TEST(HospitalTest, DigestsAreSha256InHex) {
  EXPECT_EQ(Sha256Digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::regex digest("sha256:[0-9a-f]{64}");
  for (const PumpModel& model : ExampleGeneral().models) {
    EXPECT_TRUE(std::regex_match(ConfigurationDigest(model), digest)) << model.model;
  }
  std::set<std::string> library_digests;
  for (const DrugLibraryRelease& release : ExampleGeneral().drug_libraries) {
    library_digests.insert(DrugLibraryDigest(release));
  }
  EXPECT_EQ(library_digests.size(), ExampleGeneral().drug_libraries.size());
}

TEST(HospitalTest, ConfigurationDigestCoversSortedKeyValueLines) {
  const PumpModel& model = ExampleGeneral().models[0];
  std::string canonical;
  for (const Setting& setting : model.settings) {
    canonical += std::string(setting.key) + "=" + std::string(setting.value) + "\n";
  }
  EXPECT_EQ(ConfigurationDigest(model), Sha256Digest(canonical));
}

// The policy for the demo site lists these values; if this test fails, update the policy (and agents/README.md).
TEST(HospitalTest, DigestsThePolicyListsArePinned) {
  const Site& site = ExampleGeneral();
  std::map<std::string, std::string> config;
  for (const PumpModel& model : site.models) config[std::string(model.model)] = ConfigurationDigest(model);
  EXPECT_EQ(config["Infusia 500"], "sha256:74311b2dd68fa423b6d6ba153bd568fcfff4226a51b26941d1c15b588c285860");
  EXPECT_EQ(config["FlowMax LVP"], "sha256:df0b2db68155e253b52bd6ba5ff3b2bd9414e24b93833cb585b69456d4bc9cd4");
  EXPECT_EQ(config["PCA Guardian"], "sha256:c546f0cf44ec70452453e99d5213efe3a78056fa175d647b97c8de54e231ce4e");
  EXPECT_EQ(DrugLibraryDigest(*FindDrugLibrary(site, "adult-icu")),
            "sha256:73faa915f087ca9865828515d158c2128db338f4a217df606d0c2472c70a4ddb");
}

// ---- options ----

TEST(SimSourceTest, RejectsOutOfRangeOptions) {
  SimOptions no_pumps = Pumps(0);
  EXPECT_EQ(SimSource::Create(no_pumps).status().code(), absl::StatusCode::kInvalidArgument);
  SimOptions too_many = Pumps(kMaxPumps + 1);
  EXPECT_EQ(SimSource::Create(too_many).status().code(), absl::StatusCode::kInvalidArgument);
  SimOptions bad_prefix = Pumps(1);
  bad_prefix.prefix = "P T";
  EXPECT_EQ(SimSource::Create(bad_prefix).status().code(), absl::StatusCode::kInvalidArgument);
  bad_prefix.prefix = "";
  EXPECT_EQ(SimSource::Create(bad_prefix).status().code(), absl::StatusCode::kInvalidArgument);
  SimOptions bad_rate = Pumps(1);
  bad_rate.exit_zone_probability = 1.5;
  EXPECT_EQ(SimSource::Create(bad_rate).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- identity ----

TEST(SimSourceTest, AssetTagsArePrefixDashFiveDigitIndexFromOne) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(3));
  std::vector<Observation> round = Round(*source, 0);
  ASSERT_EQ(round.size(), 3u);
  EXPECT_EQ(round[0].identity().asset_tag(), "PT-00001");
  EXPECT_EQ(round[1].identity().asset_tag(), "PT-00002");
  EXPECT_EQ(round[2].identity().asset_tag(), "PT-00003");
  EXPECT_EQ(source->AssetTag(123456), "PT-123456");

  SimOptions custom = Pumps(1);
  custom.prefix = "GEN.north_2";
  EXPECT_EQ(Round(*MakeSource(custom), 0)[0].identity().asset_tag(), "GEN.north_2-00001");
}

TEST(SimSourceTest, SameSeedGivesIdenticalRounds) {
  std::unique_ptr<SimSource> a = MakeSource(Pumps(300));
  std::unique_ptr<SimSource> b = MakeSource(Pumps(300));
  for (int round_number = 0; round_number < 30; ++round_number) {
    std::vector<Observation> from_a = Round(*a, round_number);
    std::vector<Observation> from_b = Round(*b, round_number);
    ASSERT_EQ(from_a.size(), from_b.size());
    for (size_t i = 0; i < from_a.size(); ++i) {
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_a[i], from_b[i]))
          << "round " << round_number << " pump " << i << "\n"
          << from_a[i].DebugString() << "\nvs\n"
          << from_b[i].DebugString();
    }
  }
}

TEST(SimSourceTest, AnotherSeedGivesAnotherFleetWithTheSameTags) {
  SimOptions other = Pumps(300);
  other.seed = kDefaultSeed + 1;
  std::vector<Observation> first = Round(*MakeSource(Pumps(300)), 0);
  std::vector<Observation> second = Round(*MakeSource(other), 0);
  int differing = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].identity().asset_tag(), second[i].identity().asset_tag());
    if (!google::protobuf::util::MessageDifferencer::Equals(first[i], second[i])) ++differing;
  }
  EXPECT_GT(differing, 250);
}

TEST(SimSourceTest, IdentityIsStableAcrossRounds) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(200));
  std::vector<Observation> first = Round(*source, 0);
  for (int round_number = 1; round_number < 20; ++round_number) {
    std::vector<Observation> later = Round(*source, round_number);
    for (size_t i = 0; i < first.size(); ++i) {
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first[i].identity(), later[i].identity()));
      ASSERT_EQ(first[i].physical().seal_id(), later[i].physical().seal_id());
    }
  }
}

TEST(SimSourceTest, SerialsAreUniqueAcrossALargeFleet) {
  std::vector<Observation> round = Round(*MakeSource(Pumps(100'000)), 0);
  std::set<std::string> serials;
  for (const Observation& observation : round) serials.insert(observation.identity().serial_number());
  EXPECT_EQ(serials.size(), round.size());
}

TEST(SimSourceTest, FleetUsesEveryModelWithItsFirmwareAndConfiguration) {
  std::map<std::string, int> per_model;
  for (const Observation& observation : Round(*MakeSource(Pumps(2000)), 0)) {
    ++per_model[observation.identity().model()];
    const PumpModel* model = nullptr;
    for (const PumpModel& candidate : ExampleGeneral().models) {
      if (candidate.model == observation.identity().model()) model = &candidate;
    }
    ASSERT_NE(model, nullptr) << observation.identity().model();
    EXPECT_EQ(observation.identity().manufacturer(), model->manufacturer);
    EXPECT_EQ(observation.firmware_version(), model->firmware);
    ASSERT_EQ(observation.components_size(), 2);
    EXPECT_EQ(observation.components(0).kind(), "wifi-module");
    EXPECT_EQ(observation.components(0).model(), std::string(model->serial_prefix) + "-WLAN");
    EXPECT_EQ(observation.components(0).firmware_version(), "4.2.1");
    EXPECT_EQ(observation.components(1).kind(), "battery-module");
    EXPECT_EQ(observation.configuration().digest(), ConfigurationDigest(*model));
    EXPECT_EQ(observation.configuration().settings_size(), static_cast<int>(model->settings.size()));
    EXPECT_EQ(observation.configuration().settings().at("wifi.eap"), "tls");
    EXPECT_EQ(observation.identity().serial_number().rfind(std::string(model->serial_prefix) + "-", 0), 0u);
  }
  ASSERT_EQ(per_model.size(), 3u);
  EXPECT_NEAR(per_model["Infusia 500"], 1100, 150);
  EXPECT_NEAR(per_model["FlowMax LVP"], 600, 120);
  EXPECT_NEAR(per_model["PCA Guardian"], 300, 90);
}

TEST(SimSourceTest, SecurityPostureAndSealAreHealthyByDefault) {
  for (const Observation& observation : Round(*MakeSource(Pumps(500)), 0)) {
    const pumptrack::v1::SecurityPosture& security = observation.security();
    EXPECT_FALSE(security.default_credentials());
    EXPECT_FALSE(security.remote_access_enabled());
    EXPECT_GE(security.wifi_security(), pumptrack::v1::WIFI_SECURITY_WPA2_ENTERPRISE);
    for (const pumptrack::v1::OpenService& service : security.open_services()) {
      EXPECT_NE(service.kind(), pumptrack::v1::SERVICE_KIND_TELNET);
    }
    const absl::Time changed = absl::FromUnixSeconds(security.credentials_changed_at().seconds());
    EXPECT_LE(changed, kStart - absl::Hours(24 * 7));
    EXPECT_GE(changed, kStart - absl::Hours(24 * 90));
    EXPECT_LE(std::abs(security.clock_offset().seconds()), 2);
    EXPECT_EQ(observation.physical().seal_state(), pumptrack::v1::SEAL_STATE_INTACT);
    EXPECT_NE(observation.physical().case_state(), pumptrack::v1::CASE_STATE_OPENED);
    EXPECT_THAT(observation.physical().seal_id(), ::testing::StartsWith("SL-"));
  }
}

// ---- every observation within the proto's limits ----

TEST(SimSourceTest, EveryObservationSatisfiesTheProtoLimits) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(500));
  Sequencer sequencer(Sequencer::BaseForStart(kStart));
  for (int round_number = 0; round_number < 60; ++round_number) {
    std::vector<Observation> round = Round(*source, round_number);
    for (const Observation& observation : round) ASSERT_EQ(observation.sequence(), 0u) << "sources leave it unset";
    sequencer.Assign(round);
    for (const Observation& observation : round) {
      ASSERT_THAT(testing::ObservationProblems(observation, kStart + absl::Seconds(30) * round_number), IsEmpty())
          << observation.DebugString();
      EXPECT_EQ(absl::FromUnixSeconds(observation.observed_at().seconds()), kStart + absl::Seconds(30) * round_number);
    }
  }
}

// ---- movement ----

struct Place {
  std::string unit;
  std::string room;
  bool operator==(const Place&) const = default;
};

TEST(SimSourceTest, MovementStaysWithinTheSiteAndAvoidsTheExitZone) {
  const Site& site = ExampleGeneral();
  std::unique_ptr<SimSource> source = MakeSource(Pumps(1000));
  std::vector<Place> first;
  std::vector<Place> previous;
  int room_moves = 0;
  int unit_moves = 0;
  int returns_home = 0;
  for (int round_number = 0; round_number < 300; ++round_number) {
    std::vector<Observation> round = Round(*source, round_number);
    std::vector<Place> now;
    for (const Observation& observation : round) {
      const pumptrack::v1::Location& location = observation.location();
      const Unit* unit = FindUnit(site, location.unit());
      ASSERT_NE(unit, nullptr) << location.unit();
      EXPECT_EQ(location.facility(), "general");
      EXPECT_EQ(location.building(), unit->building);
      EXPECT_EQ(location.floor(), unit->floor);
      ASSERT_NE(std::find(unit->rooms.begin(), unit->rooms.end(), location.room()), unit->rooms.end())
          << location.room() << " is not a room of " << unit->id;
      EXPECT_NE(location.room(), "dock-exit");
      now.push_back({location.unit(), location.room()});
    }
    if (!previous.empty()) {
      for (size_t i = 0; i < now.size(); ++i) {
        if (now[i].unit != previous[i].unit) {
          ++unit_moves;
          if (now[i].unit == first[i].unit) ++returns_home;
        } else if (now[i].room != previous[i].room) {
          ++room_moves;
        }
      }
    } else {
      first = now;
    }
    previous = std::move(now);
  }
  // 1000 pumps × 300 rounds: ~1% room moves per round, ~0.07% leave home, ~2% of those away return per round.
  EXPECT_GT(room_moves, 1000);
  EXPECT_GT(unit_moves, 50);
  EXPECT_GT(returns_home, 20);
  int away = 0;
  for (size_t i = 0; i < previous.size(); ++i) away += previous[i].unit != first[i].unit;
  EXPECT_LT(away, 100) << "most pumps stay in (or drift back to) their home unit";
}

TEST(SimSourceTest, PumpsCarryTheirHomeCareAreasLibrary) {
  // In the first round nearly every pump is at home, so the library must match the unit's care area.
  const Site& site = ExampleGeneral();
  int matching = 0;
  std::vector<Observation> round = Round(*MakeSource(Pumps(1000)), 0);
  for (const Observation& observation : round) {
    const DrugLibraryRelease* library = FindDrugLibrary(site, FindUnit(site, observation.location().unit())->care_area);
    if (library == nullptr) continue;
    if (observation.drug_library().name() == library->name) {
      ++matching;
      EXPECT_EQ(observation.drug_library().version(), library->version);
      EXPECT_EQ(observation.drug_library().digest(), DrugLibraryDigest(*library));
      EXPECT_EQ(absl::FromUnixSeconds(observation.drug_library().published_at().seconds()),
                absl::FromCivil(library->published_on, absl::UTCTimeZone()));
    }
  }
  EXPECT_GE(matching, 990);
}

TEST(SimSourceTest, ExitZoneIsReachedOnlyWhenEnabled) {
  SimOptions options = Pumps(1000);
  options.exit_zone_probability = 0.01;
  std::unique_ptr<SimSource> source = MakeSource(options);
  int at_exit = 0;
  for (int round_number = 0; round_number < 10; ++round_number) {
    for (const Observation& observation : Round(*source, round_number)) {
      if (observation.location().room() != "dock-exit") continue;
      ++at_exit;
      EXPECT_EQ(observation.location().unit(), "biomed");
      EXPECT_EQ(observation.location().building(), "south");
    }
  }
  EXPECT_GT(at_exit, 20);
}

TEST(SimSourceTest, StateSourceAndBatteryVaryRealistically) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(1000));
  std::set<pumptrack::v1::OperatingState> states;
  std::set<pumptrack::v1::LocationSource> sources;
  std::set<pumptrack::v1::PowerSource> powers;
  for (int round_number = 0; round_number < 100; ++round_number) {
    for (const Observation& observation : Round(*source, round_number)) {
      states.insert(observation.operating_state());
      powers.insert(observation.physical().power_source());
      const pumptrack::v1::Location& location = observation.location();
      sources.insert(location.source());
      switch (location.source()) {
        case pumptrack::v1::LOCATION_SOURCE_RTLS:
          EXPECT_GE(location.confidence(), 0.9f);
          break;
        case pumptrack::v1::LOCATION_SOURCE_WIFI_AP:
          EXPECT_GE(location.confidence(), 0.6f);
          EXPECT_LE(location.confidence(), 0.8f);
          break;
        default:
          EXPECT_EQ(location.confidence(), 1.0f);
          break;
      }
    }
  }
  EXPECT_EQ(states.size(), 4u);
  EXPECT_EQ(powers.size(), 2u);
  EXPECT_TRUE(sources.count(pumptrack::v1::LOCATION_SOURCE_RTLS));
  EXPECT_TRUE(sources.count(pumptrack::v1::LOCATION_SOURCE_WIFI_AP));
  EXPECT_TRUE(sources.count(pumptrack::v1::LOCATION_SOURCE_MANUAL_SCAN));
}

TEST(SimSourceTest, BatteryWearIsReportedFixedPerPumpAndNeverBelowTheLowestHealth) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(1000));
  std::map<std::string, std::pair<uint32_t, uint32_t>> wear;  // tag -> (health, cycles) of round 0
  std::set<uint32_t> healths;
  for (int round_number = 0; round_number < 3; ++round_number) {
    for (const Observation& observation : Round(*source, round_number)) {
      const pumptrack::v1::Physical& physical = observation.physical();
      ASSERT_TRUE(physical.has_battery_health_percent());
      ASSERT_TRUE(physical.has_battery_cycle_count());
      EXPECT_GE(physical.battery_health_percent(), kLowestBatteryHealthPercent);
      EXPECT_LE(physical.battery_health_percent(), 98u);
      EXPECT_GE(physical.battery_cycle_count(), 50u);
      EXPECT_LT(physical.battery_cycle_count(), 800u);
      healths.insert(physical.battery_health_percent());
      const auto [it, inserted] = wear.try_emplace(observation.identity().asset_tag(),
                                                   physical.battery_health_percent(), physical.battery_cycle_count());
      if (!inserted) {
        EXPECT_EQ(it->second.first, physical.battery_health_percent());
        EXPECT_EQ(it->second.second, physical.battery_cycle_count());
      }
    }
  }
  EXPECT_GE(healths.size(), 15u) << "wear varies across the fleet";
  EXPECT_TRUE(healths.count(kLowestBatteryHealthPercent));
}

// ---- scale ----

TEST(SimSourceTest, RoundOfTenThousandPumps) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(10'000));
  Round(*source, 0);  // warm up allocators
  // CPU time, so that a busy machine does not fail the test; this thread is the only one working.
  const std::clock_t start = std::clock();
  std::vector<Observation> round = Round(*source, 1);
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  EXPECT_EQ(round.size(), 10'000u);
  EXPECT_EQ(round.back().identity().asset_tag(), "PT-10000");
  std::cout << "a round of 10k pumps took " << cpu_ms << " ms of CPU\n";
  EXPECT_LT(cpu_ms, 500.0) << "generous bound; expect 10-30 ms";
}

// ---- sequencer ----

Observation Of(const std::string& tag) {
  Observation observation;
  observation.mutable_identity()->set_asset_tag(tag);
  return observation;
}

TEST(SequencerTest, EachDeviceStartsAtTheBaseAndCountsUpByOne) {
  Sequencer sequencer(1000);
  std::vector<Observation> first = {Of("PT-00001"), Of("PT-00002")};
  sequencer.Assign(first);
  EXPECT_EQ(first[0].sequence(), 1000u);
  EXPECT_EQ(first[1].sequence(), 1000u);
  std::vector<Observation> second = {Of("PT-00002"), Of("PT-00003"), Of("PT-00002")};
  sequencer.Assign(second);
  EXPECT_EQ(second[0].sequence(), 1001u);
  EXPECT_EQ(second[1].sequence(), 1000u);
  EXPECT_EQ(second[2].sequence(), 1002u);
  EXPECT_EQ(sequencer.device_count(), 3u);
}

TEST(SequencerTest, BaseIsAtLeastOne) { EXPECT_EQ(Sequencer(0).base(), 1u); }

TEST(SequencerTest, BaseIsStartTimeInMicrosSoARestartNeverReusesNumbers) {
  EXPECT_EQ(Sequencer::BaseForStart(kStart), static_cast<uint64_t>(absl::ToUnixMicros(kStart)));
  // A run of a year at one round per second stays below the base of an agent restarted a second after it ended.
  const uint64_t last_of_first_run = Sequencer::BaseForStart(kStart) + 365 * 24 * 3600;
  EXPECT_LT(last_of_first_run, Sequencer::BaseForStart(kStart + absl::Hours(24 * 365) + absl::Seconds(1)));
  EXPECT_EQ(Sequencer::BaseForStart(absl::InfinitePast()), 1u);
}

TEST(SequencerTest, SimSequencesIncreaseByOnePerDeviceAcrossRounds) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(200));
  Sequencer sequencer(Sequencer::BaseForStart(kStart));
  std::map<std::string, uint64_t> last;
  for (int round_number = 0; round_number < 10; ++round_number) {
    std::vector<Observation> round = Round(*source, round_number);
    sequencer.Assign(round);
    for (const Observation& observation : round) {
      const std::string& tag = observation.identity().asset_tag();
      if (round_number == 0) {
        EXPECT_EQ(observation.sequence(), sequencer.base());
      } else {
        EXPECT_EQ(observation.sequence(), last[tag] + 1) << tag;
      }
      last[tag] = observation.sequence();
    }
  }
}

TEST(SequencerTest, RestoredDevicesContinueAtLastPlusOneEvenBelowTheBase) {
  Sequencer sequencer(1000);
  sequencer.Restore("PT-00001", 41);
  std::vector<Observation> round = {Of("PT-00001"), Of("PT-00002")};
  sequencer.Assign(round);
  EXPECT_EQ(round[0].sequence(), 42u);
  EXPECT_EQ(round[1].sequence(), 1000u);
}

// ---- --sim_faults ----

TEST(SimFaultsTest, FaultyPumpsAreEvenlySpreadAndCycleThroughTheKinds) {
  EXPECT_EQ(FaultOf(10, 0.0), Fault::kNone);
  EXPECT_EQ(FaultOf(9, 0.1), Fault::kNone);
  EXPECT_EQ(FaultOf(10, 0.1), Fault::kFirmwareNotAllowed);
  EXPECT_EQ(FaultOf(20, 0.1), Fault::kStaleDrugLibrary);
  EXPECT_EQ(FaultOf(30, 0.1), Fault::kDefaultCredentials);
  EXPECT_EQ(FaultOf(40, 0.1), Fault::kTelnetOpen);
  EXPECT_EQ(FaultOf(50, 0.1), Fault::kBrokenSeal);
  EXPECT_EQ(FaultOf(60, 0.1), Fault::kLeftHomeUnit);
  EXPECT_EQ(FaultOf(70, 0.1), Fault::kInExitZone);
  EXPECT_EQ(FaultOf(80, 0.1), Fault::kSilent);
  EXPECT_EQ(FaultOf(90, 0.1), Fault::kFirmwareNotAllowed);
  EXPECT_EQ(FaultOf(1, 1.0), Fault::kFirmwareNotAllowed);
  EXPECT_EQ(FaultOf(8, 1.0), Fault::kSilent);
  for (double fraction : {0.01, 0.05, 0.1, 0.25, 1.0 / 3.0, 1.0}) {
    int faulty = 0;
    for (int64_t i = 1; i <= 3000; ++i) faulty += FaultOf(i, fraction) != Fault::kNone;
    EXPECT_EQ(faulty, static_cast<int>(3000 * FaultPartsPerMillion(fraction) / 1'000'000)) << fraction;
  }
  EXPECT_EQ(FaultName(Fault::kInExitZone), "in_exit_zone");
}

TEST(SimWornBatteryTest, WornPumpsAreEvenlySpreadHalfAPeriodAfterTheFaultsWhichTheyDoNotShift) {
  EXPECT_FALSE(HasWornBattery(5, 0.0));
  EXPECT_FALSE(HasWornBattery(4, 0.1));
  EXPECT_TRUE(HasWornBattery(5, 0.1));
  EXPECT_TRUE(HasWornBattery(15, 0.1));
  EXPECT_FALSE(HasWornBattery(10, 0.1));
  EXPECT_TRUE(HasWornBattery(2, 0.25));
  EXPECT_TRUE(HasWornBattery(6, 0.25));
  EXPECT_TRUE(HasWornBattery(1, 1.0));
  for (double fraction : {0.01, 0.05, 0.1, 0.25, 1.0 / 3.0, 1.0}) {
    int worn = 0;
    for (int64_t i = 1; i <= 3000; ++i) {
      worn += HasWornBattery(i, fraction);
      // The same fraction never puts a fault and a worn battery on one pump (except when every pump is faulty).
      if (fraction < 1.0) {
        EXPECT_FALSE(HasWornBattery(i, fraction) && FaultOf(i, fraction) != Fault::kNone) << i;
      }
    }
    EXPECT_NEAR(worn, 3000 * fraction, 1.0) << fraction;
  }
}

TEST(SimWornBatteryTest, WornPumpsReportLowHealthAndTheFaultsStayWhereTheyWere) {
  SimOptions plain = Pumps(200);
  plain.fault_fraction = 0.1;
  SimOptions worn = plain;
  worn.worn_battery_fraction = 0.1;
  std::unique_ptr<SimSource> a = MakeSource(plain);
  std::unique_ptr<SimSource> b = MakeSource(worn);
  for (int round_number = 0; round_number < 3; ++round_number) {
    const std::vector<Observation> ra = Round(*a, round_number);
    const std::vector<Observation> rb = Round(*b, round_number);
    ASSERT_EQ(ra.size(), rb.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
      const int64_t index = std::stoll(ra[i].identity().asset_tag().substr(3));
      Observation expected = ra[i];
      if (HasWornBattery(index, 0.1)) {
        EXPECT_EQ(rb[i].physical().battery_health_percent(), kWornBatteryHealthPercent);
        EXPECT_EQ(rb[i].physical().battery_cycle_count(), kWornBatteryCycles);
        expected.mutable_physical()->set_battery_health_percent(kWornBatteryHealthPercent);
        expected.mutable_physical()->set_battery_cycle_count(kWornBatteryCycles);
      }
      // Everything else, faults included, is exactly what the fleet without worn batteries reports.
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(rb[i], expected)) << ra[i].identity().asset_tag();
    }
  }
  SimOptions bad = Pumps(10);
  bad.worn_battery_fraction = -0.1;
  EXPECT_EQ(SimSource::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SimSourceTest, ComponentsCarryUniqueSerialNumbersFixedPerPump) {
  std::unique_ptr<SimSource> source = MakeSource(Pumps(500));
  std::set<std::string> serials;
  std::map<std::string, std::string> battery_of;
  for (int round_number = 0; round_number < 2; ++round_number) {
    for (const Observation& observation : Round(*source, round_number)) {
      ASSERT_EQ(observation.components_size(), 2);
      for (const pumptrack::v1::Component& component : observation.components()) {
        ASSERT_FALSE(component.serial_number().empty());
        EXPECT_LE(component.serial_number().size(), 64u);
        if (round_number == 0) {
          EXPECT_TRUE(serials.insert(component.serial_number()).second);
        }
      }
      const auto [it, inserted] =
          battery_of.try_emplace(observation.identity().asset_tag(), observation.components(1).serial_number());
      if (!inserted) {
        EXPECT_EQ(it->second, observation.components(1).serial_number());
      }
    }
  }
  EXPECT_EQ(serials.size(), 1000u);
}

TEST(SimFaultsTest, RejectsAFractionOutsideZeroToOne) {
  SimOptions options = Pumps(10);
  options.fault_fraction = 1.5;
  EXPECT_EQ(SimSource::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SimFaultsTest, EachFaultShowsAndCleanPumpsStayCompliantAndHome) {
  SimOptions options = Pumps(400);
  options.fault_fraction = 0.1;
  std::unique_ptr<SimSource> source = MakeSource(options);
  const Site& site = source->site();
  std::map<Fault, int> seen;
  for (int round_number = 0; round_number < 40; ++round_number) {
    std::vector<Observation> round = Round(*source, round_number);
    std::set<std::string> tags;
    for (const Observation& observation : round) tags.insert(observation.identity().asset_tag());
    for (int64_t index = 1; index <= 400; ++index) {
      const Fault fault = source->FaultOfPump(index);
      EXPECT_EQ(fault, FaultOf(index, 0.1));
      const bool present = tags.count(source->AssetTag(index)) > 0;
      EXPECT_EQ(present, fault != Fault::kSilent || round_number == 0) << index;
    }
    for (const Observation& observation : round) {
      const int64_t index = std::stoll(observation.identity().asset_tag().substr(3));
      const Fault fault = source->FaultOfPump(index);
      ++seen[fault];
      const PumpModel* model = nullptr;
      for (const PumpModel& m : site.models) {
        if (m.model == observation.identity().model()) model = &m;
      }
      ASSERT_NE(model, nullptr);
      const Unit* home = FindUnit(site, source->HomeUnit(index));
      ASSERT_NE(home, nullptr);
      const DrugLibraryRelease* library = FindDrugLibrary(site, home->care_area);
      ASSERT_NE(library, nullptr);
      const bool telnet = std::any_of(
          observation.security().open_services().begin(), observation.security().open_services().end(),
          [](const pumptrack::v1::OpenService& s) { return s.kind() == pumptrack::v1::SERVICE_KIND_TELNET; });

      EXPECT_EQ(observation.firmware_version() == model->blocked_firmware, fault == Fault::kFirmwareNotAllowed);
      EXPECT_EQ(observation.firmware_version() == model->firmware, fault != Fault::kFirmwareNotAllowed);
      EXPECT_EQ(observation.drug_library().version() != library->version, fault == Fault::kStaleDrugLibrary);
      EXPECT_EQ(observation.security().default_credentials(), fault == Fault::kDefaultCredentials);
      EXPECT_EQ(telnet, fault == Fault::kTelnetOpen);
      EXPECT_EQ(observation.physical().seal_state() == pumptrack::v1::SEAL_STATE_BROKEN, fault == Fault::kBrokenSeal);
      const std::string& unit = observation.location().unit();
      if (round_number == 0) {
        EXPECT_EQ(unit, home->id) << observation.identity().asset_tag();  // everyone starts at home
      } else if (fault == Fault::kLeftHomeUnit) {
        EXPECT_NE(unit, home->id);
        EXPECT_TRUE(FindUnit(site, unit)->is_home_unit());
      } else if (fault == Fault::kInExitZone) {
        EXPECT_EQ(unit, "biomed");
        EXPECT_EQ(observation.location().room(), "dock-exit");
      } else {
        EXPECT_EQ(unit, home->id) << observation.identity().asset_tag();  // home unit constant
      }
      EXPECT_TRUE(observation.security().wifi_security() == pumptrack::v1::WIFI_SECURITY_WPA2_ENTERPRISE ||
                  observation.security().wifi_security() == pumptrack::v1::WIFI_SECURITY_WPA3_ENTERPRISE);
    }
  }
  for (int kind = 1; kind <= kFaultKinds; ++kind) EXPECT_GT(seen[static_cast<Fault>(kind)], 0) << kind;
}

}  // namespace
}  // namespace pumptrack::agents::sim
