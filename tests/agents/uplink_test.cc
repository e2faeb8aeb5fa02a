// The uplink and the agent loop against a real gRPC server (tests/agents/fake_agent_service.h).
#include "agents/uplink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/agents/fake_agent_service.h"

namespace pumptrack::agents {
namespace {

using pumptrack::v1::Observation;
using testing::FakeAgentService;
using testing::TestServer;

constexpr uint64_t kFirstSequence = 7;

// `count` observations of distinct pumps, sequence kFirstSequence + round.
std::vector<Observation> Observations(int count, int round = 0) {
  std::vector<Observation> observations(count);
  for (int i = 0; i < count; ++i) {
    observations[i].mutable_identity()->set_asset_tag(absl::StrFormat("PT-%05d", i + 1));
    observations[i].mutable_identity()->set_serial_number(absl::StrFormat("SN-%05d", i + 1));
    observations[i].set_sequence(kFirstSequence + round);
  }
  return observations;
}

UplinkOptions FastOptions() { return testing::FastUplinkOptions(); }

std::unique_ptr<Uplink> MakeUplink(const TestServer& server, UplinkOptions options = FastOptions()) {
  absl::StatusOr<std::unique_ptr<Uplink>> uplink = Uplink::Create(server.NewStub(), std::move(options));
  EXPECT_TRUE(uplink.ok()) << uplink.status();
  return std::move(uplink).value();
}

// Every observation of `count` pumps (round `round`) stored exactly once.
void ExpectStoredExactlyOnce(FakeAgentService& service, int count, int rounds = 1) {
  std::map<FakeAgentService::Key, int> stored = service.stored();
  EXPECT_EQ(stored.size(), static_cast<size_t>(count * rounds));
  for (int round = 0; round < rounds; ++round) {
    for (const Observation& observation : Observations(count, round)) {
      auto it = stored.find({observation.identity().asset_tag(), observation.sequence()});
      ASSERT_NE(it, stored.end()) << observation.identity().asset_tag();
      EXPECT_EQ(it->second, 1);
    }
  }
}

// Batch ids never repeat and increase strictly within each stream (and across streams).
void ExpectBatchIdsStrictlyIncrease(FakeAgentService& service) {
  uint64_t last = 0;
  for (const std::vector<uint64_t>& stream : service.batch_ids_per_stream()) {
    for (uint64_t id : stream) {
      EXPECT_GT(id, last);
      last = id;
    }
  }
}

TEST(UplinkTest, CreateRejectsOutOfRangeOptions) {
  FakeAgentService service;
  TestServer server(&service);
  for (int batch_size : {0, -1, kMaxBatchSize + 1}) {
    UplinkOptions options = FastOptions();
    options.batch_size = batch_size;
    EXPECT_EQ(Uplink::Create(server.NewStub(), options).status().code(), absl::StatusCode::kInvalidArgument);
  }
  UplinkOptions no_window = FastOptions();
  no_window.max_batches_in_flight = 0;
  EXPECT_EQ(Uplink::Create(server.NewStub(), no_window).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Uplink::Create(nullptr, FastOptions()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UplinkTest, DeliversEveryObservationExactlyOnceInBatches) {
  FakeAgentService service;
  TestServer server(&service);
  ASSERT_TRUE(server.started());
  std::unique_ptr<Uplink> uplink = MakeUplink(server);

  RoundReport report;
  ASSERT_TRUE(uplink->SendRound(Observations(2345), &report).ok());

  EXPECT_EQ(report.observations, 2345u);
  EXPECT_EQ(report.accepted, 2345u);
  EXPECT_EQ(report.duplicates, 0u);
  EXPECT_EQ(report.rejected, 0u);
  EXPECT_EQ(report.batches, 24u);
  EXPECT_EQ(report.resent_batches, 0u);
  EXPECT_EQ(report.streams, 1u);
  ExpectStoredExactlyOnce(service, 2345);
  EXPECT_EQ(service.observations_received(), 2345u);
  ASSERT_EQ(service.batch_ids_per_stream().size(), 1u);
  EXPECT_EQ(service.batch_ids_per_stream()[0].size(), 24u);
  ExpectBatchIdsStrictlyIncrease(service);
  // AgentInfo rides on the first batch only.
  ASSERT_EQ(service.agents_seen().size(), 1u);
  EXPECT_EQ(service.agents_seen()[0].first, service.batch_ids_per_stream()[0][0]);
  EXPECT_EQ(service.agents_seen()[0].second.agent_id(), "gw-test-01");
  EXPECT_EQ(service.agents_seen()[0].second.agent_version(), "0.1.0-test");
}

TEST(UplinkTest, BatchIdsKeepIncreasingAcrossRounds) {
  FakeAgentService service;
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);
  RoundReport report;
  for (int round = 0; round < 3; ++round) ASSERT_TRUE(uplink->SendRound(Observations(250, round), &report).ok());
  EXPECT_EQ(service.batch_ids_per_stream().size(), 3u);
  ExpectBatchIdsStrictlyIncrease(service);
  ExpectStoredExactlyOnce(service, 250, 3);
}

TEST(UplinkTest, EmptyRoundDoesNotContactTheService) {
  FakeAgentService service;
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);
  RoundReport report;
  EXPECT_TRUE(uplink->SendRound({}, &report).ok());
  EXPECT_EQ(report.streams, 0u);
  EXPECT_EQ(service.streams(), 0);
}

class NotTakenTest : public ::testing::TestWithParam<pumptrack::v1::BatchStatus> {};

TEST_P(NotTakenTest, BatchIsResentAfterABackoffUnderANewId) {
  FakeAgentService::Behaviour behaviour;
  behaviour.not_taken_batches = 1;
  behaviour.not_taken = GetParam();
  FakeAgentService service(behaviour);
  TestServer server(&service);
  UplinkOptions options = FastOptions();
  options.initial_backoff = absl::Milliseconds(150);
  std::unique_ptr<Uplink> uplink = MakeUplink(server, options);

  RoundReport report;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(uplink->SendRound(Observations(450), &report).ok());

  // Backoffs are jittered to 50-100 % of their nominal value.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(75)) << "the resend waits for the backoff";
  EXPECT_EQ(report.accepted, 450u);
  EXPECT_EQ(report.resent_batches, 1u);
  EXPECT_EQ(report.streams, 1u);
  EXPECT_EQ(service.observations_received(), 550u) << "the first batch (100) arrived twice";
  ExpectStoredExactlyOnce(service, 450);
  ExpectBatchIdsStrictlyIncrease(service);
  EXPECT_EQ(service.batch_ids_per_stream()[0].size(), 6u);
}

INSTANTIATE_TEST_SUITE_P(OverloadedOrUnavailable, NotTakenTest,
                         ::testing::Values(pumptrack::v1::BATCH_STATUS_OVERLOADED,
                                           pumptrack::v1::BATCH_STATUS_UNAVAILABLE),
                         [](const ::testing::TestParamInfo<pumptrack::v1::BatchStatus>& param_info) {
                           return pumptrack::v1::BatchStatus_Name(param_info.param);
                         });

TEST(UplinkTest, RepeatedOverloadBacksOffAndStillDeliversEverything) {
  FakeAgentService::Behaviour behaviour;
  behaviour.not_taken_batches = 5;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);
  RoundReport report;
  ASSERT_TRUE(uplink->SendRound(Observations(300), &report).ok());
  EXPECT_EQ(report.accepted, 300u);
  EXPECT_EQ(report.resent_batches, 5u);
  ExpectStoredExactlyOnce(service, 300);
  ExpectBatchIdsStrictlyIncrease(service);
}

TEST(UplinkTest, CountsDuplicatesAndRejections) {
  FakeAgentService::Behaviour behaviour;
  behaviour.reject_tag_suffix = "7";  // PT-00007, PT-00017, ...: 20 of 200
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);

  RoundReport first;
  ASSERT_TRUE(uplink->SendRound(Observations(200), &first).ok()) << "rejections still count as acknowledged";
  EXPECT_EQ(first.accepted, 180u);
  EXPECT_EQ(first.rejected, 20u);
  EXPECT_EQ(first.acknowledged(), 200u);

  RoundReport again;  // the same sequences: a retry, so duplicates
  ASSERT_TRUE(uplink->SendRound(Observations(200), &again).ok());
  EXPECT_EQ(again.accepted, 0u);
  EXPECT_EQ(again.duplicates, 180u);
  EXPECT_EQ(again.rejected, 20u);
}

TEST(UplinkTest, ResendsUnacknowledgedBatchesOnANewStreamWhenTheStreamBreaks) {
  FakeAgentService::Behaviour behaviour;
  behaviour.break_first_stream_after = 2;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);

  RoundReport report;
  ASSERT_TRUE(uplink->SendRound(Observations(1000), &report).ok());

  EXPECT_EQ(report.streams, 2u);
  EXPECT_EQ(report.accepted + report.duplicates, 1000u);
  EXPECT_GE(report.resent_batches, 1u);
  ExpectStoredExactlyOnce(service, 1000);
  ExpectBatchIdsStrictlyIncrease(service);
  // Each stream starts with AgentInfo.
  EXPECT_EQ(service.agents_seen().size(), 2u);
}

TEST(UplinkTest, NonRetryableStreamErrorFailsTheRound) {
  FakeAgentService::Behaviour behaviour;
  behaviour.fail_every_stream = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "batch_id must increase");
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);

  RoundReport report;
  absl::Status status = uplink->SendRound(Observations(10), &report);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("batch_id must increase"));
  EXPECT_EQ(report.streams, 1u);
  EXPECT_EQ(service.streams(), 1);
}

TEST(UplinkTest, GivesUpAfterMaxFailedStreamsWithoutProgress) {
  FakeAgentService::Behaviour behaviour;
  behaviour.fail_every_stream = grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is down");
  FakeAgentService service(behaviour);
  TestServer server(&service);
  UplinkOptions options = FastOptions();
  options.max_failed_streams = 3;
  std::unique_ptr<Uplink> uplink = MakeUplink(server, options);

  RoundReport report;
  absl::Status status = uplink->SendRound(Observations(10), &report);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("0 of 10 observations acknowledged"));
  EXPECT_EQ(report.streams, 3u);
}

TEST(UplinkTest, UnreachableServiceFailsWithUnavailable) {
  std::string address;
  {
    FakeAgentService service;
    TestServer server(&service);
    address = server.address();
  }  // the port is closed now
  UplinkOptions options = FastOptions();
  options.max_failed_streams = 2;
  absl::StatusOr<std::unique_ptr<Uplink>> uplink = Uplink::Create(
      pumptrack::v1::AgentService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())), options);
  ASSERT_TRUE(uplink.ok());
  RoundReport report;
  EXPECT_EQ((*uplink)->SendRound(Observations(5), &report).code(), absl::StatusCode::kUnavailable);
}

TEST(UplinkTest, DeadlineExceededWhenTheServiceNeverAcknowledges) {
  FakeAgentService::Behaviour behaviour;
  behaviour.never_ack = true;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  UplinkOptions options = FastOptions();
  options.round_timeout = absl::Milliseconds(300);
  std::unique_ptr<Uplink> uplink = MakeUplink(server, options);

  RoundReport report;
  const absl::Time start = absl::Now();
  absl::Status status = uplink->SendRound(Observations(500), &report);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(report.acknowledged(), 0u);
}

TEST(UplinkTest, KeepsSeveralBatchesInFlight) {
  // The service answers only once it holds 4 batches: this completes only if the uplink sends ahead.
  FakeAgentService::Behaviour behaviour;
  behaviour.hold_until_batches = 4;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  UplinkOptions options = FastOptions();
  options.max_batches_in_flight = 4;  // above the default window of 3
  RoundReport report;
  ASSERT_TRUE(MakeUplink(server, options)->SendRound(Observations(800), &report).ok());
  EXPECT_EQ(report.accepted, 800u);
}

TEST(UplinkTest, NeverExceedsTheInFlightWindow) {
  FakeAgentService::Behaviour behaviour;
  behaviour.hold_until_batches = 4;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  UplinkOptions options = FastOptions();
  options.max_batches_in_flight = 3;
  options.round_timeout = absl::Milliseconds(500);
  RoundReport report;
  EXPECT_EQ(MakeUplink(server, options)->SendRound(Observations(800), &report).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(service.observations_received(), 300u) << "exactly three batches were sent";
}

TEST(UplinkTest, AckForTheWrongBatchIsAProtocolError) {
  FakeAgentService::Behaviour behaviour;
  behaviour.wrong_batch_id = 999;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  RoundReport report;
  absl::Status status = MakeUplink(server)->SendRound(Observations(300), &report);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("acknowledged batch 999, expected batch 1"));
}

TEST(UplinkTest, AckWithMissingResultsIsAProtocolError) {
  FakeAgentService::Behaviour behaviour;
  behaviour.short_results = true;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  RoundReport report;
  EXPECT_EQ(MakeUplink(server)->SendRound(Observations(300), &report).code(), absl::StatusCode::kInternal);
}

TEST(UplinkTest, CancelEndsARoundPromptly) {
  FakeAgentService::Behaviour behaviour;
  behaviour.never_ack = true;
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);  // round_timeout 20 s

  std::thread canceller([&uplink] {
    absl::SleepFor(absl::Milliseconds(200));
    uplink->Cancel();
  });
  RoundReport report;
  const absl::Time start = absl::Now();
  absl::Status status = uplink->SendRound(Observations(100), &report);
  canceller.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(uplink->SendRound(Observations(1), &report).code(), absl::StatusCode::kCancelled);
}

TEST(UplinkTest, AckCallbackNamesEachProcessedBatchByItsFirstObservation) {
  FakeAgentService::Behaviour behaviour;
  behaviour.not_taken_batches = 1;  // the first batch is resent: its callback still comes once, after the real ack
  FakeAgentService service(behaviour);
  TestServer server(&service);
  std::unique_ptr<Uplink> uplink = MakeUplink(server);
  std::vector<size_t> firsts;
  size_t results = 0;
  RoundReport report;
  ASSERT_TRUE(uplink
                  ->SendRound(Observations(250), &report,
                              [&](size_t first, const pumptrack::v1::ReportBatchAck& ack) {
                                firsts.push_back(first);
                                results += static_cast<size_t>(ack.results_size());
                              })
                  .ok());
  std::sort(firsts.begin(), firsts.end());
  EXPECT_EQ(firsts, (std::vector<size_t>{0, 100, 200}));
  EXPECT_EQ(results, 250u);
}

}  // namespace
}  // namespace pumptrack::agents
