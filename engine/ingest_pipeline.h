#ifndef PUMPTRACK_ENGINE_INGEST_PIPELINE_H_
#define PUMPTRACK_ENGINE_INGEST_PIPELINE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/device_store.h"

namespace pumptrack::engine {

class FindingEngine;
class IngestMetrics;
class StorageHealth;
class UtilizationRollup;

// Work that must run on the writer thread, between commits: anything else that changes device state or findings
// (missing detection, re-evaluation, acknowledgements, new homes). It stages and writes its own batch.
using WriterTask = std::function<void()>;

// Called once per submitted request, on the writer thread, with one result per observation (in order) once they are
// durable, or with the storage error (nothing of the request is stored). Must be quick and must not block.
using IngestCallback = std::function<void(absl::StatusOr<std::vector<storage::ApplyResult>>)>;

struct IngestRequest {
  // Validated observations. The pointed-to messages must stay alive until `done` has been called.
  std::vector<storage::IncomingObservation> observations;
  IngestCallback done;
};

struct IngestOptions {
  // Most observations waiting to be committed; further requests are refused with RESOURCE_EXHAUSTED.
  std::size_t queue_capacity = 100'000;
  // Most observations in one commit (one WriteBatch, one synced write).
  std::size_t max_commit_observations = 8'192;
  // Clock for first/last-seen times.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // When set (it must outlive the pipeline), told the result of every commit, and asked before a request is queued:
  // while storage is failing, requests are refused with its status.
  StorageHealth* storage_health = nullptr;
  // Once this long has passed after a commit with no report arriving (writer tasks do not count), `release_memory`
  // runs on the writer thread; zero: never.
  // A burst of reports leaves the allocator holding the memory of its parsed batches; handing it back to the system
  // keeps the resident size proportional to the fleet rather than to the largest burst seen.
  absl::Duration release_memory_after_idle = absl::Seconds(1);
  // Gives free heap memory back to the system; glibc's malloc_trim(0) when unset.
  std::function<void()> release_memory;
  // Clock that measures the idle time above (kept apart from `clock`, whose reads tests count). The writer checks it
  // whenever it wakes: when its timer runs out, and before each writer task, so a test that moves this clock forward
  // and then runs a task sees the release happen before the task.
  std::function<absl::Time()> idle_clock = [] { return absl::Now(); };
  // When set (it must outlive the pipeline), every accepted report is staged into it in the group's write and it is
  // committed or aborted with the write (docs/UTILIZATION.md).
  UtilizationRollup* utilization = nullptr;
};

// Group commit: request handlers submit validated observations; one writer thread takes everything waiting, applies
// it with one synced write and calls each request back. Durability therefore costs one fsync per group, not per
// report, and handlers never block on disk. The writer is the only thread that changes device state and findings:
// each group's findings are staged by the finding engine into the same write batch, and other changes run as
// WriterTasks in queue order.
class IngestPipeline {
 public:
  // The writer thread's name (common/thread_name.h).
  static constexpr char kWriterThreadName[] = "pt-writer";

  // `store`, `metrics` and `findings` (which may be null) must outlive the pipeline. Starts the writer thread.
  IngestPipeline(storage::DeviceStore* store, IngestMetrics* metrics, IngestOptions options,
                 FindingEngine* findings = nullptr);
  // Stops (see Stop) and joins the writer.
  ~IngestPipeline();

  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  // Queues a request. RESOURCE_EXHAUSTED if the queue cannot take its observations now, UNAVAILABLE once stopping,
  // StorageHealth::Admit's refusal while storage is failing; in each case `done` is never called and nothing is
  // stored.
  absl::Status Submit(IngestRequest request);

  // Queues `task` to run on the writer thread. UNAVAILABLE once stopping (the task never runs). Tasks are not
  // bounded by the queue capacity: their callers bound themselves.
  absl::Status SubmitTask(WriterTask task);

  // Refuses new requests, commits everything already queued (calling each request back), then returns.
  // Idempotent; must not be called from an IngestCallback.
  void Stop();

  std::size_t queued_observations() const;

 private:
  // A request, or a task when `task` is set.
  struct QueueItem {
    IngestRequest request;
    WriterTask task;
  };

  void WriterLoop();
  void CommitGroup(std::vector<IngestRequest> group);
  void ReleaseMemory();

  storage::DeviceStore* const store_;
  IngestMetrics* const metrics_;
  const IngestOptions options_;
  FindingEngine* const findings_;

  mutable absl::Mutex mu_;
  std::deque<QueueItem> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t queued_observations_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread writer_;
  std::once_flag joined_;
};

// Runs `work` on `ingest`'s writer thread and waits for its result; UNAVAILABLE when the pipeline is stopping.
template <typename Result>
Result RunOnWriter(IngestPipeline& ingest, std::function<Result()> work) {
  std::promise<Result> promise;
  std::future<Result> future = promise.get_future();
  absl::Status submitted = ingest.SubmitTask([&] { promise.set_value(work()); });
  if (!submitted.ok()) return submitted;
  return future.get();
}

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_INGEST_PIPELINE_H_
