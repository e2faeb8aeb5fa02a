// IngestPipeline directly, on a real DeviceStore in a temporary RocksDB: capacity, group commit, Stop, and the
// exactly-once callback. The writer is held deterministically by making one request's callback (which runs on the
// writer thread) wait for the test.

#include "engine/ingest_pipeline.h"

#include <atomic>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "engine/ingest_metrics.h"
#include "prometheus/registry.h"
#include "service_test_util.h"
#include "storage/database.h"
#include "storage/device_store.h"

namespace pumptrack::service {
namespace {

using storage::ApplyResult;
using testing_util::Agent;
using testing_util::BaseTime;
using testing_util::Obs;
using testing_util::ScopedTempDir;

using Results = absl::StatusOr<std::vector<ApplyResult>>;

class IngestPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.path = dir_.path();
    options.block_cache_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    store_ = std::make_unique<storage::DeviceStore>(db_.get());
    metrics_ = std::make_unique<engine::IngestMetrics>(registry_);
  }

  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    db_.reset();
  }

  void StartPipeline(std::size_t capacity, std::size_t max_commit = 8'192,
                     absl::Duration release_memory_after_idle = absl::Seconds(1)) {
    engine::IngestOptions options;
    options.queue_capacity = capacity;
    options.max_commit_observations = max_commit;
    options.clock = [] { return BaseTime() + absl::Minutes(1); };
    options.release_memory_after_idle = release_memory_after_idle;
    options.release_memory = [this] { ++memory_releases_; };
    options.idle_clock = [this] {
      absl::MutexLock lock(&idle_clock_mu_);
      return idle_now_;
    };
    pipeline_ = std::make_unique<engine::IngestPipeline>(store_.get(), metrics_.get(), options);
  }

  // Submits a request of `tags` and waits for its commit.
  void Commit(const std::vector<std::string>& tags) {
    absl::Notification done;
    ASSERT_TRUE(pipeline_->Submit(Request(tags, [&done](Results) { done.Notify(); })).ok());
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }

  // A request of observations of `tags` (sequence 1 each); the messages live as long as the fixture.
  engine::IngestRequest Request(const std::vector<std::string>& tags, engine::IngestCallback done) {
    engine::IngestRequest request;
    for (const std::string& tag : tags) {
      observations_.push_back(Obs(tag));
      request.observations.push_back({&observations_.back(), &agent_});
    }
    request.done = std::move(done);
    return request;
  }

  // A request whose callback holds the writer thread until `release` is notified; `entered` fires when it starts.
  engine::IngestRequest HoldingRequest(const std::string& tag, absl::Notification* entered, absl::Notification* release,
                                       Results* results) {
    return Request({tag}, [entered, release, results](Results r) {
      *results = std::move(r);
      entered->Notify();
      release->WaitForNotification();
    });
  }

  // Moves the writer's idle clock forward (the idle time before memory is released is measured on it).
  void AdvanceIdleClock(absl::Duration by) {
    absl::MutexLock lock(&idle_clock_mu_);
    idle_now_ += by;
  }

  // Runs a no-op task on the writer and waits for it. The writer checks the idle clock before each task, so a release
  // that is due has happened when this returns.
  void RunWriterTask() {
    absl::Notification ran;
    ASSERT_TRUE(pipeline_->SubmitTask([&ran] { ran.Notify(); }).ok());
    ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }

  bool Stored(const std::string& tag) { return store_->GetDevice(tag).ok(); }

  std::uint64_t Commits() const {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name == "pumptrack_commit_batch_observations" && !family.metric.empty()) {
        return family.metric.front().histogram.sample_count;
      }
    }
    return 0;
  }

  ScopedTempDir dir_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::DeviceStore> store_;
  prometheus::Registry registry_;
  std::unique_ptr<engine::IngestMetrics> metrics_;
  std::deque<v1::Observation> observations_;
  v1::AgentInfo agent_ = Agent();
  std::atomic<int> memory_releases_{0};
  absl::Mutex idle_clock_mu_;
  absl::Time idle_now_ ABSL_GUARDED_BY(idle_clock_mu_) = BaseTime();
  std::unique_ptr<engine::IngestPipeline> pipeline_;
};

TEST_F(IngestPipelineTest, RequestLargerThanCapacityIsRefusedImmediately) {
  StartPipeline(/*capacity=*/1);
  std::atomic<int> calls{0};
  absl::Status status = pipeline_->Submit(Request({"PT-1", "PT-2"}, [&](Results) { ++calls; }));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(pipeline_->queued_observations(), 0u);
  pipeline_.reset();
  EXPECT_EQ(calls.load(), 0);
  EXPECT_FALSE(Stored("PT-1"));
  EXPECT_FALSE(Stored("PT-2"));
}

TEST_F(IngestPipelineTest, FullQueueRefusesUntilTheWriterDrains) {
  StartPipeline(/*capacity=*/1);
  absl::Notification entered, release;
  Results held;
  ASSERT_TRUE(pipeline_->Submit(HoldingRequest("PT-A", &entered, &release, &held)).ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));  // A committed; writer now busy
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(Stored("PT-A"));

  absl::Notification b_done;
  Results b_results;
  ASSERT_TRUE(pipeline_
                  ->Submit(Request({"PT-B"},
                                   [&](Results r) {
                                     b_results = std::move(r);
                                     b_done.Notify();
                                   }))
                  .ok());
  EXPECT_EQ(pipeline_->queued_observations(), 1u);
  std::atomic<int> c_calls{0};
  absl::Status refused = pipeline_->Submit(Request({"PT-C"}, [&](Results) { ++c_calls; }));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;

  release.Notify();
  ASSERT_TRUE(b_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(b_results.ok());
  EXPECT_EQ(*b_results, std::vector<ApplyResult>{ApplyResult::kAccepted});
  EXPECT_TRUE(Stored("PT-B"));
  EXPECT_EQ(pipeline_->queued_observations(), 0u);
  // Room again.
  absl::Notification d_done;
  ASSERT_TRUE(pipeline_->Submit(Request({"PT-C"}, [&](Results) { d_done.Notify(); })).ok());
  ASSERT_TRUE(d_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(c_calls.load(), 0);
}

TEST_F(IngestPipelineTest, SubmitAfterStopIsUnavailableAndNeverCalledBack) {
  StartPipeline(100);
  pipeline_->Stop();
  pipeline_->Stop();  // idempotent
  std::atomic<int> calls{0};
  absl::Status status = pipeline_->Submit(Request({"PT-1"}, [&](Results) { ++calls; }));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  pipeline_.reset();
  EXPECT_EQ(calls.load(), 0);
  EXPECT_FALSE(Stored("PT-1"));
}

// Everything queued when the pipeline stops is still committed (here: by the time the destructor returns).
TEST_F(IngestPipelineTest, EverythingQueuedAtStopIsCommitted) {
  StartPipeline(100);
  absl::Notification entered, release;
  Results held;
  ASSERT_TRUE(pipeline_->Submit(HoldingRequest("PT-A", &entered, &release, &held)).ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  std::atomic<int> calls{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pipeline_
                    ->Submit(Request({absl::StrCat("PT-", i)},
                                     [&](Results r) {
                                       EXPECT_TRUE(r.ok());
                                       ++calls;
                                     }))
                    .ok());
  }
  // Stop() waits for the held commit, so it runs on its own thread. (Refusal after Stop has its own test.)
  std::thread stopper([&] { pipeline_->Stop(); });
  release.Notify();
  stopper.join();
  pipeline_.reset();
  EXPECT_EQ(calls.load(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Stored(absl::StrCat("PT-", i)));
}

// ingest_pipeline.h documents Stop() as "Refuses new requests, commits everything already queued, then returns". So
// when Stop() returns, every queued request must have been committed and called back. With the writer held inside a
// commit, Stop() must therefore not return before the writer is released.
TEST_F(IngestPipelineTest, StopReturnsOnlyAfterEverythingQueuedIsCommitted) {
  StartPipeline(100);
  absl::Notification entered, release;
  Results held;
  ASSERT_TRUE(pipeline_->Submit(HoldingRequest("PT-A", &entered, &release, &held)).ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  std::atomic<int> calls{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pipeline_->Submit(Request({absl::StrCat("PT-", i)}, [&](Results) { ++calls; })).ok());
  }

  absl::Notification stop_returned;
  std::atomic<int> calls_when_stop_returned{-1};
  std::thread stopper([&] {
    pipeline_->Stop();
    calls_when_stop_returned = calls.load();
    stop_returned.Notify();
  });
  // While the writer is held nothing queued can be committed, so a conforming Stop() is still waiting.
  const bool returned_while_held = stop_returned.WaitForNotificationWithTimeout(absl::Milliseconds(300));
  release.Notify();
  stopper.join();

  EXPECT_FALSE(returned_while_held) << "Stop() returned while 3 queued requests were still uncommitted";
  EXPECT_EQ(calls_when_stop_returned.load(), 3) << "requests called back by the time Stop() returned";
}

// Group commit: what queues up while the writer is busy is committed together, bounded by max_commit_observations.
TEST_F(IngestPipelineTest, QueuedRequestsAreCommittedInGroups) {
  StartPipeline(100, /*max_commit=*/4);
  absl::Notification entered, release;
  Results held;
  ASSERT_TRUE(pipeline_->Submit(HoldingRequest("PT-A", &entered, &release, &held)).ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_EQ(Commits(), 1u);
  std::atomic<int> calls{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pipeline_->Submit(Request({absl::StrCat("PT-", i)}, [&](Results) { ++calls; })).ok());
  }
  // An oversized request is still taken (alone), not stalled forever.
  std::vector<std::string> big;
  for (int i = 0; i < 6; ++i) big.push_back(absl::StrCat("PT-big-", i));
  ASSERT_TRUE(pipeline_
                  ->Submit(Request(big,
                                   [&](Results r) {
                                     EXPECT_TRUE(r.ok());
                                     EXPECT_EQ(r->size(), 6u);
                                     ++calls;
                                   }))
                  .ok());
  release.Notify();
  pipeline_.reset();
  EXPECT_EQ(calls.load(), 11);
  // 1 (A) + 10 single requests in groups of at most 4 (3 commits) + 1 for the oversized request.
  EXPECT_EQ(Commits(), 5u);
  EXPECT_TRUE(Stored("PT-big-5"));
}

// Results come back per request, in each request's order, including duplicates within one request.
TEST_F(IngestPipelineTest, ResultsArePerRequestAndInOrder) {
  StartPipeline(100);
  observations_.push_back(Obs("PT-1").Seq(2));
  observations_.push_back(Obs("PT-1").Seq(2));
  observations_.push_back(Obs("PT-1").Seq(1));
  observations_.push_back(Obs("PT-2").Seq(1));
  engine::IngestRequest request;
  for (std::size_t i = observations_.size() - 4; i < observations_.size(); ++i) {
    request.observations.push_back({&observations_[i], &agent_});
  }
  absl::Notification done;
  Results results;
  request.done = [&](Results r) {
    results = std::move(r);
    done.Notify();
  };
  ASSERT_TRUE(pipeline_->Submit(std::move(request)).ok());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(*results, (std::vector<ApplyResult>{ApplyResult::kAccepted, ApplyResult::kDuplicate,
                                                ApplyResult::kDuplicate, ApplyResult::kAccepted}));
}

// Many submitters at once: every accepted request is called back exactly once, with one result per observation.
TEST_F(IngestPipelineTest, CallbackCalledExactlyOncePerRequest) {
  StartPipeline(100'000, /*max_commit=*/16);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::atomic<int>> calls(kThreads * kPerThread);
  std::vector<std::atomic<int>> sizes(kThreads * kPerThread);
  // Build every request up front (observations_ is not thread-safe), then submit concurrently.
  std::vector<engine::IngestRequest> requests;
  for (int r = 0; r < kThreads * kPerThread; ++r) {
    std::vector<std::string> tags;
    for (int k = 0; k <= r % 3; ++k) tags.push_back(absl::StrCat("PT-", r, "-", k));
    requests.push_back(Request(tags, [&calls, &sizes, r](Results results) {
      ++calls[r];
      sizes[r] = results.ok() ? static_cast<int>(results->size()) : -1;
    }));
  }
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!pipeline_->Submit(std::move(requests[t * kPerThread + i])).ok()) ++refused;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  pipeline_.reset();
  EXPECT_EQ(refused.load(), 0);
  for (int r = 0; r < kThreads * kPerThread; ++r) {
    EXPECT_EQ(calls[r].load(), 1) << "request " << r;
    EXPECT_EQ(sizes[r].load(), r % 3 + 1) << "request " << r;
  }
  EXPECT_TRUE(Stored("PT-199-1"));
}

// Memory is handed back once per burst: after the writer has been idle for the set time following a commit, never
// while requests keep coming, and not again until another commit. The idle time runs on a clock the test moves.
TEST_F(IngestPipelineTest, MemoryIsReleasedOnceAfterABurstWhenIdle) {
  StartPipeline(100, 8'192, /*release_memory_after_idle=*/absl::Seconds(1));
  AdvanceIdleClock(absl::Hours(1));
  RunWriterTask();
  EXPECT_EQ(memory_releases_.load(), 0) << "released without a commit";

  // Requests 200 ms apart keep the writer from ever being idle for a second.
  for (int i = 0; i < 10; ++i) {
    Commit({absl::StrCat("PT-", i)});
    RunWriterTask();  // the commit has set its release time
    AdvanceIdleClock(absl::Milliseconds(200));
    RunWriterTask();
  }
  EXPECT_EQ(memory_releases_.load(), 0) << "released while busy";

  // Writer tasks (the service's sweeps run every few hundred milliseconds) do not postpone the release: it is due one
  // second after the last commit, not one second after the last task.
  AdvanceIdleClock(absl::Milliseconds(799));
  RunWriterTask();
  EXPECT_EQ(memory_releases_.load(), 0) << "released before a full second of idle time";
  AdvanceIdleClock(absl::Milliseconds(1));
  RunWriterTask();
  EXPECT_EQ(memory_releases_.load(), 1);

  AdvanceIdleClock(absl::Hours(1));
  RunWriterTask();
  EXPECT_EQ(memory_releases_.load(), 1) << "released again without a commit";

  Commit({"PT-again"});
  RunWriterTask();
  AdvanceIdleClock(absl::Seconds(1));
  RunWriterTask();
  EXPECT_EQ(memory_releases_.load(), 2);
}

// No task wakes the writer here: its own timer does, and it finds the idle clock (moved on in real-time steps) past
// the release time.
TEST_F(IngestPipelineTest, TheWriterTimerReleasesMemoryOnItsOwn) {
  StartPipeline(100, 8'192, /*release_memory_after_idle=*/absl::Milliseconds(50));
  Commit({"PT-1"});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (memory_releases_.load() == 0 && absl::Now() < deadline) {
    AdvanceIdleClock(absl::Milliseconds(10));
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(memory_releases_.load(), 1);
}

TEST_F(IngestPipelineTest, ZeroIdleTimeNeverReleasesMemory) {
  StartPipeline(100, 8'192, /*release_memory_after_idle=*/absl::ZeroDuration());
  Commit({"PT-1"});
  AdvanceIdleClock(absl::Hours(1));
  RunWriterTask();
  pipeline_.reset();
  EXPECT_EQ(memory_releases_.load(), 0);
}

}  // namespace
}  // namespace pumptrack::service
