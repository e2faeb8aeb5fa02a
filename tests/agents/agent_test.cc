// The durable buffer (real RocksDB in a per-test directory) and the agent loop against a real gRPC server
// (tests/agents/fake_agent_service.h).
#include "agents/agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agents/buffer.h"
#include "agents/clock.h"
#include "agents/metrics.h"
#include "agents/sim/sim_source.h"
#include "agents/uplink.h"
#include "tests/agents/fake_agent_service.h"
#include "tests/common/test_support.h"

namespace pumptrack::agents {
namespace {

using pumptrack::testing_support::ScopedTempDir;
using pumptrack::v1::Observation;
using testing::FakeAgentService;
using testing::TestServer;

Observation Pump(int index) {
  Observation observation;
  observation.mutable_identity()->set_asset_tag(absl::StrFormat("PT-%05d", index));
  observation.mutable_identity()->set_serial_number(absl::StrFormat("SN-%05d", index));
  return observation;
}

// One observation each of pumps 1..count.
std::vector<Observation> Round(int count) {
  std::vector<Observation> round;
  for (int i = 1; i <= count; ++i) round.push_back(Pump(i));
  return round;
}

std::unique_ptr<Buffer> OpenBuffer(const ScopedTempDir& dir, int64_t max_entries = 1000, uint64_t base = 100) {
  BufferOptions options;
  options.dir = dir.path();
  options.max_entries = max_entries;
  options.sequence_base = base;
  absl::StatusOr<std::unique_ptr<Buffer>> buffer = Buffer::Open(options);
  EXPECT_TRUE(buffer.ok()) << buffer.status();
  return buffer.ok() ? *std::move(buffer) : nullptr;
}

std::vector<std::pair<std::string, uint64_t>> Contents(Buffer& buffer) {
  absl::StatusOr<std::vector<BufferedObservation>> entries = buffer.ReadOldest(1'000'000);
  EXPECT_TRUE(entries.ok()) << entries.status();
  std::vector<std::pair<std::string, uint64_t>> contents;
  for (const BufferedObservation& entry : *entries) {
    contents.emplace_back(entry.observation.identity().asset_tag(), entry.observation.sequence());
  }
  return contents;
}

// ---- the buffer ----

TEST(BufferTest, OpenRejectsBadOptions) {
  ScopedTempDir dir;
  BufferOptions options;
  EXPECT_EQ(Buffer::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.dir = dir.path();
  options.max_entries = 0;
  EXPECT_EQ(Buffer::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BufferTest, SecondOpenOfTheSameDirectoryIsRefused) {
  ScopedTempDir dir;
  std::unique_ptr<Buffer> first = OpenBuffer(dir);
  BufferOptions options;
  options.dir = dir.path();
  EXPECT_FALSE(Buffer::Open(options).ok());
}

TEST(BufferTest, NumbersEachDeviceFromTheBaseAndKeepsAppendOrder) {
  ScopedTempDir dir;
  std::unique_ptr<Buffer> buffer = OpenBuffer(dir);
  std::vector<Observation> first = Round(2);
  ASSERT_TRUE(buffer->Append(first).ok());
  EXPECT_EQ(first[0].sequence(), 100u);
  std::vector<Observation> second = {Pump(2), Pump(3), Pump(2)};
  ASSERT_TRUE(buffer->Append(second).ok());
  EXPECT_EQ(buffer->size(), 5);
  EXPECT_EQ(Contents(*buffer),
            (std::vector<std::pair<std::string, uint64_t>>{
                {"PT-00001", 100}, {"PT-00002", 100}, {"PT-00002", 101}, {"PT-00003", 100}, {"PT-00002", 102}}));
}

TEST(BufferTest, ReopenKeepsEntriesAndContinuesEverySequenceWithoutAJump) {
  ScopedTempDir dir;
  {
    std::unique_ptr<Buffer> buffer = OpenBuffer(dir, 1000, 100);
    for (int round = 0; round < 3; ++round) {
      std::vector<Observation> observations = Round(4);
      ASSERT_TRUE(buffer->Append(observations).ok());
    }
    absl::StatusOr<std::vector<BufferedObservation>> oldest = buffer->ReadOldest(5);
    ASSERT_TRUE(oldest.ok());
    ASSERT_EQ(oldest->size(), 5u);
    std::vector<uint64_t> ids;
    for (const BufferedObservation& entry : *oldest) ids.push_back(entry.id);
    ASSERT_TRUE(buffer->Remove(ids).ok());
    EXPECT_EQ(buffer->size(), 7);
  }
  // A later start has a higher time-based base; it must not apply to devices the buffer already numbered.
  std::unique_ptr<Buffer> reopened = OpenBuffer(dir, 1000, 5000);
  EXPECT_EQ(reopened->size(), 7);
  EXPECT_EQ(reopened->device_count(), 4u);
  std::vector<Observation> next = {Pump(1), Pump(9)};
  ASSERT_TRUE(reopened->Append(next).ok());
  EXPECT_EQ(next[0].sequence(), 103u);
  EXPECT_EQ(next[1].sequence(), 5000u);
  std::vector<std::pair<std::string, uint64_t>> contents = Contents(*reopened);
  ASSERT_EQ(contents.size(), 9u);
  EXPECT_EQ(contents.front(), (std::pair<std::string, uint64_t>{"PT-00002", 101}));
  EXPECT_EQ(contents.back(), (std::pair<std::string, uint64_t>{"PT-00009", 5000}));
}

TEST(BufferTest, WhenFullTheOldestAreDroppedCountedAndLeaveASequenceGap) {
  ScopedTempDir dir;
  std::unique_ptr<Buffer> buffer = OpenBuffer(dir, /*max_entries=*/5);
  for (int round = 0; round < 3; ++round) {
    std::vector<Observation> observations = Round(3);
    ASSERT_TRUE(buffer->Append(observations).ok());
  }
  EXPECT_EQ(buffer->size(), 5);
  EXPECT_EQ(buffer->drops().overflow, 4);
  // Rounds 0 and (pump 1 of) round 1 are gone; the rest remain in order.
  EXPECT_EQ(Contents(*buffer),
            (std::vector<std::pair<std::string, uint64_t>>{
                {"PT-00002", 101}, {"PT-00003", 101}, {"PT-00001", 102}, {"PT-00002", 102}, {"PT-00003", 102}}));
  // The dropped sequences stay used: pump 1's next report is 103, so the service sees 102 -> ... -> 103 after a gap
  // at 101.
  std::vector<Observation> next = {Pump(1)};
  ASSERT_TRUE(buffer->Append(next).ok());
  EXPECT_EQ(next[0].sequence(), 103u);
  EXPECT_EQ(buffer->size(), 5);
  EXPECT_EQ(buffer->drops().overflow, 5);
}

TEST(BufferTest, AnAppendLargerThanTheBufferKeepsItsNewest) {
  ScopedTempDir dir;
  std::unique_ptr<Buffer> buffer = OpenBuffer(dir, /*max_entries=*/2);
  std::vector<Observation> observations = Round(5);
  ASSERT_TRUE(buffer->Append(observations).ok());
  EXPECT_EQ(buffer->drops().overflow, 3);
  EXPECT_EQ(Contents(*buffer), (std::vector<std::pair<std::string, uint64_t>>{{"PT-00004", 100}, {"PT-00005", 100}}));
}

TEST(BufferTest, AnUnencodableObservationIsDroppedAndCountedAndTheRestAreRead) {
  ScopedTempDir dir;
  std::unique_ptr<Buffer> buffer = OpenBuffer(dir);
  std::vector<Observation> observations = Round(3);
  observations[1].set_firmware_version("\xff\xfe not UTF-8");  // serializes, but no parser accepts it
  ASSERT_TRUE(buffer->Append(observations).ok());
  EXPECT_EQ(Contents(*buffer), (std::vector<std::pair<std::string, uint64_t>>{{"PT-00001", 100}, {"PT-00003", 100}}));
  EXPECT_EQ(buffer->drops().unencodable, 1);
  EXPECT_EQ(buffer->size(), 2);
}

// ---- the agent loop ----

// The same observations every round, stamped with the round's time. `round_times`, when given, collects those times.
class FixedSource final : public ObservationSource {
 public:
  explicit FixedSource(std::vector<Observation> round, std::vector<absl::Time>* round_times = nullptr)
      : round_(std::move(round)), round_times_(round_times) {}
  std::string_view name() const override { return "fixed"; }
  absl::StatusOr<std::vector<Observation>> NextRound(absl::Time now) override {
    if (round_times_ != nullptr) round_times_->push_back(now);
    std::vector<Observation> round = round_;
    for (Observation& observation : round) {
      *observation.mutable_observed_at() = pumptrack::testing_support::ToTimestamp(now);
    }
    return round;
  }

 private:
  std::vector<Observation> round_;
  std::vector<absl::Time>* round_times_;
};

// Simulated time: waiting jumps the clock to the deadline at once, so an agent's minutes of schedule and backoff run
// in milliseconds. Records every wait's length.
class SimulatedClock final : public AgentClock {
 public:
  explicit SimulatedClock(absl::Time start) : now_(start) {}
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void WaitUntil(absl::Time deadline, absl::Notification& stop) override {
    if (stop.HasBeenNotified()) return;
    absl::MutexLock lock(&mu_);
    if (deadline > now_) {
      waits_.push_back(deadline - now_);
      now_ = deadline;
    }
  }
  std::vector<absl::Duration> waits() {
    absl::MutexLock lock(&mu_);
    return waits_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> waits_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<ObservationSource> SimFleet(int64_t pumps) {
  sim::SimOptions options;
  options.pumps = pumps;
  options.epoch = absl::Now();
  return *sim::SimSource::Create(options);
}

std::unique_ptr<Uplink> MakeUplink(const std::string& address) {
  UplinkOptions options = testing::FastUplinkOptions();
  options.max_failed_streams = 1;  // as pumptrack-agent runs it: the agent retries
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return *Uplink::Create(pumptrack::v1::AgentService::NewStub(channel), options);
}

AgentOptions FastAgent() {
  AgentOptions options;
  options.interval = absl::Milliseconds(10);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(100);
  return options;
}

// Each test: a fresh buffer directory, fresh metrics, and an agent with FastAgent() options unless it changes them.
class AgentTest : public ::testing::Test {
 protected:
  std::unique_ptr<Agent> MakeAgent(std::unique_ptr<ObservationSource> source, const std::string& address,
                                   int64_t max_entries = 1000, uint64_t base = 100) {
    return std::make_unique<Agent>(std::move(source), OpenBuffer(dir_, max_entries, base), MakeUplink(address),
                                   options_, metrics_);
  }

  ScopedTempDir dir_;
  AgentMetrics metrics_;
  AgentOptions options_ = FastAgent();
};

// Nothing listens here: every delivery fails at once.
constexpr char kNoService[] = "127.0.0.1:1";

TEST_F(AgentTest, RunsTheRoundsAndNumbersEveryDeviceConsecutively) {
  FakeAgentService service;
  TestServer server(&service);
  options_.rounds = 3;
  ASSERT_TRUE(MakeAgent(SimFleet(250), server.address(), 1000, 5000)->Run().ok());

  std::map<std::string, std::set<uint64_t>> sequences;
  for (const auto& [key, times] : service.stored()) {
    EXPECT_EQ(times, 1);
    sequences[key.first].insert(key.second);
  }
  ASSERT_EQ(sequences.size(), 250u);
  for (const auto& [tag, seen] : sequences) EXPECT_EQ(seen, (std::set<uint64_t>{5000, 5001, 5002})) << tag;
  EXPECT_EQ(metrics_.acknowledged(), 750);
  EXPECT_EQ(metrics_.sent(), 750);
  EXPECT_EQ(metrics_.buffered(), 0);
}

TEST_F(AgentTest, AcknowledgedReportsLeaveTheBufferAndTheRestStayForTheNextRun) {
  options_.rounds = 2;
  options_.deadline = absl::Milliseconds(500);
  const absl::Status status = MakeAgent(SimFleet(30), kNoService)->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("60 reports undelivered"));
  EXPECT_GE(metrics_.reconnects(), 1);
  EXPECT_EQ(metrics_.acknowledged(), 0);
  EXPECT_EQ(metrics_.buffered(), 60);

  FakeAgentService service;
  TestServer server(&service);
  options_.rounds = 1;
  options_.deadline = absl::InfiniteDuration();
  ASSERT_TRUE(MakeAgent(SimFleet(30), server.address())->Run().ok());
  std::map<std::string, std::set<uint64_t>> sequences;
  for (const auto& [key, times] : service.stored()) {
    EXPECT_EQ(times, 1);
    sequences[key.first].insert(key.second);
  }
  ASSERT_EQ(sequences.size(), 30u);
  for (const auto& [tag, seen] : sequences) EXPECT_EQ(seen, (std::set<uint64_t>{100, 101, 102})) << tag;
  EXPECT_EQ(metrics_.buffered(), 0);
}

TEST_F(AgentTest, ARejectedObservationIsDroppedAndCountedWithoutBlockingTheRest) {
  FakeAgentService::Behaviour behaviour;
  behaviour.reject_tag_suffix = "07";
  FakeAgentService service(behaviour);
  TestServer server(&service);
  options_.rounds = 2;
  ASSERT_TRUE(MakeAgent(std::make_unique<FixedSource>(Round(10)), server.address())->Run().ok());
  EXPECT_EQ(service.stored().size(), 18u);
  EXPECT_EQ(metrics_.dropped_rejected(), 2);
  EXPECT_EQ(metrics_.acknowledged(), 18);
  EXPECT_EQ(metrics_.buffered(), 0);
}

TEST_F(AgentTest, AnUnencodableObservationDoesNotLoseItsBatch) {
  FakeAgentService service;
  TestServer server(&service);
  std::vector<Observation> round = Round(10);
  round[4].mutable_location()->set_room("\xc3\x28");  // invalid UTF-8: the whole batch would fail to parse
  options_.rounds = 1;
  ASSERT_TRUE(MakeAgent(std::make_unique<FixedSource>(round), server.address())->Run().ok());
  EXPECT_EQ(service.stored().size(), 9u);
  EXPECT_EQ(service.streams(), 1);
  EXPECT_EQ(metrics_.dropped_unencodable(), 1);
}

TEST_F(AgentTest, WhenFullTheOldestAreDroppedAndCounted) {
  options_.rounds = 4;
  options_.deadline = absl::Milliseconds(300);
  const absl::Status status = MakeAgent(SimFleet(10), kNoService, /*max_entries=*/25)->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("25 reports undelivered"));
  EXPECT_EQ(metrics_.dropped_overflow(), 15);
}

TEST_F(AgentTest, FailFastReturnsWhenTheServiceRefusesTheAgent) {
  FakeAgentService::Behaviour behaviour;
  behaviour.fail_every_stream = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "unknown agent");
  FakeAgentService service(behaviour);
  TestServer server(&service);
  options_.rounds = 5;
  options_.fail_fast = true;
  const absl::Status status = MakeAgent(SimFleet(10), server.address())->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("reports undelivered"));
}

// Rounds start `interval` apart on the agent's clock, and each round is observed at its start.
TEST_F(AgentTest, RoundsRunOnTheAgentsClock) {
  FakeAgentService service;
  TestServer server(&service);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  SimulatedClock clock(start);
  std::vector<absl::Time> round_times;
  options_.clock = &clock;
  options_.interval = absl::Minutes(5);
  options_.rounds = 4;
  ASSERT_TRUE(MakeAgent(std::make_unique<FixedSource>(Round(3), &round_times), server.address())->Run().ok());
  EXPECT_EQ(round_times, (std::vector<absl::Time>{start, start + absl::Minutes(5), start + absl::Minutes(10),
                                                  start + absl::Minutes(15)}));
  EXPECT_EQ(service.stored().size(), 12u);
  EXPECT_EQ(clock.Now(), start + absl::Minutes(15)) << "the run ends once the last round is delivered";
}

// With the service unreachable, the wait before each retry doubles from the initial backoff to the maximum (each
// jittered to between half and all of it), and the run gives up at its deadline with everything still buffered.
TEST_F(AgentTest, FailedDeliveriesBackOffOnTheAgentsClockUntilTheDeadline) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  SimulatedClock clock(start);
  options_.clock = &clock;
  options_.rounds = 1;
  options_.initial_backoff = absl::Seconds(1);
  options_.max_backoff = absl::Seconds(8);
  options_.deadline = absl::Minutes(2);
  const absl::Status status = MakeAgent(std::make_unique<FixedSource>(Round(5)), kNoService)->Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("5 reports undelivered after 2m"));
  EXPECT_EQ(clock.Now(), start + absl::Minutes(2));
  EXPECT_EQ(metrics_.buffered(), 5);

  // Between attempts the agent waits in steps of at most a second (it refreshes its gauges every second); sum the
  // steps between attempts. An attempt's wait ends where the next nominal backoff would start.
  const std::vector<absl::Duration> waits = clock.waits();
  ASSERT_FALSE(waits.empty());
  absl::Duration total;
  for (absl::Duration wait : waits) {
    EXPECT_LE(wait, absl::Seconds(1));
    total += wait;
  }
  EXPECT_EQ(total, absl::Minutes(2));
  // Two minutes at backoffs of 0.5–1, 1–2, 2–4, then 4–8 s is between 16 and 35 attempts.
  EXPECT_GE(metrics_.reconnects(), 16);
  EXPECT_LE(metrics_.reconnects(), 35);
}

TEST_F(AgentTest, RequestStopEndsAnOpenEndedRunCleanly) {
  FakeAgentService service;
  TestServer server(&service);
  options_.interval = absl::Hours(1);
  std::unique_ptr<Agent> agent = MakeAgent(SimFleet(20), server.address());
  std::thread stopper([&] {
    while (service.stored().size() < 20) absl::SleepFor(absl::Milliseconds(5));
    agent->RequestStop();
  });
  const absl::Time start = absl::Now();
  EXPECT_TRUE(agent->Run().ok());
  stopper.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(AgentTest, StoppingBeforeTheRoundLimitIsCancelled) {
  FakeAgentService service;
  TestServer server(&service);
  options_.rounds = 2;
  std::unique_ptr<Agent> agent = MakeAgent(SimFleet(5), server.address());
  agent->RequestStop();
  EXPECT_EQ(agent->Run().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(service.streams(), 0);
}

}  // namespace
}  // namespace pumptrack::agents
