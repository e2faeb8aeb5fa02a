// Issue #20: per-stream flow control of AgentService.ReportStream against the real server. A stream whose read but
// unacknowledged observations reach --max_stream_inflight_observations is not read until acknowledgements catch up;
// it loses and duplicates nothing, and queries are answered meanwhile.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::GetAllHistory;
using testing_util::MakeBatch;
using testing_util::MetricValue;
using testing_util::Obs;
using testing_util::ServiceTest;
using testing_util::StreamCall;
using testing_util::TagKey;
using testing_util::TestServer;

constexpr char kPauses[] = "pumptrack_report_stream_read_pauses_total";

std::string Tag(int i) { return absl::StrFormat("FC-%05d", i); }

// Batch `id` of `size` observations of pumps first..first+size-1, sequence `id` each.
v1::ReportBatch Batch(std::uint64_t id, int first, int size, bool with_agent = false) {
  std::vector<v1::Observation> observations;
  for (int i = first; i < first + size; ++i) observations.push_back(Obs(Tag(i)).Seq(id));
  return MakeBatch(id, observations, with_agent ? std::optional(Agent()) : std::nullopt);
}

double Pauses(TestServer& server) {
  absl::StatusOr<std::string> metrics = server.Metrics();
  EXPECT_TRUE(metrics.ok()) << metrics.status();
  if (!metrics.ok()) return -1;
  return MetricValue(*metrics, kPauses).value_or(-1);
}

// Every pump of `batches` consecutive batches of `size` (batch b holds pumps b*size.., sequence first_id+b) is stored
// once: its last observation is that batch's, and it has exactly one history entry.
void ExpectStoredOnce(TestServer& server, std::uint64_t first_id, int batches, int size) {
  EXPECT_EQ(server.ListAllTags({}).size(), static_cast<std::size_t>(batches * size));
  for (int b = 0; b < batches; ++b) {
    for (int i = b * size; i < (b + 1) * size; ++i) {
      EXPECT_EQ(server.MustGetDevice(Tag(i)).last_observation().sequence(), first_id + b) << Tag(i);
      EXPECT_EQ(GetAllHistory(server, Tag(i)).size(), 1u) << Tag(i);
    }
  }
}

void ExpectAllAccepted(const std::vector<v1::ReportBatchAck>& acks, std::uint64_t first_id, int size) {
  for (std::size_t b = 0; b < acks.size(); ++b) {
    EXPECT_EQ(acks[b].batch_id(), first_id + b);
    EXPECT_EQ(acks[b].status(), v1::BATCH_STATUS_PROCESSED);
    ASSERT_EQ(acks[b].results_size(), size);
    for (const v1::ObservationResult& result : acks[b].results()) {
      EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED) << "batch " << acks[b].batch_id();
    }
  }
}

class FlowControlTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override {
    TestServer::Config config;
    config.metrics = true;
    config.max_stream_inflight_observations = 10;
    return config;
  }
};

// The writer is held on batch 2's commit (it reads the clock once per commit; the reactor reads it twice per batch, to
// authorise the agent and to validate). Batch 3 still fits under the bound of 10 (6 observations unacknowledged) and
// is read; then 12 are unacknowledged and batch 4 is not read (not even validated) until batch 2 and 3 are durable.
// A GetDevice is answered while the stream waits.
TEST_F(FlowControlTest, StreamOverTheBoundIsNotReadUntilAcknowledgedAndQueriesAreAnswered) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(Batch(1, 0, 6, /*with_agent=*/true)));
  v1::ReportBatchAck first;
  ASSERT_TRUE(stream.Read(&first));
  EXPECT_EQ(Pauses(server()), 0);  // 6 unacknowledged, then none: never at the bound

  server().clock().HoldNextWriterRead();
  ASSERT_TRUE(stream.Write(Batch(2, 6, 6)));
  ASSERT_TRUE(server().clock().WaitUntilHeld(absl::Seconds(10)));
  const std::int64_t clock_calls = server().clock().calls();
  ASSERT_TRUE(stream.Write(Batch(3, 12, 6)));
  ASSERT_TRUE(stream.Write(Batch(4, 18, 6)));
  ASSERT_TRUE(stream.WritesDone());
  // Batch 3 is validated (two clock reads); the stream then stops reading, which the pause counter tells.
  ASSERT_TRUE(server().clock().WaitUntilCalls(clock_calls + 2, absl::Seconds(10)));
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Pauses(server()) < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(Pauses(server()), 1);
  EXPECT_EQ(server().clock().calls(), clock_calls + 2) << "batch 4 was read beyond the bound";

  // A query does not wait for the stream (nor for the held writer).
  v1::Device device;
  grpc::Status status = server().GetDevice(TagKey(Tag(0)), &device);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(device.last_observation().sequence(), 1u);

  server().clock().Release();
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  grpc::Status finished = stream.Finish();
  ASSERT_TRUE(finished.ok()) << finished.error_code() << ": " << finished.error_message();
  acks.insert(acks.begin(), first);
  ASSERT_EQ(acks.size(), 4u);
  ExpectAllAccepted(acks, 1, 6);
  ExpectStoredOnce(server(), 1, 4, 6);
}

// A bound below one batch: every batch is read alone, after the previous one's acknowledgement; all are acknowledged
// in order, each observation stored exactly once.
class OneBatchAtATimeTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override {
    TestServer::Config config;
    config.metrics = true;
    config.max_stream_inflight_observations = 1;
    return config;
  }
};

TEST_F(OneBatchAtATimeTest, EveryBatchPausesTheStreamAndNothingIsLostOrDuplicated) {
  constexpr int kBatches = 20;
  constexpr int kSize = 3;
  StreamCall stream(server().agent());
  for (int b = 0; b < kBatches; ++b) ASSERT_TRUE(stream.Write(Batch(100 + b, b * kSize, kSize, b == 0)));
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  grpc::Status status = stream.Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kBatches));
  ExpectAllAccepted(acks, 100, kSize);
  // The bound is checked under the stream's lock right after a batch is queued, before its commit can acknowledge
  // it: each batch pauses reading once.
  EXPECT_EQ(Pauses(server()), kBatches);
  ExpectStoredOnce(server(), 100, kBatches, kSize);
}

// The default bound (2,000) leaves a stream well inside it alone.
class DefaultBoundTest : public ServiceTest {
 protected:
  TestServer::Config Config() const override {
    TestServer::Config config;
    config.metrics = true;
    return config;
  }
};

TEST_F(DefaultBoundTest, StreamBelowTheBoundNeverPauses) {
  constexpr int kBatches = 10;  // below the 16-batch read-ahead as well
  constexpr int kSize = 20;
  StreamCall stream(server().agent());
  for (int b = 0; b < kBatches; ++b) ASSERT_TRUE(stream.Write(Batch(1 + b, b * kSize, kSize, b == 0)));
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kBatches));
  ExpectAllAccepted(acks, 1, kSize);
  EXPECT_EQ(Pauses(server()), 0);
}

TEST(FlowControlOptionsTest, ZeroBoundIsRefusedNamingTheOption) {
  TestServer server(TestServer::Config{.max_stream_inflight_observations = 0});
  absl::Status started = server.Start();
  EXPECT_TRUE(absl::IsInvalidArgument(started)) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "max_stream_inflight_observations")) << started;
}

}  // namespace
}  // namespace pumptrack::service
