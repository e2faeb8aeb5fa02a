// Graceful shutdown: calls in flight when Shutdown starts are finished (within the grace period), everything queued is
// committed, and every acknowledged report is durable after a restart on the same data directory.

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::MakeBatch;
using testing_util::Obs;
using testing_util::ServiceTest;
using testing_util::StreamCall;
using testing_util::TagKey;

std::string Tag(int batch, int k) { return absl::StrFormat("PT-%03d-%d", batch, k); }

std::vector<v1::Observation> BatchObservations(int batch) {
  std::vector<v1::Observation> observations;
  for (int k = 0; k < 3; ++k) observations.push_back(Obs(Tag(batch, k)).Seq(batch + 1));
  return observations;
}

class ShutdownTest : public ServiceTest {
 protected:
  // Opens a stream, gets batch 0 acknowledged (so the call is established), then holds the group-commit writer on
  // batch 1's commit. Returns with batch 1 queued-and-committing and the writer held.
  void OpenStreamWithWriterHeld(StreamCall& stream) {
    ASSERT_TRUE(stream.Write(MakeBatch(0, BatchObservations(0), Agent())));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream.Read(&ack));
    ASSERT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
    acked_.insert(ack.batch_id());
    // Batch 1: hold the writer's read of the clock as it commits the batch.
    server().clock().HoldNextWriterRead();
    ASSERT_TRUE(stream.Write(MakeBatch(1, BatchObservations(1))));
    ASSERT_TRUE(server().clock().WaitUntilHeld(absl::Seconds(10)));
  }

  // After a restart: every device of every acknowledged batch is there, at the batch's sequence.
  void ExpectAckedBatchesDurable() {
    for (std::uint64_t batch : acked_) {
      for (int k = 0; k < 3; ++k) {
        v1::Device device;
        grpc::Status status = server().GetDevice(TagKey(Tag(static_cast<int>(batch), k)), &device);
        ASSERT_TRUE(status.ok()) << "acked batch " << batch << " lost: " << status.error_message();
        EXPECT_EQ(device.last_observation().sequence(), batch + 1);
      }
    }
  }

  // Returns once gRPC has begun shutting down: from then on a new call is refused with UNAVAILABLE, while calls
  // already in flight run on (GetDevice does not need the held writer).
  void WaitUntilNewCallsAreRefused() {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      v1::Device device;
      if (server().GetDevice(TagKey("PT-PROBE"), &device).error_code() == grpc::StatusCode::UNAVAILABLE) return;
      absl::SleepFor(absl::Milliseconds(1));
    }
    ADD_FAILURE() << "the server kept accepting new calls for 10 s after Shutdown started";
  }

  std::set<std::uint64_t> acked_;
};

// The agent has sent everything and half-closed; Shutdown starts while batches are still queued behind a busy writer.
// Within the grace period every batch is committed and acknowledged, the stream ends OK, and all of it survives.
TEST_F(ShutdownTest, HalfClosedStreamIsFullyAcknowledgedAndDurable) {
  constexpr int kBatches = 25;
  StreamCall stream(server().agent());
  ASSERT_NO_FATAL_FAILURE(OpenStreamWithWriterHeld(stream));
  for (int b = 2; b < kBatches; ++b) ASSERT_TRUE(stream.Write(MakeBatch(b, BatchObservations(b))));
  ASSERT_TRUE(stream.WritesDone());

  std::thread stopper([this] { server().server().Shutdown(absl::Seconds(10)); });
  WaitUntilNewCallsAreRefused();  // Shutdown is under way with the writer still held
  server().clock().Release();

  for (const v1::ReportBatchAck& ack : stream.ReadAll()) {
    EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED) << ack.batch_id();
    for (const auto& result : ack.results()) EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
    acked_.insert(ack.batch_id());
  }
  grpc::Status status = stream.Finish();
  stopper.join();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(acked_.size(), static_cast<std::size_t>(kBatches));

  ASSERT_TRUE(server().Restart().ok());
  ExpectAckedBatchesDurable();
}

// The agent keeps its stream open: after the grace period the call is cancelled. Whatever was acknowledged before that
// is durable; whatever was queued is committed too (nothing queued is dropped).
TEST_F(ShutdownTest, OpenStreamIsCancelledAfterGraceAndAckedBatchesAreDurable) {
  constexpr int kBatches = 10;
  StreamCall stream(server().agent());
  ASSERT_NO_FATAL_FAILURE(OpenStreamWithWriterHeld(stream));
  const std::int64_t clock_calls = server().clock().calls();
  for (int b = 2; b < kBatches; ++b) ASSERT_TRUE(stream.Write(MakeBatch(b, BatchObservations(b))));
  // The reactor reads the clock once per batch it validates: wait until batches 2..9 are all queued.
  ASSERT_TRUE(server().clock().WaitUntilCalls(clock_calls + (kBatches - 2), absl::Seconds(10)));

  std::thread stopper([this] { server().server().Shutdown(absl::Milliseconds(500)); });
  WaitUntilNewCallsAreRefused();
  server().clock().Release();

  v1::ReportBatchAck ack;
  while (stream.Read(&ack)) {
    EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
    acked_.insert(ack.batch_id());
  }
  grpc::Status status = stream.Finish();
  stopper.join();
  EXPECT_FALSE(status.ok()) << "an open stream cannot end OK when the server shuts down";
  EXPECT_GE(acked_.size(), 1u);

  ASSERT_TRUE(server().Restart().ok());
  ExpectAckedBatchesDurable();
  // Everything that reached the ingest queue was committed at shutdown, acknowledged or not.
  for (int b = 0; b < kBatches; ++b) server().MustGetDevice(Tag(b, 0));
}

// A unary report whose commit is in progress when Shutdown starts completes OK and is durable.
TEST_F(ShutdownTest, InFlightUnaryReportCompletesAndIsDurable) {
  // Hold the writer's read of the clock as it commits the report.
  server().clock().HoldNextWriterRead();
  v1::ReportRequest request;
  *request.mutable_agent() = Agent();
  *request.mutable_observation() = Obs("PT-INFLIGHT").Seq(3);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::ReportResponse response;
  grpc::Status status;
  absl::Notification done;
  server().agent().async()->Report(&context, &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  ASSERT_TRUE(server().clock().WaitUntilHeld(absl::Seconds(10)));

  std::thread stopper([this] { server().server().Shutdown(absl::Seconds(10)); });
  WaitUntilNewCallsAreRefused();
  EXPECT_FALSE(done.HasBeenNotified());
  server().clock().Release();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  stopper.join();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.result(), v1::REPORT_RESULT_ACCEPTED);

  ASSERT_TRUE(server().Restart().ok());
  EXPECT_EQ(server().MustGetDevice("PT-INFLIGHT").last_observation().sequence(), 3u);
}

// After Shutdown the port refuses new calls.
TEST_F(ShutdownTest, NewCallsAfterShutdownAreUnavailable) {
  ASSERT_EQ(server().MustReport(Obs("PT-1")), v1::REPORT_RESULT_ACCEPTED);
  server().server().Shutdown(absl::Milliseconds(100));
  v1::ReportResponse response;
  grpc::Status status = server().Report(Obs("PT-2"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

}  // namespace
}  // namespace pumptrack::service
