// Delivers rounds of observations to the service over AgentService.ReportStream.
#ifndef PUMPTRACK_AGENTS_UPLINK_H_
#define PUMPTRACK_AGENTS_UPLINK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::agents {

// The most observations one ReportBatch may carry (agent_service.proto).
inline constexpr int kMaxBatchSize = 1000;
// The default window: 3 batches of 200, 600 observations unacknowledged. Measured (issue #20, docs/FLOW_CONTROL.md):
// against windows of 1,000-16,000 it kept the same throughput while queries' p99 under that load was the lowest,
// because what a query waits behind grows with the data in transit.
inline constexpr int kDefaultBatchSize = 200;
inline constexpr int kDefaultBatchesInFlight = 3;

struct UplinkOptions {
  // Sent as AgentInfo on the first batch of every stream.
  std::string agent_id;
  std::string agent_version;
  // Observations per ReportBatch, 1..kMaxBatchSize.
  int batch_size = kDefaultBatchSize;
  // Batches sent but not yet acknowledged, at least 1.
  int max_batches_in_flight = kDefaultBatchesInFlight;
  // Deadline for delivering a whole round, retries included; also the deadline of each stream.
  absl::Duration round_timeout = absl::Seconds(60);
  // Backoff before resending after an OVERLOADED/UNAVAILABLE ack or a failed stream; doubles up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // A round fails after this many consecutive streams that failed without getting any batch acknowledged.
  int max_failed_streams = 5;
  // Rejected observations logged individually per round (warn); the rest are only counted.
  int max_rejections_logged = 5;
};

// A random 50-100 % of `nominal`: backoffs are jittered so that many agents do not retry in step. Thread-safe.
absl::Duration Jittered(absl::Duration nominal);

// What became of one round.
struct RoundReport {
  size_t observations = 0;
  size_t accepted = 0;
  size_t duplicates = 0;
  size_t rejected = 0;
  // Batches the round was split into.
  size_t batches = 0;
  // Batches sent again: after an OVERLOADED or UNAVAILABLE ack, or because their stream broke before the ack.
  size_t resent_batches = 0;
  // Streams opened for the round.
  size_t streams = 0;

  size_t acknowledged() const { return accepted + duplicates + rejected; }
};

// Sends rounds of observations to the service through an AgentService stub.
//
// A round is split into ReportBatches of up to batch_size observations, sent on one ReportStream with up to
// max_batches_in_flight unacknowledged. Batch ids increase strictly over the uplink's lifetime; a batch that is sent
// again gets a new id. Every ack is matched to the oldest batch in flight (the service acks in order). A batch acked
// OVERLOADED or UNAVAILABLE is resent after a backoff, during which the stream sends nothing. If the stream breaks
// (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED) the unacknowledged batches are resent on a new stream after a backoff;
// the service answers DUPLICATE for any that were in fact stored, so nothing is lost or applied twice. Every backoff
// is jittered (a random 50-100 % of its nominal value) so that many agents do not retry in step.
//
// SendRound is called from one thread at a time; Cancel may be called from any thread.
class Uplink {
 public:
  // Fails with INVALID_ARGUMENT when an option is out of range. `stub` must not be null.
  static absl::StatusOr<std::unique_ptr<Uplink>> Create(
      std::unique_ptr<pumptrack::v1::AgentService::StubInterface> stub, UplinkOptions options);

  // Delivers `observations` and waits until each one is acknowledged (ACCEPTED, DUPLICATE or REJECTED; rejected ones
  // are logged at warn). `report` is always filled in, also on failure. Returns OK when every observation was
  // acknowledged, even if some were rejected. Otherwise:
  //  - DEADLINE_EXCEEDED when round_timeout passed first;
  //  - the service's status (e.g. INVALID_ARGUMENT, UNAUTHENTICATED) when it ended the stream with a non-retryable
  //    error, or the last stream's status after max_failed_streams streams failed without progress;
  //  - INTERNAL when the service broke the protocol (an ack out of order, or with the wrong number of results);
  //  - CANCELLED after Cancel().
  // An empty round succeeds without contacting the service.
  absl::Status SendRound(std::vector<pumptrack::v1::Observation> observations, RoundReport* report);

  // Called once per processed batch, on the thread reading acks, as soon as its ack arrives: `first` is the index (in
  // the round) of the batch's first observation and `ack.results(i)` is the result of observation first + i. Must
  // be quick; the agent uses it to remove acknowledged observations from its buffer.
  using AckCallback = std::function<void(size_t first, const pumptrack::v1::ReportBatchAck& ack)>;

  // As above, calling `on_ack` for every processed batch.
  absl::Status SendRound(std::vector<pumptrack::v1::Observation> observations, RoundReport* report,
                         const AckCallback& on_ack);

  // Makes the running SendRound, and every later one, return CANCELLED promptly. Thread-safe.
  void Cancel();

  const UplinkOptions& options() const { return options_; }

  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;
  ~Uplink();

 private:
  class Stream;

  // One batch of the round being delivered.
  struct PendingBatch {
    size_t ordinal;  // position in the round; batches are (re)sent in this order
    // Shared between the writer thread and the ack reader while in flight; its batch_id is set when it is written.
    std::shared_ptr<pumptrack::v1::ReportBatch> batch;
    int writes = 0;  // times written to a stream so far
  };

  Uplink(std::unique_ptr<pumptrack::v1::AgentService::StubInterface> stub, UplinkOptions options);

  // Runs one ReportStream until `pending` is empty or the stream ends; batches left unacknowledged stay in `pending`.
  // Sets `made_progress` when at least one batch was processed.
  absl::Status RunStream(std::deque<PendingBatch>& pending, absl::Time deadline, RoundReport& report,
                         int& rejections_logged, bool& made_progress, const AckCallback& on_ack);
  // Sleeps `duration` unless cancelled first. Returns false when cancelled.
  bool SleepUnlessCancelled(absl::Duration duration);
  bool cancelled();

  const std::unique_ptr<pumptrack::v1::AgentService::StubInterface> stub_;
  const UplinkOptions options_;
  uint64_t next_batch_id_ = 1;  // only touched by the writer thread of the running stream

  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::CondVar cancel_cv_;
};

}  // namespace pumptrack::agents

#endif  // PUMPTRACK_AGENTS_UPLINK_H_
