// NeedsCarryOver decides when the writer may take a new observation as it came instead of copying it and carrying
// the unobserved parts over (storage/device_store.cc, Advance). Its answer must never be "no" where
// CarryOverUnobserved would change something: checked here on random pairs of partial observations.
#include "storage/observation_merge.h"

#include <cstdint>
#include <random>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::util::MessageDifferencer;

// Each part of an observation present, absent or varied at random, with few distinct values so that equal and
// default parts come up often.
class RandomObservations {
 public:
  explicit RandomObservations(std::uint32_t seed) : random_(seed) {}

  v1::Observation Next() {
    v1::Observation o;
    o.mutable_identity()->set_asset_tag("PUMP-1");
    o.mutable_identity()->set_serial_number("SN-1");
    o.mutable_identity()->set_manufacturer(Pick({"", "Acme"}));
    o.mutable_identity()->set_model(Pick({"", "M1", "M2"}));
    o.set_sequence(Below(100));
    o.mutable_observed_at()->set_seconds(1'800'000'000 + Below(100));
    if (Coin()) {
      v1::Location& location = *o.mutable_location();
      location.set_facility(Pick({"", "MAIN"}));
      location.set_unit(Pick({"", "ICU", "ER"}));
      location.set_room(Pick({"", "101"}));
      location.set_left_known_places(Below(8) == 0);
      location.set_source(v1::LOCATION_SOURCE_WIFI_AP);
    }
    o.set_firmware_version(Pick({"", "1.0", "2.0"}));
    if (Coin()) {
      o.mutable_drug_library()->set_name(Pick({"", "Adult"}));
      o.mutable_drug_library()->set_version(Pick({"", "7"}));
    }
    if (Coin()) {
      o.mutable_configuration()->set_digest(Pick({"", "sha256:aa"}));
      if (Coin()) (*o.mutable_configuration()->mutable_settings())["telnet"] = Pick({"on", "off"});
    }
    if (Coin()) {
      o.mutable_security()->set_default_credentials(Coin());
      if (Coin()) o.mutable_security()->add_open_services()->set_port(23);
    }
    if (Coin()) {
      v1::Physical& physical = *o.mutable_physical();
      physical.set_seal_id(Pick({"", "S1"}));
      if (Coin()) physical.set_seal_state(v1::SEAL_STATE_INTACT);
      if (Coin()) physical.set_case_state(v1::CASE_STATE_CLOSED);
      if (Coin()) physical.set_battery_percent(Below(101));
      if (Coin()) physical.set_battery_health_percent(Below(101));
      if (Coin()) physical.set_battery_cycle_count(Below(2000));
      if (Coin()) physical.set_power_source(v1::POWER_SOURCE_BATTERY);
    }
    if (Coin()) o.set_operating_state(Coin() ? v1::OPERATING_STATE_INFUSING : v1::OPERATING_STATE_IDLE);
    if (Coin()) {
      v1::Component& component = *o.add_components();
      component.set_kind("wifi-module");
      component.set_model(Pick({"", "WiFi-9"}));
      component.set_firmware_version(Pick({"", "3.1"}));
    }
    return o;
  }

 private:
  bool Coin() { return Below(2) == 0; }
  std::uint32_t Below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(random_); }
  template <std::size_t N>
  std::string Pick(const char* const (&choices)[N]) {
    return choices[Below(N)];
  }

  std::mt19937 random_;
};

TEST(NeedsCarryOverTest, NoMeansCarryingOverChangesNothing) {
  RandomObservations random(20261207);
  int taken_as_is = 0;
  int carried = 0;
  for (int i = 0; i < 50'000; ++i) {
    const v1::Observation known = random.Next();
    const v1::Observation next = random.Next();
    const bool new_pump = i % 10 == 0;
    const v1::Observation* known_or_none = new_pump ? nullptr : &known;
    v1::Observation merged = next;
    CarryOverUnobserved(known_or_none, merged);
    if (NeedsCarryOver(known_or_none, next)) {
      ++carried;
      continue;
    }
    ++taken_as_is;
    ASSERT_TRUE(MessageDifferencer::Equals(merged, next))
        << "NeedsCarryOver said no, but carrying over changed the observation.\nknown: "
        << (new_pump ? "none" : known.ShortDebugString()) << "\nnext: " << next.ShortDebugString()
        << "\nmerged: " << merged.ShortDebugString();
  }
  // Both answers came up often enough for the check above to mean something.
  EXPECT_GT(taken_as_is, 1'000);
  EXPECT_GT(carried, 1'000);
}

v1::Observation FullReport() {
  v1::Observation o;
  o.mutable_identity()->set_asset_tag("PUMP-1");
  o.mutable_identity()->set_manufacturer("Acme");
  o.mutable_identity()->set_model("M1");
  o.mutable_location()->set_facility("MAIN");
  o.mutable_location()->set_unit("ICU");
  o.set_firmware_version("2.0");
  o.mutable_drug_library()->set_name("Adult");
  o.mutable_configuration()->set_digest("sha256:aa");
  o.mutable_security()->set_default_credentials(false);
  o.mutable_physical()->set_seal_id("S1");
  o.mutable_physical()->set_seal_state(v1::SEAL_STATE_INTACT);
  o.mutable_physical()->set_case_state(v1::CASE_STATE_CLOSED);
  o.mutable_physical()->set_battery_percent(80);
  o.mutable_physical()->set_power_source(v1::POWER_SOURCE_MAINS);
  o.set_operating_state(v1::OPERATING_STATE_IDLE);
  o.add_components()->set_model("WiFi-9");
  return o;
}

TEST(NeedsCarryOverTest, AFullReportIsTakenAsItCame) {
  const v1::Observation known = FullReport();
  EXPECT_FALSE(NeedsCarryOver(&known, FullReport()));
  EXPECT_FALSE(NeedsCarryOver(nullptr, FullReport()));
}

TEST(NeedsCarryOverTest, EachPartLeftOutIsCarriedOver) {
  const v1::Observation known = FullReport();
  const auto without = [](auto remove) {
    v1::Observation o = FullReport();
    remove(o);
    return o;
  };
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_location(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.set_firmware_version(""); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_drug_library(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_configuration(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_security(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_physical(); })));
  EXPECT_TRUE(
      NeedsCarryOver(&known, without([](v1::Observation& o) { o.mutable_physical()->clear_battery_percent(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) {
    o.mutable_physical()->clear_seal_id();
    o.mutable_physical()->clear_seal_state();
  })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_operating_state(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.clear_components(); })));
  EXPECT_TRUE(NeedsCarryOver(&known, without([](v1::Observation& o) { o.mutable_identity()->clear_model(); })));
}

}  // namespace
}  // namespace pumptrack::storage
