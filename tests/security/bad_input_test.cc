// Bad inputs docs/SECURITY.md lists that no other suite covers, through the real server: oversize messages, unknown
// fields and format-string text. Each test checks the gRPC code the table promises and what was (not) stored.

#include <string>
#include <vector>

#include "google/protobuf/unknown_field_set.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::Context;
using testing_util::MakeBatch;
using testing_util::Obs;
using testing_util::ServiceTest;
using testing_util::StreamCall;

constexpr absl::string_view kTag = "PT-00042";

// Devices listed by the service (all pages are not needed: the tests store at most one).
int StoredDevices(testing_util::TestServer& server) {
  v1::ListDevicesResponse response;
  const grpc::Status status = server.ListDevices(v1::ListDevicesRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.devices_size();
}

// An observation whose serialised size is over the default --max_message_bytes (4 MiB).
v1::Observation Oversize() {
  v1::Observation o = Obs(kTag).Seq(1);
  (*o.mutable_configuration()->mutable_settings())["blob"] = std::string(5 << 20, 'x');
  return o;
}

TEST_F(ServiceTest, OversizeReportIsResourceExhaustedAndNothingStored) {
  v1::ReportResponse response;
  const grpc::Status status = server().Report(Oversize(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(StoredDevices(server()), 0);
  // The service is unharmed: a normal report right after is accepted.
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(2)), v1::REPORT_RESULT_ACCEPTED);
}

TEST_F(ServiceTest, OversizeStreamBatchEndsTheStreamResourceExhaustedAndNothingStored) {
  StreamCall stream(server().agent());
  stream.Write(MakeBatch(1, {Oversize()}, Agent()));
  const std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  EXPECT_TRUE(acks.empty());
  const grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(StoredDevices(server()), 0);
}

// proto3 keeps unknown fields when parsing; pumptrack must not store them (they could carry anything, patient data
// included, past validation).
TEST_F(ServiceTest, UnknownFieldsAreAcceptedButNeverStored) {
  v1::ReportRequest request;
  *request.mutable_agent() = Agent();
  *request.mutable_observation() = Obs(kTag).Seq(1);
  v1::Observation& o = *request.mutable_observation();
  o.GetReflection()->MutableUnknownFields(&o)->AddLengthDelimited(4242, "patient: Jane Doe, MRN 123456");
  o.mutable_location()->GetReflection()->MutableUnknownFields(o.mutable_location())->AddVarint(999, 7);
  ASSERT_NE(request.SerializeAsString().find("Jane Doe"), std::string::npos);

  v1::ReportResponse response;
  const grpc::Status status = server().agent().Report(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);

  const v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.last_observation().sequence(), 1u);
  const auto& observation = device.last_observation();
  EXPECT_TRUE(observation.GetReflection()->GetUnknownFields(observation).empty());
  EXPECT_TRUE(observation.location().GetReflection()->GetUnknownFields(observation.location()).empty());
  EXPECT_EQ(device.SerializeAsString().find("Jane Doe"), std::string::npos);
  for (const v1::HistoryEntry& entry : testing_util::GetAllHistory(server(), kTag)) {
    EXPECT_EQ(entry.SerializeAsString().find("Jane Doe"), std::string::npos);
  }
}

// Text that a printf- or fmt-style formatter would interpret is just text: accepted (it is clean UTF-8), stored and
// returned byte for byte, and nothing (logs included) crashes on it.
TEST_F(ServiceTest, FormatStringTextIsStoredVerbatim) {
  const std::string nasty = "%s%s%n%x%p{}{0}{:>99999}";
  v1::Observation o = Obs(kTag).Seq(1);
  o.mutable_identity()->set_model(nasty);
  o.mutable_location()->set_room(nasty);
  o.set_firmware_version("%n%n%n%n");
  EXPECT_EQ(server().MustReport(o), v1::REPORT_RESULT_ACCEPTED);

  const v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.identity().model(), nasty);
  EXPECT_EQ(device.last_observation().location().room(), nasty);
  EXPECT_EQ(device.last_observation().firmware_version(), "%n%n%n%n");
  // An agent id is checked before anything else and a format string is not one.
  v1::ReportResponse response;
  EXPECT_EQ(server().Report(Obs(kTag).Seq(2), &response, Agent("%s%n")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(server().MustGetDevice(kTag).last_observation().sequence(), 1u);
}

}  // namespace
}  // namespace pumptrack::service
