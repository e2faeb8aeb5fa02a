// AgentService.ReportStream against the real server: acknowledgement order, per-observation results, malformed
// batches, read-ahead, resends and ordering within a batch.

#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "service_test_util.h"

namespace pumptrack::service {
namespace {

using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::GetAllHistory;
using testing_util::MakeBatch;
using testing_util::Obs;
using testing_util::ServiceTest;
using testing_util::StreamCall;
using testing_util::TagKey;

std::string Tag(int i) { return absl::StrFormat("PT-%05d", i); }

TEST_F(ServiceTest, StreamAcksEveryBatchInOrderWithOneResultPerObservation) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(10, {Obs("PT-1"), Obs("PT-2"), Obs("PT-3")}, Agent())));
  ASSERT_TRUE(stream.Write(MakeBatch(11, {Obs("PT-4")})));  // agent inherited from the first batch
  ASSERT_TRUE(stream.Write(MakeBatch(25, {Obs("PT-1").Seq(2).Room("513"), Obs("PT-5")}, Agent())));  // same agent ok
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  grpc::Status status = stream.Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();

  ASSERT_EQ(acks.size(), 3u);
  const std::vector<std::uint64_t> ids = {acks[0].batch_id(), acks[1].batch_id(), acks[2].batch_id()};
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{10, 11, 25}));
  const std::vector<int> sizes = {3, 1, 2};
  for (std::size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ(acks[i].status(), v1::BATCH_STATUS_PROCESSED);
    ASSERT_EQ(acks[i].results_size(), sizes[i]);
    for (const v1::ObservationResult& result : acks[i].results()) {
      EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
      EXPECT_TRUE(result.field().empty());
      EXPECT_TRUE(result.reason().empty());
    }
  }
  EXPECT_EQ(server().ListAllTags({}), (std::vector<std::string>{"PT-1", "PT-2", "PT-3", "PT-4", "PT-5"}));
  const v1::Device pt1 = server().MustGetDevice("PT-1");
  EXPECT_EQ(pt1.last_observation().location().room(), "513");
  EXPECT_EQ(pt1.last_agent().agent_id(), "gw-5west-01");
  EXPECT_EQ(server().MustGetDevice("PT-4").last_agent().agent_id(), "gw-5west-01");
}

TEST_F(ServiceTest, StreamRejectsInvalidObservationsAloneAndStoresTheRest) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(
      1, {Obs("PT-1"), Obs("PT-2").Seq(0), Obs("PT-3"), Obs("PT 4"), Obs("PT-5").Confidence(2.0f), Obs("PT-6")},
      Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  ASSERT_TRUE(stream.WritesDone());
  EXPECT_TRUE(stream.Finish().ok());

  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);
  ASSERT_EQ(ack.results_size(), 6);
  EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(ack.results(1).result(), v1::REPORT_RESULT_REJECTED);
  EXPECT_EQ(ack.results(1).field(), "observations[1].sequence");
  EXPECT_EQ(ack.results(1).reason(), "must be at least 1");
  EXPECT_EQ(ack.results(2).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(ack.results(3).result(), v1::REPORT_RESULT_REJECTED);
  EXPECT_EQ(ack.results(3).field(), "observations[3].identity.asset_tag");
  EXPECT_FALSE(ack.results(3).reason().empty());
  EXPECT_EQ(ack.results(4).result(), v1::REPORT_RESULT_REJECTED);
  EXPECT_EQ(ack.results(4).field(), "observations[4].location.confidence");
  EXPECT_TRUE(absl::StrContains(ack.results(4).reason(), "[0, 1]")) << ack.results(4).reason();
  EXPECT_EQ(ack.results(5).result(), v1::REPORT_RESULT_ACCEPTED);

  EXPECT_EQ(server().ListAllTags({}), (std::vector<std::string>{"PT-1", "PT-3", "PT-6"}));
}

// Issue #14: a sequence of 2^64-1 on a stream is rejected alone, naming observations[i].sequence; the device's later
// reports from the same agent are still accepted.
TEST_F(ServiceTest, StreamRejectsSequenceBeyond2To53AndKeepsTheDeviceReachable) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(
      1, {Obs("PT-1").Seq(3), Obs("PT-1").Seq(std::numeric_limits<std::uint64_t>::max()).Room("999")}, Agent())));
  ASSERT_TRUE(stream.Write(MakeBatch(2, {Obs("PT-1").Seq(4).Room("513")})));
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  EXPECT_TRUE(stream.Finish().ok());
  ASSERT_EQ(acks.size(), 2u);
  ASSERT_EQ(acks[0].results_size(), 2);
  EXPECT_EQ(acks[0].results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(acks[0].results(1).result(), v1::REPORT_RESULT_REJECTED);
  EXPECT_EQ(acks[0].results(1).field(), "observations[1].sequence");
  EXPECT_TRUE(absl::StrContains(acks[0].results(1).reason(), "at most 2^53")) << acks[0].results(1).reason();
  ASSERT_EQ(acks[1].results_size(), 1);
  EXPECT_EQ(acks[1].results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  const v1::Device device = server().MustGetDevice("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 4u);
  EXPECT_EQ(device.last_observation().location().room(), "513");
}

TEST_F(ServiceTest, StreamBatchWithOnlyInvalidObservationsIsAckedWithoutStoring) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1").Battery(101), Obs("PT-2").Seq(0)}, Agent())));
  ASSERT_TRUE(stream.Write(MakeBatch(2, {Obs("PT-3")})));
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  EXPECT_TRUE(stream.Finish().ok());
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].batch_id(), 1u);
  EXPECT_EQ(acks[0].status(), v1::BATCH_STATUS_PROCESSED);
  ASSERT_EQ(acks[0].results_size(), 2);
  EXPECT_EQ(acks[0].results(0).field(), "observations[0].physical.battery_percent");
  EXPECT_EQ(acks[0].results(1).field(), "observations[1].sequence");
  EXPECT_EQ(acks[1].batch_id(), 2u);
  EXPECT_EQ(server().ListAllTags({}), (std::vector<std::string>{"PT-3"}));
}

// A batch_id that does not increase ends the stream with INVALID_ARGUMENT; the batches before it were stored.
TEST_F(ServiceTest, StreamNonIncreasingBatchIdEndsStreamInvalidArgument) {
  for (std::uint64_t bad_id : {std::uint64_t{5}, std::uint64_t{4}}) {
    SCOPED_TRACE(bad_id);
    StreamCall stream(server().agent());
    ASSERT_TRUE(stream.Write(MakeBatch(5, {Obs("PT-1")}, Agent())));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream.Read(&ack));  // batch 5 is durable before the bad batch is sent
    EXPECT_EQ(ack.batch_id(), 5u);
    stream.Write(MakeBatch(bad_id, {Obs("PT-2")}));
    stream.WritesDone();
    std::vector<v1::ReportBatchAck> rest = stream.ReadAll();
    grpc::Status status = stream.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "batch_id: ")) << status.error_message();
    EXPECT_TRUE(rest.empty());
    v1::Device device;
    EXPECT_EQ(server().GetDevice(TagKey("PT-2"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  server().MustGetDevice("PT-1");
}

TEST_F(ServiceTest, StreamEmptyBatchEndsStreamInvalidArgument) {
  StreamCall stream(server().agent());
  stream.Write(MakeBatch(1, {}, Agent()));
  stream.WritesDone();
  EXPECT_TRUE(stream.ReadAll().empty());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "observations: ")) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "got 0")) << status.error_message();
}

TEST_F(ServiceTest, StreamBatchOf1001ObservationsEndsStreamInvalidArgument) {
  std::vector<v1::Observation> observations;
  for (int i = 0; i < 1001; ++i) observations.push_back(Obs(Tag(i)));
  StreamCall stream(server().agent());
  stream.Write(MakeBatch(1, observations, Agent()));
  stream.WritesDone();
  EXPECT_TRUE(stream.ReadAll().empty());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "observations: ")) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "got 1001")) << status.error_message();
  EXPECT_TRUE(server().ListAllTags({}).empty());
}

TEST_F(ServiceTest, StreamBatchOf1000ObservationsIsProcessed) {
  std::vector<v1::Observation> observations;
  for (int i = 0; i < 1000; ++i) observations.push_back(Obs(Tag(i)));
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, observations, Agent())));
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(acks[0].results_size(), 1000);
  for (const auto& result : acks[0].results()) EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(server().ListAllTags({}).size(), 1000u);
}

TEST_F(ServiceTest, StreamMissingAgentOnFirstBatchEndsStreamInvalidArgument) {
  StreamCall stream(server().agent());
  stream.Write(MakeBatch(1, {Obs("PT-1")}));
  stream.WritesDone();
  EXPECT_TRUE(stream.ReadAll().empty());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "agent: ")) << status.error_message();
  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey("PT-1"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, StreamInvalidAgentIdEndsStreamInvalidArgument) {
  StreamCall stream(server().agent());
  stream.Write(MakeBatch(1, {Obs("PT-1")}, Agent("gw 01")));
  stream.WritesDone();
  EXPECT_TRUE(stream.ReadAll().empty());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "agent.agent_id: ")) << status.error_message();
}

TEST_F(ServiceTest, StreamAgentChangeMidStreamEndsStreamInvalidArgument) {
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1")}, Agent("gw-a"))));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  stream.Write(MakeBatch(2, {Obs("PT-2")}, Agent("gw-b")));
  stream.WritesDone();
  EXPECT_TRUE(stream.ReadAll().empty());
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "agent: ")) << status.error_message();
}

// 20 batches written before any ack is read: more than the per-stream read-ahead (16), so the service must resume
// reading as acknowledgements drain. Every batch is acknowledged, in order.
TEST_F(ServiceTest, StreamManyBatchesInFlightAreAllAcknowledgedInOrder) {
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 5;
  StreamCall stream(server().agent());
  for (int b = 0; b < kBatches; ++b) {
    std::vector<v1::Observation> observations;
    for (int k = 0; k < kPerBatch; ++k) observations.push_back(Obs(Tag(b * kPerBatch + k)));
    ASSERT_TRUE(stream.Write(MakeBatch(100 + b, observations, b == 0 ? std::optional(Agent()) : std::nullopt)));
  }
  ASSERT_TRUE(stream.WritesDone());
  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  grpc::Status status = stream.Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kBatches));
  for (int b = 0; b < kBatches; ++b) {
    EXPECT_EQ(acks[b].batch_id(), static_cast<std::uint64_t>(100 + b));
    EXPECT_EQ(acks[b].status(), v1::BATCH_STATUS_PROCESSED);
    ASSERT_EQ(acks[b].results_size(), kPerBatch);
    for (const auto& result : acks[b].results()) EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
  }
  EXPECT_EQ(server().ListAllTags({}).size(), static_cast<std::size_t>(kBatches * kPerBatch));
}

// A batch whose ack is ready at once (all observations rejected, or refused) must still be acknowledged after an
// earlier batch that is waiting for its commit. The writer is held on batch 1's commit (the reactor reads the clock
// twice per batch, to authorise the agent and to validate, the writer once per commit), so batch 2's ack is ready
// first.
TEST_F(ServiceTest, StreamAckReadyEarlyWaitsBehindEarlierBatchStillCommitting) {
  StreamCall stream(server().agent());
  server().clock().HoldNextWriterRead();
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1")}, Agent())));
  ASSERT_TRUE(server().clock().WaitUntilHeld(absl::Seconds(10)));
  const std::int64_t clock_calls = server().clock().calls();
  ASSERT_TRUE(stream.Write(MakeBatch(2, {Obs("PT-2").Seq(0)})));  // all rejected: no commit needed
  ASSERT_TRUE(stream.Write(MakeBatch(3, {Obs("PT-3")})));
  ASSERT_TRUE(stream.WritesDone());
  // Batches 2 and 3 are validated (one clock read each) while batch 1's commit is still held.
  ASSERT_TRUE(server().clock().WaitUntilCalls(clock_calls + 2, absl::Seconds(10)));
  server().clock().Release();

  std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].batch_id(), 1u);
  EXPECT_EQ(acks[1].batch_id(), 2u);
  EXPECT_EQ(acks[2].batch_id(), 3u);
  EXPECT_EQ(acks[0].results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(acks[1].results(0).result(), v1::REPORT_RESULT_REJECTED);
  EXPECT_EQ(acks[1].results(0).field(), "observations[0].sequence");
  EXPECT_EQ(acks[2].results(0).result(), v1::REPORT_RESULT_ACCEPTED);
}

// Resending an acknowledged batch (same stream with a new batch_id, or a new stream after a reconnect) is safe: every
// observation is answered DUPLICATE and nothing changes.
TEST_F(ServiceTest, StreamResendOfAckedBatchIsDuplicate) {
  const std::vector<v1::Observation> observations = {Obs("PT-1").Seq(3), Obs("PT-2").Seq(9)};
  {
    StreamCall stream(server().agent());
    ASSERT_TRUE(stream.Write(MakeBatch(1, observations, Agent())));
    v1::ReportBatchAck ack;
    ASSERT_TRUE(stream.Read(&ack));
    ASSERT_EQ(ack.results_size(), 2);
    EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_ACCEPTED);
    EXPECT_EQ(ack.results(1).result(), v1::REPORT_RESULT_ACCEPTED);
    ASSERT_TRUE(stream.Write(MakeBatch(2, observations)));
    ASSERT_TRUE(stream.Read(&ack));
    EXPECT_EQ(ack.batch_id(), 2u);
    ASSERT_EQ(ack.results_size(), 2);
    EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_DUPLICATE);
    EXPECT_EQ(ack.results(1).result(), v1::REPORT_RESULT_DUPLICATE);
    ASSERT_TRUE(stream.WritesDone());
    ASSERT_TRUE(stream.Finish().ok());
  }
  {
    StreamCall stream(server().agent());  // reconnect: batch ids start over
    ASSERT_TRUE(stream.Write(MakeBatch(1, observations, Agent())));
    ASSERT_TRUE(stream.WritesDone());
    std::vector<v1::ReportBatchAck> acks = stream.ReadAll();
    ASSERT_TRUE(stream.Finish().ok());
    ASSERT_EQ(acks.size(), 1u);
    ASSERT_EQ(acks[0].results_size(), 2);
    EXPECT_EQ(acks[0].results(0).result(), v1::REPORT_RESULT_DUPLICATE);
    EXPECT_EQ(acks[0].results(1).result(), v1::REPORT_RESULT_DUPLICATE);
  }
  EXPECT_EQ(server().MustGetDevice("PT-1").accepted_reports(), 1u);
  EXPECT_EQ(server().MustGetDevice("PT-2").accepted_reports(), 1u);
}

// Several observations of one pump in one batch, in increasing order, are all applied in order.
TEST_F(ServiceTest, StreamSeveralObservationsOfOnePumpInOrderAreAllApplied) {
  const absl::Time t0 = BaseTime();
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(
      MakeBatch(1,
                {Obs("PT-1").Seq(1).At(t0).Room("501"), Obs("PT-1").Seq(2).At(t0 + absl::Seconds(10)).Room("502"),
                 Obs("PT-1").Seq(3).At(t0 + absl::Seconds(20)).Room("503")},
                Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  ASSERT_TRUE(stream.WritesDone());
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(ack.results_size(), 3);
  for (const auto& result : ack.results()) EXPECT_EQ(result.result(), v1::REPORT_RESULT_ACCEPTED);
  const v1::Device device = server().MustGetDevice("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 3u);
  EXPECT_EQ(device.last_observation().location().room(), "503");
  EXPECT_EQ(device.accepted_reports(), 3u);
  EXPECT_EQ(GetAllHistory(server(), "PT-1").size(), 3u);  // first seen + two moves
}

// Out of order within one batch for one pump: whatever the order, the state never regresses and ends at the highest
// sequence, and every observation gets a non-REJECTED result.
TEST_F(ServiceTest, StreamOutOfOrderSequencesInOneBatchEndAtHighestSequence) {
  const absl::Time t0 = BaseTime();
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(
      MakeBatch(1,
                {Obs("PT-1").Seq(3).At(t0 + absl::Seconds(20)).Room("503"), Obs("PT-1").Seq(1).At(t0).Room("501"),
                 Obs("PT-1").Seq(2).At(t0 + absl::Seconds(10)).Room("502")},
                Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  ASSERT_TRUE(stream.WritesDone());
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(ack.results_size(), 3);
  for (const auto& result : ack.results()) EXPECT_NE(result.result(), v1::REPORT_RESULT_REJECTED);
  const v1::Device device = server().MustGetDevice("PT-1");
  EXPECT_EQ(device.last_observation().sequence(), 3u);
  EXPECT_EQ(device.last_observation().location().room(), "503");
}

// The contract (agent_service.proto, ReportBatch.observations): "possibly several of one pump (applied in sequence
// order)". Observations 1 and 2 arriving after 3 in the same batch should therefore be applied before it (all
// ACCEPTED, both moves in the history), not discarded as duplicates.
TEST_F(ServiceTest, StreamOutOfOrderSequencesInOneBatchAreAppliedInSequenceOrder) {
  const absl::Time t0 = BaseTime();
  StreamCall stream(server().agent());
  ASSERT_TRUE(stream.Write(
      MakeBatch(1,
                {Obs("PT-1").Seq(3).At(t0 + absl::Seconds(20)).Room("503"), Obs("PT-1").Seq(1).At(t0).Room("501"),
                 Obs("PT-1").Seq(2).At(t0 + absl::Seconds(10)).Room("502")},
                Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  ASSERT_TRUE(stream.WritesDone());
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(ack.results_size(), 3);
  EXPECT_EQ(ack.results(0).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(ack.results(1).result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(ack.results(2).result(), v1::REPORT_RESULT_ACCEPTED);
  const v1::Device device = server().MustGetDevice("PT-1");
  EXPECT_EQ(device.accepted_reports(), 3u);
  EXPECT_EQ(GetAllHistory(server(), "PT-1").size(), 3u);  // first seen in 501, moved to 502, moved to 503
}

// Invalid UTF-8 inside one observation of a batch makes the whole ReportBatch unparseable: a malformed batch, so the
// stream ends with INVALID_ARGUMENT naming the observation and field. Earlier batches stay acknowledged and stored;
// nothing of the bad batch is stored.
TEST_F(ServiceTest, StreamBatchWithInvalidUtf8EndsStreamNamingTheField) {
  StreamCall stream(server().agent(), /*timeout=*/absl::Seconds(5));
  ASSERT_TRUE(stream.Write(MakeBatch(1, {Obs("PT-1")}, Agent())));
  v1::ReportBatchAck ack;
  ASSERT_TRUE(stream.Read(&ack));
  EXPECT_EQ(ack.status(), v1::BATCH_STATUS_PROCESSED);

  v1::Observation bad = Obs("PT-2");
  bad.mutable_location()->mutable_unit()->assign("5-w\xc3\x28st");
  stream.Write(MakeBatch(2, {Obs("PT-3"), bad}));
  std::vector<v1::ReportBatchAck> rest = stream.ReadAll();
  grpc::Status status = stream.Finish();
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(), "observations[1].location.unit: must be valid UTF-8 without control characters");
  server().MustGetDevice("PT-1");
  v1::Device device;
  EXPECT_EQ(server().GetDevice(TagKey("PT-3"), &device).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace pumptrack::service
