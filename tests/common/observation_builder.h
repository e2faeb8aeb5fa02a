// One fluent builder for realistic pumptrack.v1.Observation messages, shared by the storage, service, engine and
// custody tests.
#ifndef PUMPTRACK_TESTS_COMMON_OBSERVATION_BUILDER_H_
#define PUMPTRACK_TESTS_COMMON_OBSERVATION_BUILDER_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"
#include "tests/common/test_support.h"

namespace pumptrack::testing_support {

// Fluent builder for one fully populated, valid observation of a pump. Every field has a plausible default (the
// same pump, place and time for every test) so a test only states what it cares about.
class ObservationBuilder {
 public:
  explicit ObservationBuilder(absl::string_view asset_tag) {
    auto* identity = o_.mutable_identity();
    identity->set_asset_tag(std::string(asset_tag));
    identity->set_serial_number(absl::StrCat("SN-", asset_tag));
    identity->set_manufacturer("Acme Medical");
    identity->set_model("Infusia 500");
    *o_.mutable_observed_at() = ToTimestamp(BaseTime());
    o_.set_sequence(1);
    auto* location = o_.mutable_location();
    location->set_facility("general");
    location->set_building("north");
    location->set_floor("5");
    location->set_unit("5-west");
    location->set_room("512");
    location->set_source(v1::LOCATION_SOURCE_RTLS);
    location->set_confidence(0.9f);
    o_.set_firmware_version("12.1.3");
    auto* library = o_.mutable_drug_library();
    library->set_name("adult-icu");
    library->set_version("2026.11.2");
    *library->mutable_published_at() = ToTimestamp(BaseTime() - absl::Hours(24 * 30));
    library->set_digest("sha256:9f2c1e");
    auto* config = o_.mutable_configuration();
    (*config->mutable_settings())["wifi.eap"] = "tls";
    (*config->mutable_settings())["alarm.volume"] = "high";
    config->set_digest("sha256:c0nf1g");
    auto* security = o_.mutable_security();
    security->set_default_credentials(false);
    *security->mutable_credentials_changed_at() = ToTimestamp(BaseTime() - absl::Hours(24 * 90));
    auto* https = security->add_open_services();
    https->set_kind(v1::SERVICE_KIND_HTTPS_ADMIN);
    https->set_port(443);
    security->set_wifi_security(v1::WIFI_SECURITY_WPA2_ENTERPRISE);
    security->set_remote_access_enabled(false);
    security->mutable_clock_offset()->set_seconds(2);
    auto* physical = o_.mutable_physical();
    physical->set_seal_id(absl::StrCat("SEAL-", asset_tag));
    physical->set_seal_state(v1::SEAL_STATE_INTACT);
    physical->set_case_state(v1::CASE_STATE_CLOSED);
    physical->set_battery_percent(87);
    physical->set_power_source(v1::POWER_SOURCE_MAINS);
    o_.set_operating_state(v1::OPERATING_STATE_IDLE);
  }

  ObservationBuilder& Serial(absl::string_view serial) {
    o_.mutable_identity()->set_serial_number(std::string(serial));
    return *this;
  }
  ObservationBuilder& Model(absl::string_view model) {
    o_.mutable_identity()->set_model(std::string(model));
    return *this;
  }
  ObservationBuilder& At(absl::Time observed_at) {
    *o_.mutable_observed_at() = ToTimestamp(observed_at);
    return *this;
  }
  ObservationBuilder& Seq(std::uint64_t sequence) {
    o_.set_sequence(sequence);
    return *this;
  }
  ObservationBuilder& Facility(absl::string_view facility) {
    o_.mutable_location()->set_facility(std::string(facility));
    return *this;
  }
  ObservationBuilder& Building(absl::string_view building) {
    o_.mutable_location()->set_building(std::string(building));
    return *this;
  }
  ObservationBuilder& Floor(absl::string_view floor) {
    o_.mutable_location()->set_floor(std::string(floor));
    return *this;
  }
  ObservationBuilder& Unit(absl::string_view unit) {
    o_.mutable_location()->set_unit(std::string(unit));
    return *this;
  }
  ObservationBuilder& Room(absl::string_view room) {
    o_.mutable_location()->set_room(std::string(room));
    return *this;
  }
  ObservationBuilder& Source(v1::LocationSource source) {
    o_.mutable_location()->set_source(source);
    return *this;
  }
  ObservationBuilder& Confidence(float confidence) {
    o_.mutable_location()->set_confidence(confidence);
    return *this;
  }
  ObservationBuilder& Firmware(absl::string_view version) {
    o_.set_firmware_version(std::string(version));
    return *this;
  }
  ObservationBuilder& DrugLibrary(absl::string_view version, absl::string_view digest) {
    o_.mutable_drug_library()->set_version(std::string(version));
    o_.mutable_drug_library()->set_digest(std::string(digest));
    return *this;
  }
  ObservationBuilder& ConfigDigest(absl::string_view digest) {
    o_.mutable_configuration()->set_digest(std::string(digest));
    return *this;
  }
  ObservationBuilder& Seal(v1::SealState state) {
    o_.mutable_physical()->set_seal_state(state);
    return *this;
  }
  ObservationBuilder& SealId(absl::string_view seal_id) {
    o_.mutable_physical()->set_seal_id(std::string(seal_id));
    return *this;
  }
  ObservationBuilder& Case(v1::CaseState state) {
    o_.mutable_physical()->set_case_state(state);
    return *this;
  }
  ObservationBuilder& DefaultCredentials(bool value) {
    o_.mutable_security()->set_default_credentials(value);
    return *this;
  }
  ObservationBuilder& OpenTelnet() {
    auto* telnet = o_.mutable_security()->add_open_services();
    telnet->set_kind(v1::SERVICE_KIND_TELNET);
    telnet->set_port(23);
    return *this;
  }
  ObservationBuilder& Battery(std::uint32_t percent) {
    o_.mutable_physical()->set_battery_percent(percent);
    return *this;
  }
  ObservationBuilder& BatteryHealth(std::uint32_t percent) {
    o_.mutable_physical()->set_battery_health_percent(percent);
    return *this;
  }
  ObservationBuilder& BatteryCycles(std::uint32_t cycles) {
    o_.mutable_physical()->set_battery_cycle_count(cycles);
    return *this;
  }
  ObservationBuilder& Power(v1::PowerSource source) {
    o_.mutable_physical()->set_power_source(source);
    return *this;
  }
  ObservationBuilder& State(v1::OperatingState state) {
    o_.set_operating_state(state);
    return *this;
  }

  v1::Observation Build() const { return o_; }
  operator v1::Observation() const { return o_; }  // NOLINT(google-explicit-constructor)

 private:
  v1::Observation o_;
};

inline ObservationBuilder Obs(absl::string_view asset_tag) { return ObservationBuilder(asset_tag); }

}  // namespace pumptrack::testing_support

#endif  // PUMPTRACK_TESTS_COMMON_OBSERVATION_BUILDER_H_
