#include "agents/uplink.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace pumptrack::agents {
namespace {

using pumptrack::v1::Observation;
using pumptrack::v1::ReportBatch;
using pumptrack::v1::ReportBatchAck;

// Stream failures worth a new stream: the service or the network is busy or briefly gone.
bool IsRetryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted;
}

}  // namespace

absl::Duration Jittered(absl::Duration nominal) {
  thread_local std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> share(0.5, 1.0);
  return nominal * share(random);
}

// One ReportStream: a writer thread sends pending batches while the calling thread reads acks. Both share the state
// below under mu_. Only the writer mutates a batch (its id and agent, just before writing it); the reader only moves
// batches between the in-flight queue and the pending queue and reads the ones it tallies.
class Uplink::Stream {
 public:
  using ReaderWriter = grpc::ClientReaderWriterInterface<ReportBatch, ReportBatchAck>;

  Stream(Uplink& uplink, std::deque<PendingBatch>& pending, RoundReport& report, int& rejections_logged,
         ReaderWriter& stream, const AckCallback& on_ack)
      : uplink_(uplink),
        on_ack_(on_ack),
        stream_(stream),
        pending_(pending),
        report_(report),
        rejections_logged_(rejections_logged),
        backoff_(uplink.options_.initial_backoff) {}

  // Writer thread: sends pending batches (keeping at most max_batches_in_flight unacknowledged, and pausing during a
  // backoff) until every batch is acknowledged, then half-closes. Returns early when stopped or a write fails.
  void WriteLoop() {
    while (true) {
      std::shared_ptr<ReportBatch> batch;
      {
        absl::MutexLock lock(&mu_);
        const Work work = WaitForWorkLocked();
        if (work == Work::kStop) return;
        if (work == Work::kAllAcknowledged) break;
        batch = TakeNextLocked();
      }
      if (!stream_.Write(*batch)) return;  // the stream is broken; the reader sees it end
    }
    stream_.WritesDone();
  }

  // Calling thread: matches acks to batches until the stream ends. Returns INTERNAL when the service breaks the
  // protocol; the caller then cancels the call.
  absl::Status ReadLoop() {
    ReportBatchAck ack;
    while (stream_.Read(&ack)) {
      absl::MutexLock lock(&mu_);
      RETURN_IF_ERROR(OnAckLocked(ack));
    }
    return absl::OkStatus();
  }

  // Wakes and ends the writer.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    cv_.SignalAll();
  }

  // After both loops ended: puts the batches still in flight back into the pending queue, in round order.
  void ReturnUnacknowledged() {
    absl::MutexLock lock(&mu_);
    for (PendingBatch& batch : in_flight_) InsertInOrder(std::move(batch));
    in_flight_.clear();
  }

  bool made_progress() {
    absl::MutexLock lock(&mu_);
    return made_progress_;
  }

 private:
  enum class Work { kStop, kSend, kAllAcknowledged };

  Work WaitForWorkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (true) {
      if (stopped_) return Work::kStop;
      if (pending_.empty() && in_flight_.empty()) return Work::kAllAcknowledged;
      const bool window_open =
          !pending_.empty() && in_flight_.size() < static_cast<size_t>(uplink_.options_.max_batches_in_flight);
      if (!window_open) {
        cv_.Wait(&mu_);
      } else if (absl::Now() < resume_at_) {
        cv_.WaitWithDeadline(&mu_, resume_at_);
      } else {
        return Work::kSend;
      }
    }
  }

  // Moves the first pending batch to the in-flight queue and returns it, ready to write.
  std::shared_ptr<ReportBatch> TakeNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PendingBatch next = std::move(pending_.front());
    pending_.pop_front();
    next.batch->set_batch_id(uplink_.next_batch_id_++);
    if (sent_agent_) {
      next.batch->clear_agent();
    } else {
      next.batch->mutable_agent()->set_agent_id(uplink_.options_.agent_id);
      next.batch->mutable_agent()->set_agent_version(uplink_.options_.agent_version);
      sent_agent_ = true;
    }
    if (next.writes++ > 0) ++report_.resent_batches;
    in_flight_.push_back(std::move(next));
    return in_flight_.back().batch;
  }

  absl::Status OnAckLocked(const ReportBatchAck& ack) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (in_flight_.empty()) {
      return absl::InternalError(
          absl::StrFormat("the service acknowledged batch %d while none was in flight", ack.batch_id()));
    }
    const ReportBatch& oldest = *in_flight_.front().batch;
    if (ack.batch_id() != oldest.batch_id()) {
      return absl::InternalError(
          absl::StrFormat("the service acknowledged batch %d, expected batch %d", ack.batch_id(), oldest.batch_id()));
    }
    switch (ack.status()) {
      case pumptrack::v1::BATCH_STATUS_PROCESSED:
        if (ack.results_size() != oldest.observations_size()) {
          return absl::InternalError(
              absl::StrFormat("the service answered batch %d with %d results for %d observations", ack.batch_id(),
                              ack.results_size(), oldest.observations_size()));
        }
        Tally(oldest, ack);
        if (on_ack_) on_ack_(in_flight_.front().ordinal * static_cast<size_t>(uplink_.options_.batch_size), ack);
        in_flight_.pop_front();
        backoff_ = uplink_.options_.initial_backoff;
        made_progress_ = true;
        break;
      case pumptrack::v1::BATCH_STATUS_OVERLOADED:
      case pumptrack::v1::BATCH_STATUS_UNAVAILABLE:
        spdlog::debug("batch {} not taken ({}: {}); resending in {}", ack.batch_id(),
                      pumptrack::v1::BatchStatus_Name(ack.status()), ack.message(), absl::FormatDuration(backoff_));
        InsertInOrder(std::move(in_flight_.front()));
        in_flight_.pop_front();
        resume_at_ = absl::Now() + Jittered(backoff_);
        backoff_ = std::min(backoff_ * 2, uplink_.options_.max_backoff);
        break;
      default:
        return absl::InternalError(
            absl::StrFormat("the service answered batch %d with unknown status %d", ack.batch_id(), ack.status()));
    }
    cv_.SignalAll();
    return absl::OkStatus();
  }

  void Tally(const ReportBatch& batch, const ReportBatchAck& ack) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (int i = 0; i < ack.results_size(); ++i) {
      const pumptrack::v1::ObservationResult& result = ack.results(i);
      switch (result.result()) {
        case pumptrack::v1::REPORT_RESULT_ACCEPTED:
          ++report_.accepted;
          break;
        case pumptrack::v1::REPORT_RESULT_DUPLICATE:
          ++report_.duplicates;
          break;
        default:  // REJECTED, or a result this agent does not know: either way the service did not store it
          ++report_.rejected;
          LogRejection(batch.observations(i), result);
          break;
      }
    }
  }

  void LogRejection(const Observation& observation, const pumptrack::v1::ObservationResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (rejections_logged_ >= uplink_.options_.max_rejections_logged) return;
    ++rejections_logged_;
    spdlog::warn("observation of {} (sequence {}) rejected: {}: {}", observation.identity().asset_tag(),
                 observation.sequence(), result.field().empty() ? "(no field)" : result.field(),
                 result.reason().empty() ? pumptrack::v1::ReportResult_Name(result.result()) : result.reason());
  }

  void InsertInOrder(PendingBatch batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto position = std::upper_bound(pending_.begin(), pending_.end(), batch.ordinal,
                                     [](size_t ordinal, const PendingBatch& b) { return ordinal < b.ordinal; });
    pending_.insert(position, std::move(batch));
  }

  Uplink& uplink_;
  const AckCallback& on_ack_;
  ReaderWriter& stream_;

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<PendingBatch>& pending_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingBatch> in_flight_ ABSL_GUARDED_BY(mu_);  // oldest first, as the service acks them
  RoundReport& report_ ABSL_GUARDED_BY(mu_);
  int& rejections_logged_ ABSL_GUARDED_BY(mu_);
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  absl::Time resume_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_agent_ ABSL_GUARDED_BY(mu_) = false;
  bool made_progress_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<Uplink>> Uplink::Create(std::unique_ptr<pumptrack::v1::AgentService::StubInterface> stub,
                                                       UplinkOptions options) {
  if (stub == nullptr) return absl::InvalidArgumentError("uplink needs a stub");
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("batch size must be 1..%d, got %d", kMaxBatchSize, options.batch_size));
  }
  if (options.max_batches_in_flight < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max batches in flight must be at least 1, got %d", options.max_batches_in_flight));
  }
  if (options.round_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("round timeout must be positive");
  }
  if (options.initial_backoff <= absl::ZeroDuration() || options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError("backoff must be positive with max backoff >= initial backoff");
  }
  if (options.max_failed_streams < 1) {
    return absl::InvalidArgumentError("max failed streams must be at least 1");
  }
  return std::unique_ptr<Uplink>(new Uplink(std::move(stub), std::move(options)));
}

Uplink::Uplink(std::unique_ptr<pumptrack::v1::AgentService::StubInterface> stub, UplinkOptions options)
    : stub_(std::move(stub)), options_(std::move(options)) {}

Uplink::~Uplink() = default;

absl::Status Uplink::SendRound(std::vector<Observation> observations, RoundReport* report) {
  return SendRound(std::move(observations), report, AckCallback());
}

absl::Status Uplink::SendRound(std::vector<Observation> observations, RoundReport* report, const AckCallback& on_ack) {
  *report = RoundReport{};
  report->observations = observations.size();
  if (observations.empty()) return absl::OkStatus();

  std::deque<PendingBatch> pending;
  const size_t batch_size = static_cast<size_t>(options_.batch_size);
  for (size_t begin = 0; begin < observations.size(); begin += batch_size) {
    const size_t end = std::min(observations.size(), begin + batch_size);
    auto batch = std::make_shared<ReportBatch>();
    batch->mutable_observations()->Reserve(static_cast<int>(end - begin));
    for (size_t i = begin; i < end; ++i) *batch->add_observations() = std::move(observations[i]);
    pending.push_back(PendingBatch{pending.size(), std::move(batch)});
  }
  report->batches = pending.size();

  const absl::Time deadline = absl::Now() + options_.round_timeout;
  absl::Duration backoff = options_.initial_backoff;
  int failed_streams = 0;
  int rejections_logged = 0;
  absl::Status status;
  while (true) {
    bool made_progress = false;
    status = RunStream(pending, deadline, *report, rejections_logged, made_progress, on_ack);
    if (status.ok() || cancelled()) break;
    if (made_progress) {
      failed_streams = 0;
      backoff = options_.initial_backoff;
    }
    ++failed_streams;
    if (!IsRetryable(status.code()) || failed_streams >= options_.max_failed_streams ||
        absl::Now() + backoff >= deadline) {
      break;
    }
    spdlog::warn("report stream failed ({}); retrying {} unacknowledged batches in {}", status.ToString(),
                 pending.size(), absl::FormatDuration(backoff));
    if (!SleepUnlessCancelled(Jittered(backoff))) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }

  if (report->rejected > static_cast<size_t>(rejections_logged)) {
    spdlog::warn("{} more rejected observations in this round not logged", report->rejected - rejections_logged);
  }
  if (status.ok()) return status;
  if (cancelled()) status = absl::CancelledError("the uplink was cancelled");
  return absl::Status(status.code(), absl::StrFormat("%s (%d of %d observations acknowledged)", status.message(),
                                                     report->acknowledged(), report->observations));
}

absl::Status Uplink::RunStream(std::deque<PendingBatch>& pending, absl::Time deadline, RoundReport& report,
                               int& rejections_logged, bool& made_progress, const AckCallback& on_ack) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return absl::CancelledError("the uplink was cancelled");
    active_context_ = &context;
  }
  ++report.streams;
  std::unique_ptr<Stream::ReaderWriter> call = stub_->ReportStream(&context);
  Stream stream(*this, pending, report, rejections_logged, *call, on_ack);
  std::thread writer([&stream] { stream.WriteLoop(); });
  const absl::Status protocol_status = stream.ReadLoop();
  if (!protocol_status.ok()) {
    context.TryCancel();
    ReportBatchAck ignored;
    while (call->Read(&ignored)) {
    }
  }
  stream.Stop();
  writer.join();
  const grpc::Status finish_status = call->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
  }
  made_progress = stream.made_progress();
  stream.ReturnUnacknowledged();

  if (!protocol_status.ok()) return protocol_status;
  if (!finish_status.ok()) {
    absl::Status status = FromGrpcStatus(finish_status);
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(
          absl::StrFormat("the round was not acknowledged within %s", absl::FormatDuration(options_.round_timeout)));
    }
    return status;
  }
  if (!pending.empty()) {
    return absl::UnavailableError(
        absl::StrFormat("the service ended the stream with %d batches unacknowledged", pending.size()));
  }
  return absl::OkStatus();
}

void Uplink::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (active_context_ != nullptr) active_context_->TryCancel();
  cancel_cv_.SignalAll();
}

bool Uplink::cancelled() {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool Uplink::SleepUnlessCancelled(absl::Duration duration) {
  const absl::Time until = absl::Now() + duration;
  absl::MutexLock lock(&mu_);
  while (!cancelled_ && absl::Now() < until) cancel_cv_.WaitWithDeadline(&mu_, until);
  return !cancelled_;
}

}  // namespace pumptrack::agents
