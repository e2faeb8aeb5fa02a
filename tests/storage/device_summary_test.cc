// The wire-format summary the finding engine reads at start-up agrees with a full parse of the same record.
#include "storage/device_summary.h"

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"

namespace pumptrack::storage {
namespace {

v1::Device FullDevice() {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-7");
  device.mutable_identity()->set_serial_number("SN-7");
  device.mutable_identity()->set_model("Infusia 500");
  v1::Observation& o = *device.mutable_last_observation();
  for (const char* model : {"AM5-WLAN", "", "AM5-BAT"}) {
    v1::Component* component = o.add_components();
    component->set_kind("battery");
    component->set_model(model);
    component->set_firmware_version("1.0");
    // The battery reports software only: its version is that.
    if (absl::string_view(model) == "AM5-BAT") {
      component->clear_firmware_version();
      component->set_software_version("2.3");
    }
  }
  *o.mutable_identity() = device.identity();
  o.set_sequence(99);
  o.mutable_location()->set_facility("general");
  o.mutable_location()->set_building("north");
  o.mutable_location()->set_unit("icu-1");
  o.mutable_location()->set_room("icu-1-101");
  o.mutable_location()->set_confidence(0.5f);
  o.set_firmware_version("12.1.3");
  (*o.mutable_configuration()->mutable_settings())["wifi.eap"] = "tls";
  o.mutable_physical()->set_seal_id("S-1");
  o.set_operating_state(v1::OPERATING_STATE_INFUSING);
  device.mutable_last_seen_at()->set_seconds(1764936000);
  device.mutable_last_seen_at()->set_nanos(250000000);
  device.set_accepted_reports(12);
  device.set_home_unit("5-west");
  device.set_home_source(v1::HOME_SOURCE_ASSIGNED);
  device.mutable_custody()->set_state(v1::CUSTODY_STATE_IN_TRANSIT);
  device.mutable_custody()->set_holder("tom");
  device.mutable_custody()->set_events(3);
  return device;
}

TEST(DeviceSummaryTest, ReadsTheFieldsTheFleetIndexNeeds) {
  absl::StatusOr<DeviceSummary> summary = ParseDeviceSummary(FullDevice().SerializeAsString());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->facility, "general");
  EXPECT_EQ(summary->unit, "icu-1");
  EXPECT_EQ(summary->operating_state, v1::OPERATING_STATE_INFUSING);
  EXPECT_EQ(summary->last_seen, absl::FromUnixSeconds(1764936000) + absl::Milliseconds(250));
  EXPECT_EQ(summary->custody, v1::CUSTODY_STATE_IN_TRANSIT);
  // What advisories match devices by: the model and firmware, the component models (empty ones left out) and their
  // versions (firmware, else software).
  EXPECT_EQ(summary->model, "Infusia 500");
  EXPECT_EQ(summary->firmware_version, "12.1.3");
  ASSERT_EQ(summary->components.size(), 2u);
  EXPECT_EQ(summary->components[0].model, "AM5-WLAN");
  EXPECT_EQ(summary->components[0].version, "1.0");
  EXPECT_EQ(summary->components[1].model, "AM5-BAT");
  EXPECT_EQ(summary->components[1].version, "2.3");
}

TEST(DeviceSummaryTest, AbsentFieldsKeepTheirDefaults) {
  v1::Device device;
  device.mutable_identity()->set_asset_tag("PT-8");
  absl::StatusOr<DeviceSummary> summary = ParseDeviceSummary(device.SerializeAsString());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->unit, "");
  EXPECT_EQ(summary->operating_state, v1::OPERATING_STATE_UNSPECIFIED);
  EXPECT_EQ(summary->last_seen, absl::InfinitePast());
  EXPECT_EQ(summary->custody, v1::CUSTODY_STATE_UNSPECIFIED);
}

TEST(DeviceSummaryTest, SkipsFieldsItDoesNotKnowAndRefusesBrokenRecords) {
  // A newer version's fields (here: unknown field 999 at each level) are skipped.
  v1::Device device = FullDevice();
  device.GetReflection()->MutableUnknownFields(&device)->AddVarint(999, 1);
  v1::Location& location = *device.mutable_last_observation()->mutable_location();
  location.GetReflection()->MutableUnknownFields(&location)->AddLengthDelimited(998, "x");
  absl::StatusOr<DeviceSummary> summary = ParseDeviceSummary(device.SerializeAsString());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->unit, "icu-1");
  EXPECT_EQ(summary->custody, v1::CUSTODY_STATE_IN_TRANSIT);

  // Every truncation of a record: the summary parses exactly when the full message does (a cut on a field boundary
  // is a valid, shorter message), and then agrees with it.
  const std::string bytes = FullDevice().SerializeAsString();
  int refused = 0;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    v1::Device full;
    const bool full_ok = full.ParseFromString(bytes.substr(0, cut));
    absl::StatusOr<DeviceSummary> partial = ParseDeviceSummary(bytes.substr(0, cut));
    ASSERT_EQ(partial.ok(), full_ok) << "cut at " << cut;
    if (!full_ok) {
      EXPECT_EQ(partial.status().code(), absl::StatusCode::kDataLoss);
      ++refused;
      continue;
    }
    EXPECT_EQ(partial->unit, full.last_observation().location().unit()) << cut;
    EXPECT_EQ(partial->custody, full.custody().state()) << cut;
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace pumptrack::storage
