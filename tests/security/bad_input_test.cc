// Bad inputs docs/SECURITY.md lists that no other suite covers, through the real server: oversize messages, unknown
// fields and format-string text. Each test checks the gRPC code the table promises and what was (not) stored.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/unknown_field_set.h"
#include "pumptrack/v1/custody.grpc.pb.h"
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

// An observation and an agent carrying fields this version does not know, one of them holding patient data.
v1::Observation WithUnknownFields(v1::Observation o) {
  o.GetReflection()->MutableUnknownFields(&o)->AddLengthDelimited(4242, "patient: Jane Doe, MRN 123456");
  o.mutable_location()->GetReflection()->MutableUnknownFields(o.mutable_location())->AddVarint(999, 7);
  o.mutable_identity()->GetReflection()->MutableUnknownFields(o.mutable_identity())->AddLengthDelimited(77, "MRN 9");
  return o;
}

v1::AgentInfo WithUnknownFields(v1::AgentInfo agent) {
  agent.GetReflection()->MutableUnknownFields(&agent)->AddLengthDelimited(555, "patient: John Roe");
  return agent;
}

// Nothing of the unknown fields reached the device's stored state or its history.
void ExpectNoUnknownFieldsStored(testing_util::TestServer& server, absl::string_view tag, std::uint64_t sequence) {
  const v1::Device device = server.MustGetDevice(tag);
  EXPECT_EQ(device.last_observation().sequence(), sequence);
  const auto& observation = device.last_observation();
  EXPECT_TRUE(observation.GetReflection()->GetUnknownFields(observation).empty());
  EXPECT_TRUE(observation.location().GetReflection()->GetUnknownFields(observation.location()).empty());
  EXPECT_TRUE(device.identity().GetReflection()->GetUnknownFields(device.identity()).empty());
  EXPECT_TRUE(device.last_agent().GetReflection()->GetUnknownFields(device.last_agent()).empty());
  const std::string stored = device.SerializeAsString();
  for (const char* secret : {"Jane Doe", "MRN", "John Roe"}) {
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret;
    for (const v1::HistoryEntry& entry : testing_util::GetAllHistory(server, tag)) {
      EXPECT_EQ(entry.SerializeAsString().find(secret), std::string::npos) << secret;
    }
  }
}

// proto3 keeps unknown fields when parsing; pumptrack must not store them (they could carry anything, patient data
// included, past validation).
TEST_F(ServiceTest, UnknownFieldsAreAcceptedButNeverStored) {
  v1::ReportRequest request;
  *request.mutable_agent() = WithUnknownFields(Agent());
  *request.mutable_observation() = WithUnknownFields(Obs(kTag).Seq(1));
  ASSERT_NE(request.SerializeAsString().find("Jane Doe"), std::string::npos);
  ASSERT_NE(request.SerializeAsString().find("John Roe"), std::string::npos);

  v1::ReportResponse response;
  const grpc::Status status = server().agent().Report(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);
  ExpectNoUnknownFieldsStored(server(), kTag, 1);
}

TEST_F(ServiceTest, UnknownFieldsInAStreamAreAcceptedButNeverStored) {
  StreamCall stream(server().agent());
  const v1::ReportBatch first = MakeBatch(1, {WithUnknownFields(Obs(kTag).Seq(1)), WithUnknownFields(Obs(kTag).Seq(2))},
                                          WithUnknownFields(Agent()));
  ASSERT_NE(first.SerializeAsString().find("John Roe"), std::string::npos);
  ASSERT_TRUE(stream.Write(first));
  // A later batch may repeat the agent exactly as the first one described it, unknown fields included.
  ASSERT_TRUE(stream.Write(MakeBatch(2, {WithUnknownFields(Obs(kTag).Seq(3))}, WithUnknownFields(Agent()))));
  ASSERT_TRUE(stream.WritesDone());
  const std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  const grpc::Status status = stream.Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(acks.size(), 2u);
  ASSERT_EQ(acks[0].results_size(), 2);
  ASSERT_EQ(acks[1].results_size(), 1);
  for (const v1::ReportBatchAck& ack : acks) {
    for (const v1::ObservationResult& result : ack.results()) EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
  }
  ExpectNoUnknownFieldsStored(server(), kTag, 3);
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

// Custody requests are validated at the edge: each bad field is INVALID_ARGUMENT naming it, and nothing is stored
// (the pump's custody and its chain of custody are unchanged).
TEST_F(ServiceTest, BadCustodyRequestsNameTheFieldAndStoreNothing) {
  ASSERT_EQ(server().MustReport(Obs(kTag).Seq(1)), v1::REPORT_RESULT_ACCEPTED);
  std::unique_ptr<v1::CustodyService::Stub> custody = v1::CustodyService::NewStub(server().channel());
  v1::CheckOutRequest valid;
  valid.set_asset_tag(std::string(kTag));
  valid.set_destination_unit("icu-1");
  valid.set_reason("ICU surge");
  valid.mutable_due_in()->set_seconds(3600);

  struct Case {
    std::string name;
    std::function<void(v1::CheckOutRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"bad tag", [](v1::CheckOutRequest& r) { r.set_asset_tag("PT 1;drop"); }, "asset_tag"},
      {"no unit", [](v1::CheckOutRequest& r) { r.clear_destination_unit(); }, "destination_unit"},
      {"long unit", [](v1::CheckOutRequest& r) { r.set_destination_unit(std::string(65, 'u')); }, "destination_unit"},
      {"no reason", [](v1::CheckOutRequest& r) { r.clear_reason(); }, "reason"},
      {"control characters", [](v1::CheckOutRequest& r) { r.set_reason("ICU\x1b[2Jsurge"); }, "reason"},
      {"huge reason", [](v1::CheckOutRequest& r) { r.set_reason(std::string(1025, 'r')); }, "reason"},
      {"no due", [](v1::CheckOutRequest& r) { r.clear_due_in(); }, "due_in"},
      {"negative due", [](v1::CheckOutRequest& r) { r.mutable_due_in()->set_seconds(-60); }, "due_in"},
      {"due in a year", [](v1::CheckOutRequest& r) { r.mutable_due_in()->set_seconds(365 * 86400); }, "due_in"},
      {"malformed due", [](v1::CheckOutRequest& r) { r.mutable_due_in()->set_nanos(-5); }, "due_in"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CheckOutRequest request = valid;
    c.spoil(request);
    grpc::ClientContext context;
    v1::CustodyResult result;
    const grpc::Status status = custody->CheckOut(&context, request, &result);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), c.field + ":")) << status.error_message();
  }
  v1::CheckInRequest check_in;
  check_in.set_asset_tag(std::string(kTag));
  check_in.set_unit("icu-1");
  grpc::ClientContext context;
  v1::CustodyResult result;
  const grpc::Status no_seal = custody->CheckIn(&context, check_in, &result);
  EXPECT_EQ(no_seal.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(no_seal.error_message(), "observed_seal_id:")) << no_seal.error_message();
  v1::FindAvailableRequest find;
  find.set_near_unit("icu-1");
  find.set_count(101);
  grpc::ClientContext find_context;
  v1::FindAvailableResponse found;
  EXPECT_EQ(custody->FindAvailable(&find_context, find, &found).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.custody().state(), v1::CUSTODY_STATE_AVAILABLE);
  EXPECT_EQ(device.custody().events(), 0u);
  v1::GetCustodyHistoryRequest history_request;
  history_request.set_asset_tag(std::string(kTag));
  grpc::ClientContext history_context;
  v1::GetCustodyHistoryResponse history;
  ASSERT_TRUE(custody->GetCustodyHistory(&history_context, history_request, &history).ok());
  EXPECT_EQ(history.events_size(), 0);
  // The same request, valid, goes through.
  grpc::ClientContext ok_context;
  const grpc::Status ok = custody->CheckOut(&ok_context, valid, &result);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

}  // namespace
}  // namespace pumptrack::service
