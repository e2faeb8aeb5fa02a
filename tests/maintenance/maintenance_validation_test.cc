// The edge validation of a maintenance record (service/maintenance_handlers.h): the component serial, as the other
// fields, is refused naming the field (and the record's position in an import) before anything reaches the runtime.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/maintenance_handlers.h"

namespace pumptrack::service {
namespace {

using ::testing::HasSubstr;

v1::RecordMaintenanceRequest Request(const std::string& component_serial) {
  v1::RecordMaintenanceRequest request;
  request.set_asset_tag("PT-00042");
  request.set_kind(v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT);
  request.mutable_performed_at()->set_seconds(1'800'000'000);
  request.set_component_serial(component_serial);
  return request;
}

TEST(MaintenanceValidationTest, AComponentSerialIsCarriedToTheWork) {
  absl::StatusOr<engine::MaintenanceWork> work = ValidateMaintenanceWork(Request("AM5-B00112648"));
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_EQ(work->component_serial, "AM5-B00112648");
  work = ValidateMaintenanceWork(Request(""));
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_EQ(work->component_serial, "");  // the pump itself
}

TEST(MaintenanceValidationTest, ATooLongOrUnprintableComponentSerialIsRefusedNamingTheField) {
  absl::StatusOr<engine::MaintenanceWork> work = ValidateMaintenanceWork(Request(std::string(65, 'B')));
  EXPECT_EQ(work.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(work.status().message()), HasSubstr("component_serial: at most 64 bytes"));
  EXPECT_TRUE(ValidateMaintenanceWork(Request(std::string(64, 'B'))).ok());
  work = ValidateMaintenanceWork(Request("B-1\nB-2"), "records[3].");
  EXPECT_EQ(work.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(work.status().message()), HasSubstr("records[3].component_serial: must be printable text"));
}

}  // namespace
}  // namespace pumptrack::service
