#include "engine/ingest_pipeline.h"

#include <malloc.h>

#include <optional>
#include <utility>

#include "common/status_macros.h"
#include "common/thread_name.h"
#include "engine/finding_engine.h"
#include "engine/ingest_metrics.h"
#include "engine/storage_health.h"
#include "engine/utilization_rollup.h"

namespace pumptrack::engine {

IngestPipeline::IngestPipeline(storage::DeviceStore* store, IngestMetrics* metrics, IngestOptions options,
                               FindingEngine* findings)
    : store_(store), metrics_(metrics), options_(std::move(options)), findings_(findings), writer_([this] {
        NameThisThread(kWriterThreadName);
        WriterLoop();
      }) {}

IngestPipeline::~IngestPipeline() { Stop(); }

absl::Status IngestPipeline::Submit(IngestRequest request) {
  const std::size_t count = request.observations.size();
  if (options_.storage_health != nullptr) {
    RETURN_IF_ERROR(options_.storage_health->Admit());
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the service is shutting down");
  if (queued_observations_ + count > options_.queue_capacity) {
    return absl::ResourceExhaustedError("ingest queue is full; retry with backoff");
  }
  queued_observations_ += count;
  queue_.push_back({std::move(request), nullptr});
  metrics_->SetIngestQueueDepth(queued_observations_);
  return absl::OkStatus();
}

absl::Status IngestPipeline::SubmitTask(WriterTask task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the service is shutting down");
  queue_.push_back({IngestRequest(), std::move(task)});
  return absl::OkStatus();
}

void IngestPipeline::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // The writer drains the queue before it exits; joining once is enough, later calls find it joined.
  std::call_once(joined_, [this] { writer_.join(); });
}

std::size_t IngestPipeline::queued_observations() const {
  absl::MutexLock lock(&mu_);
  return queued_observations_;
}

void IngestPipeline::WriterLoop() {
  // When to release memory if no report arrives before: set by a commit, cleared by the release. Tasks (sweeps,
  // custody actions) neither set nor postpone it.
  std::optional<absl::Time> release_at;
  while (true) {
    std::vector<IngestRequest> group;
    WriterTask task;
    {
      absl::MutexLock lock(&mu_);
      const absl::Condition has_work(
          +[](IngestPipeline* self)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return !self->queue_.empty() || self->stopping_; },
          this);
      if (release_at) {
        const absl::Duration left = *release_at - options_.idle_clock();
        if (left > absl::ZeroDuration()) mu_.AwaitWithTimeout(has_work, left);
      } else {
        mu_.Await(has_work);
      }
      // Idle: the time has run out and no report is waiting (a queued task does not count as activity).
      const bool idle =
          release_at && options_.idle_clock() >= *release_at && (queue_.empty() || queue_.front().task != nullptr);
      if (idle) {
        // Nothing arrived since the last commit: memory is released below.
      } else if (queue_.empty()) {
        if (stopping_) return;  // everything queued has been committed
        continue;               // the timer ran out before the idle clock reached release_at: wait again
      } else if (queue_.front().task) {
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        std::size_t taken = 0;
        // Always take at least one request, however large, so an oversized one cannot stall the queue. A task ends
        // the group: it must see every request queued before it committed.
        while (
            !queue_.empty() && !queue_.front().task &&
            (group.empty() || taken + queue_.front().request.observations.size() <= options_.max_commit_observations)) {
          taken += queue_.front().request.observations.size();
          group.push_back(std::move(queue_.front().request));
          queue_.pop_front();
        }
        queued_observations_ -= taken;
        metrics_->SetIngestQueueDepth(queued_observations_);
      }
    }
    if (task) {
      task();
    } else if (!group.empty()) {
      CommitGroup(std::move(group));
      if (options_.release_memory_after_idle > absl::ZeroDuration()) {
        release_at = options_.idle_clock() + options_.release_memory_after_idle;
      }
    } else {
      ReleaseMemory();
      release_at.reset();
    }
  }
}

void IngestPipeline::ReleaseMemory() {
  if (options_.release_memory) {
    options_.release_memory();
    return;
  }
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void IngestPipeline::CommitGroup(std::vector<IngestRequest> group) {
  std::vector<storage::IncomingObservation> all;
  for (const IngestRequest& request : group) {
    all.insert(all.end(), request.observations.begin(), request.observations.end());
  }
  const absl::Time started = absl::Now();
  FindingTransaction transaction(findings_);
  storage::DeviceChangeHook hook;
  UtilizationRollup* const utilization = options_.utilization;
  if (findings_ != nullptr || utilization != nullptr) {
    // Every accepted report passes here with the device's previous state (`before`, null for a new device) and its
    // new one (`after`), inside the group's write: the place for anything that follows a state change (findings
    // and the utilization roll-up).
    hook = [this, utilization](const v1::Device* before, const v1::Device& after, rocksdb::WriteBatch& batch) {
      if (utilization != nullptr) RETURN_IF_ERROR(utilization->Stage(after, batch));
      return findings_ != nullptr ? findings_->StageReport(before, after, batch) : absl::OkStatus();
    };
  }
  absl::StatusOr<std::vector<storage::ApplyResult>> results = store_->Apply(all, options_.clock(), true, hook);
  if (results.ok()) transaction.Commit();
  if (utilization != nullptr) {
    if (results.ok()) {
      utilization->Commit();
    } else {
      utilization->Abort();
    }
  }
  metrics_->ObserveCommit(all.size(), absl::Now() - started, results.status());
  if (options_.storage_health != nullptr) options_.storage_health->ObserveWrite(results.status());

  std::size_t offset = 0;
  for (IngestRequest& request : group) {
    const std::size_t count = request.observations.size();
    if (results.ok()) {
      request.done(std::vector<storage::ApplyResult>(results->begin() + offset, results->begin() + offset + count));
    } else {
      request.done(results.status());
    }
    offset += count;
  }
}

}  // namespace pumptrack::engine
