// Unary Report semantics, overload, restart, health, metrics and start-up errors, against the real server.

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::Context;
using testing_util::FromTimestamp;
using testing_util::MakeBatch;
using testing_util::MetricValue;
using testing_util::Obs;
using testing_util::SerialKey;
using testing_util::ServiceTest;
using testing_util::StreamCall;
using testing_util::TagKey;
using testing_util::TestServer;

constexpr absl::string_view kTag = "PT-00042";

// --- Sequence semantics -------------------------------------------------------------------------------------------

TEST_F(ServiceTest, ReportAcceptedThenSameSequenceIsDuplicate) {
  const v1::Observation o = Obs(kTag).Seq(5);
  EXPECT_EQ(server().MustReport(o), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(o), v1::REPORT_RESULT_DUPLICATE);

  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.accepted_reports(), 1u);
  EXPECT_EQ(device.last_observation().sequence(), 5u);
}

// Issue #14: one report with sequence 2^64-1 must not make every later report from that agent a duplicate. It is
// refused at the edge, nothing of it is stored, and the agent's next ordinary sequence is accepted.
TEST_F(ServiceTest, ReportSequenceBeyond2To53IsRejectedAndDoesNotFreezeTheDevice) {
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(5).Room("512")), v1::REPORT_RESULT_ACCEPTED);
  v1::ReportRequest request;
  *request.mutable_agent() = testing_util::Agent();
  *request.mutable_observation() = Obs(kTag).Seq(std::numeric_limits<std::uint64_t>::max()).Room("999");
  v1::ReportResponse response;
  grpc::Status status = server().agent().Report(testing_util::Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "observation.sequence: ")) << status.error_message();

  // Exactly 2^53 is still accepted; the next ordinary report after the refused one is not a duplicate.
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(6).Room("513")), v1::REPORT_RESULT_ACCEPTED);
  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.last_observation().sequence(), 6u);
  EXPECT_EQ(device.last_observation().location().room(), "513");
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(std::uint64_t{1} << 53)), v1::REPORT_RESULT_ACCEPTED);
}

TEST_F(ServiceTest, ReportLowerSequenceIsDuplicateAndDoesNotRegressState) {
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(10).Room("512").Firmware("12.1.3")), v1::REPORT_RESULT_ACCEPTED);
  // An older, delayed observation showing another room and firmware must not overwrite the newer state.
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(9).Room("101").Firmware("11.0.0")), v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).Room("102")), v1::REPORT_RESULT_DUPLICATE);

  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.last_observation().sequence(), 10u);
  EXPECT_EQ(device.last_observation().location().room(), "512");
  EXPECT_EQ(device.last_observation().firmware_version(), "12.1.3");
  EXPECT_EQ(device.accepted_reports(), 1u);
}

TEST_F(ServiceTest, ReportHigherSequenceIsAcceptedAndUpdatesState) {
  const absl::Time t0 = BaseTime();
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).At(t0)), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).At(t0)), v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(2).At(t0 + absl::Seconds(30)).Room("513").Battery(55)),
            v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(7).At(t0 + absl::Seconds(40)).Room("513").Battery(50)),
            v1::REPORT_RESULT_ACCEPTED);  // gaps (dropped observations) are fine

  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.accepted_reports(), 3u);
  EXPECT_EQ(device.last_observation().sequence(), 7u);
  EXPECT_EQ(device.last_observation().location().room(), "513");
  EXPECT_EQ(device.last_observation().physical().battery_percent(), 50u);
  EXPECT_EQ(device.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(device.identity().serial_number(), "SN-PT-00042");
}

TEST_F(ServiceTest, ReportRecordsServiceClockForFirstAndLastSeen) {
  const absl::Time first = BaseTime() + absl::Minutes(1);
  server().clock().Set(first);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1)), v1::REPORT_RESULT_ACCEPTED);
  server().clock().Set(first + absl::Hours(2));
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(2).At(BaseTime() + absl::Hours(2))), v1::REPORT_RESULT_ACCEPTED);

  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(FromTimestamp(device.first_seen_at()), first);
  EXPECT_EQ(FromTimestamp(device.last_seen_at()), first + absl::Hours(2));
}

// Another agent's older observation is superseded (DUPLICATE); its newer one is accepted whatever its sequence.
TEST_F(ServiceTest, ReportFromAnotherAgentIsOrderedByObservedAt) {
  const absl::Time t0 = BaseTime();
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(50).At(t0).Room("512"), Agent("gw-a")), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).At(t0 - absl::Minutes(1)).Room("999"), Agent("gw-b")),
            v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ(server().MustGetDevice(kTag).last_observation().location().room(), "512");
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).At(t0 + absl::Minutes(1)).Room("600"), Agent("gw-b")),
            v1::REPORT_RESULT_ACCEPTED);
  v1::Device device = server().MustGetDevice(kTag);
  EXPECT_EQ(device.last_observation().location().room(), "600");
  EXPECT_EQ(device.last_agent().agent_id(), "gw-b");
}

// --- Overload -----------------------------------------------------------------------------------------------------

class ZeroCapacityTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override { return {.ingest_queue_capacity = 0}; }
};

// With no queue room at all every report is refused up front: deterministic RESOURCE_EXHAUSTED / OVERLOADED.
TEST_F(ZeroCapacityTest, EveryReportIsRefusedAndNothingStored) {
  v1::ReportResponse response;
  grpc::Status status = server().Report(Obs(kTag).Seq(1), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "queue is full")) << status.error_message();

  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1"), Obs("PT-2")}, Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.batch_id(), 1u);
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_OVERLOADED);
  EXPECT_EQ(ack.results_size(), 0);
  EXPECT_FALSE(ack.message().empty());
  ASSERT_TRUE(stream.WritesDone());
  EXPECT_TRUE(stream.Finish().ok());

  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey(kTag), &device).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server().GetDevice(TagKey("PT-1"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

class TinyQueueTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override { return {.ingest_queue_capacity = 1, .metrics = true}; }

  std::optional<double> QueueDepth() {
    absl::StatusOr<std::string> metrics = server().Metrics();
    if (!metrics.ok()) return std::nullopt;
    return MetricValue(*metrics, "pumptrack_ingest_queue_observations");
  }
};

// Capacity 1 and a busy writer: the group-commit writer is held inside its commit (it reads the service clock once
// per commit; the test clock's gate holds exactly that call), one report waits in the queue, and the next is refused.
TEST_F(TinyQueueTest, FullQueueRefusesUnaryAndStreamUntilTheWriterDrains) {
  // Report A: hold the writer's read of the clock as it commits A.
  server().clock().HoldNextWriterRead();
  grpc::ClientContext context_a, context_b;
  context_a.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  context_b.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::ReportRequest request_a, request_b;
  *request_a.mutable_agent() = Agent();
  *request_a.mutable_observation() = Obs("PT-A");
  *request_b.mutable_agent() = Agent();
  *request_b.mutable_observation() = Obs("PT-B");
  v1::ReportResponse response_a, response_b;
  grpc::Status status_a, status_b;
  absl::Notification done_a, done_b;
  server().agent().async()->Report(&context_a, &request_a, &response_a, [&](grpc::Status s) {
    status_a = std::move(s);
    done_a.Notify();
  });
  ASSERT_TRUE(server().clock().WaitUntilHeld(absl::Seconds(10))) << "the writer never started committing A";

  // Report B fills the one-observation queue (A was taken off it by the writer).
  server().agent().async()->Report(&context_b, &request_b, &response_b, [&](grpc::Status s) {
    status_b = std::move(s);
    done_b.Notify();
  });
  for (int i = 0; i < 500 && QueueDepth() != 1.0; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(QueueDepth(), 1.0) << "report B never reached the ingest queue";

  // Queue full: unary C is refused...
  v1::ReportResponse response_c;
  grpc::Status status_c = server().Report(Obs("PT-C"), &response_c);
  EXPECT_EQ(status_c.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status_c.error_message();
  // ...and so is a one-observation stream batch, as a batch status (the stream itself goes on).
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-D")}, Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.batch_id(), 1u);
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_OVERLOADED);
  EXPECT_EQ(ack.results_size(), 0);
  EXPECT_FALSE(done_a.HasBeenNotified());

  // Let the writer go: A and B are committed and acknowledged; then there is room again.
  server().clock().Release();
  ASSERT_TRUE(done_a.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(done_b.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(status_a.ok()) << status_a.error_message();
  EXPECT_TRUE(status_b.ok()) << status_b.error_message();
  EXPECT_EQ(response_a.result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(response_b.result(), v1::REPORT_RESULT_ACCEPTED);

  ASSERT_TRUE(stream.Write(MakeBatch(2, {Obs("PT-D")})));
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.batch_id(), 2u);
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
  ASSERT_EQ(ack.results_size(), 1);
  EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  ASSERT_TRUE(stream.WritesDone());
  EXPECT_TRUE(stream.Finish().ok());

  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey("PT-C"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
  server().MustGetDevice("PT-D");

  absl::StatusOr<std::string> metrics = server().Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(MetricValue(*metrics, R"(pumptrack_reports_total{result="rejected_overloaded"})"), 2.0);
}

class CapacityOneTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override { return {.ingest_queue_capacity = 1}; }
};

// A stream batch larger than the whole queue is refused at once, even with an idle writer.
TEST_F(CapacityOneTest, BatchLargerThanCapacityIsOverloaded) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1"), Obs("PT-2")}, Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_OVERLOADED);
  EXPECT_EQ(ack.results_size(), 0);
  ASSERT_TRUE(stream.Write(MakeBatch(2, {Obs("PT-1")})));
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
  ASSERT_TRUE(stream.WritesDone());
  EXPECT_TRUE(stream.Finish().ok());
  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey("PT-2"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

// --- Restart ------------------------------------------------------------------------------------------------------

TEST_F(ServiceTest, RestartKeepsDevicesAndDuplicateDetection) {
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(1).Room("512")), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(2).Room("513").At(BaseTime() + absl::Seconds(30))),
            v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs("PT-00043").Seq(1)), v1::REPORT_RESULT_ACCEPTED);
  const v1::Device before = server().MustGetDevice(kTag);

  ASSERT_TRUE(server().Restart().ok());

  const v1::Device after = server().MustGetDevice(kTag);
  EXPECT_TRUE(MessageDifferencer::Equals(after, before)) << after.DebugString() << "\nvs\n" << before.DebugString();
  v1::Device by_serial;
  ASSERT_TRUE(server().GetDevice(SerialKey("SN-PT-00042"), &by_serial).ok());
  EXPECT_EQ(by_serial.identity().asset_tag(), kTag);
  EXPECT_EQ(server().ListAllTags({}), (std::vector<std::string>{"PT-00042", "PT-00043"}));
  // The sequence survives too: a retry of an acknowledged report is still a duplicate.
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(2)), v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ(server().MustReport(Obs(kTag).Seq(3).At(BaseTime() + absl::Seconds(40))), v1::REPORT_RESULT_ACCEPTED);
}

TEST(ServerStartTest, RefusesSecondServerOnALockedDataDirectory) {
  TestServer first;
  ASSERT_TRUE(first.Start().ok());
  ServerOptions options = first.Options();
  absl::StatusOr<std::unique_ptr<Server>> second = Server::Start(options);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(ServerStartTest, RefusesUnusableOptions) {
  TestServer holder;
  ServerOptions secure = holder.Options();
  secure.insecure = false;
  EXPECT_EQ(Server::Start(secure).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions no_dir = holder.Options();
  no_dir.data_dir.clear();
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(no_dir);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "data_dir")) << server.status();
}

// server.h: Start fails with "INVALID_ARGUMENT for unusable options". With no query thread the WorkerPool never runs a
// task: every inventory call hangs until its deadline, and Shutdown then never returns (gRPC waits for reactors that
// are never finished). Probed by hand; this test only checks Start, so it cannot hang.
TEST(ServerStartTest, RefusesZeroQueryThreads) {
  for (int threads : {0, -1}) {
    TestServer holder;
    ServerOptions options = holder.Options();
    options.worker_threads = threads;
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << "worker_threads=" << threads;
    if (server.ok()) (*server)->Shutdown(absl::Milliseconds(100));  // no call was made, so this returns
  }
}

TEST(ServerStartTest, ShutdownIsIdempotentAndWaitReturns) {
  TestServer holder;
  ASSERT_TRUE(holder.Start().ok());
  holder.server().Shutdown(absl::Milliseconds(100));
  holder.server().Shutdown(absl::Milliseconds(100));
  holder.server().Wait();
}

// --- Health -------------------------------------------------------------------------------------------------------

// No C++ health stub ships with Debian's gRPC (no health.grpc.pb.h), so grpc.health.v1.Health/Check is called through
// a generic stub with wire-compatible well-known types: HealthCheckRequest{string service = 1} is a StringValue and
// HealthCheckResponse{ServingStatus status = 1} an Int32Value (SERVING = 1).
grpc::Status HealthCheck(TestServer& server, const std::string& service, int* serving_status) {
  grpc::TemplatedGenericStub<google::protobuf::StringValue, google::protobuf::Int32Value> stub(server.channel());
  google::protobuf::StringValue request;
  request.set_value(service);
  google::protobuf::Int32Value response;
  absl::Notification done;
  grpc::Status status;
  auto context = Context();
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) return grpc::Status(grpc::DEADLINE_EXCEEDED, "hang");
  *serving_status = response.value();
  return status;
}

TEST_F(ServiceTest, HealthCheckIsServing) {
  int serving_status = -1;
  grpc::Status status = HealthCheck(server(), "", &serving_status);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(serving_status, 1);  // SERVING
  status = HealthCheck(server(), "no.such.Service", &serving_status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

// --- Metrics ------------------------------------------------------------------------------------------------------

class MetricsTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override { return {.metrics = true}; }
};

TEST_F(MetricsTest, ReportsTotalCountsEachOutcome) {
  ASSERT_GT(server().server().metrics_port(), 0);
  EXPECT_EQ(server().MustReport(Obs("PT-1").Seq(1)), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs("PT-1").Seq(2)), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs("PT-2").Seq(1)), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().MustReport(Obs("PT-1").Seq(2)), v1::REPORT_RESULT_DUPLICATE);
  v1::ReportResponse response;
  EXPECT_EQ(server().Report(Obs("PT-3").Seq(0), &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A stream batch: one accepted, one rejected.
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-4"), Obs("PT-5").Battery(101)}, Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  ASSERT_TRUE(stream.WritesDone());
  ASSERT_TRUE(stream.Finish().ok());

  absl::StatusOr<std::string> metrics = server().Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(absl::StrContains(*metrics, R"(pumptrack_reports_total{result="accepted"})")) << *metrics;
  EXPECT_EQ(MetricValue(*metrics, R"(pumptrack_reports_total{result="accepted"})"), 4.0);
  EXPECT_EQ(MetricValue(*metrics, R"(pumptrack_reports_total{result="duplicate"})"), 1.0);
  EXPECT_EQ(MetricValue(*metrics, R"(pumptrack_reports_total{result="rejected_invalid"})"), 2.0);
  EXPECT_EQ(MetricValue(*metrics, R"(pumptrack_reports_total{result="rejected_overloaded"})"), 0.0);
  EXPECT_EQ(MetricValue(*metrics, "pumptrack_ingest_queue_observations"), 0.0);
  EXPECT_EQ(MetricValue(*metrics, "pumptrack_ingest_latency_seconds_count"), 5.0);  // 4 unary + 1 batch
  // The stream gauge drops when the server's side of the call is done, which may be just after the client's Finish.
  std::optional<double> streams;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::string> again = server().Metrics();
    ASSERT_TRUE(again.ok()) << again.status();
    streams = MetricValue(*again, "pumptrack_agent_streams");
    if (streams == 0.0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(streams, 0.0);
}

}  // namespace
}  // namespace pumptrack::service
