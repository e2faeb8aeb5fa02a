#include "service/report_stream_handler.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/report_results.h"
#include "service/status_mapping.h"
#include "service/validation.h"
#include "service/wire.h"

namespace pumptrack::service {
namespace {

using Batch = v1::ReportBatch;
using Ack = v1::ReportBatchAck;

// One batch between being read and its acknowledgement being written. The batch lives on its own arena, so that
// freeing it (on whichever thread drops the last reference, often the ingest writer) is a few block frees.
struct PendingBatch {
  PendingBatch() : arena(ArenaOptions()), batch(google::protobuf::Arena::CreateMessage<Batch>(&arena)) {}

  static google::protobuf::ArenaOptions ArenaOptions() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 64 * 1024;  // a 500-observation batch takes about 0.5 MB parsed
    options.max_block_size = 512 * 1024;
    return options;
  }

  google::protobuf::Arena arena;
  Batch* batch;
  std::optional<Ack> ack;  // set once the batch's outcome is known
};

class ReportStreamReactor : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ReportStreamReactor(grpc::CallbackServerContext* context, const ServiceContext& service)
      : context_(context), service_(service) {
    service_.metrics->AddStreams(1);
    StartRead(&incoming_bytes_);
  }

  void OnReadDone(bool ok) override {
    auto bytes = std::make_shared<grpc::ByteBuffer>();
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (!ok) {  // the agent half-closed (or the call broke): acknowledge what is pending, then finish
        reads_done_ = true;
        MaybeFinishLocked();
        return;
      }
      bytes->Swap(&incoming_bytes_);
      ++outstanding_tasks_;
    }
    // Parsing and validating a batch (up to 1,000 observations) runs on the stream workers, so gRPC's own threads
    // stay free to take people's queries; inline only when there are none or their queue is full.
    if (service_.stream_workers == nullptr ||
        !service_.stream_workers->TrySubmit([this, bytes] { TakeBatch(*bytes); })) {
      TakeBatch(*bytes);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "could not write acknowledgement"));
      return;
    }
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    service_.metrics->AddStreams(-1);
    bool last;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = DeletableLocked();
    }
    if (last) delete this;
  }

 private:
  // Validates the batch just read, records it in order and queues its valid observations. A non-OK status ends the
  // stream (a malformed batch, as opposed to a malformed observation).
  absl::Status AcceptBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const Batch& batch = *incoming_->batch;
    if (batch.batch_id() <= last_batch_id_ && has_batch_) {
      return absl::InvalidArgumentError(absl::StrCat("batch_id: must increase within a stream (got ", batch.batch_id(),
                                                     " after ", last_batch_id_, ")"));
    }
    if (batch.observations().empty() || batch.observations_size() > kMaxObservationsPerBatch) {
      return absl::InvalidArgumentError(absl::StrCat("observations: a batch carries 1-", kMaxObservationsPerBatch,
                                                     " observations, got ", batch.observations_size()));
    }
    if (batch.has_agent()) {
      if (!agent_) {
        ASSIGN_OR_RETURN(engine::Caller caller, service_.auth->AuthorizeAgent(*context_, batch.agent().agent_id()));
        // The stored agent is the authenticated one, whatever the batch claimed.
        v1::AgentInfo agent = batch.agent();
        agent.set_agent_id(caller.actor.name);
        if (std::optional<FieldViolation> violation = ValidateAgentInfo(agent, "agent")) return ToStatus(*violation);
        stored_agent_ = agent;
        DropUnknownFields(*stored_agent_);
        agent_ = std::move(agent);
      } else if (batch.agent().agent_id().empty()
                     ? batch.agent().agent_version() != agent_->agent_version()
                     : !google::protobuf::util::MessageDifferencer::Equals(*agent_, batch.agent())) {
        return absl::InvalidArgumentError("agent: cannot change within a stream");
      }
    } else if (!agent_) {
      return absl::InvalidArgumentError("agent: is required on the first batch of a stream");
    }
    if (has_batch_) {
      // Revocation takes effect on the next batch of an open stream, whatever that batch carries.
      if (absl::StatusOr<engine::Caller> caller = service_.auth->AuthorizeAgent(*context_, agent_->agent_id());
          !caller.ok()) {
        return caller.status();
      }
    }
    has_batch_ = true;
    last_batch_id_ = batch.batch_id();

    std::shared_ptr<PendingBatch> pending = std::move(incoming_);
    pending_.push_back(pending);
    pending_observations_ += static_cast<std::size_t>(batch.observations_size());

    Ack ack;
    ack.set_batch_id(batch_id_of(*pending));
    ack.set_status(v1::BATCH_STATUS_PROCESSED);
    engine::IngestRequest ingest;
    std::vector<int> queued_indexes;
    const absl::Time now = service_.clock();
    const auto& observations = pending->batch->observations();
    for (int i = 0; i < observations.size(); ++i) {
      v1::ObservationResult* result = ack.add_results();
      if (std::optional<FieldViolation> violation =
              ValidateObservation(observations[i], now, absl::StrCat("observations[", i, "]"))) {
        result->set_result(v1::REPORT_RESULT_REJECTED);
        result->set_field(violation->field);
        result->set_reason(violation->reason);
        continue;
      }
      DropUnknownFields(*pending->batch->mutable_observations(i));
      queued_indexes.push_back(i);
    }
    // Several observations of one pump in a batch are applied in sequence order, whatever order they came in;
    // results are mapped back through queued_indexes, so the acknowledgement keeps the batch's order.
    std::stable_sort(queued_indexes.begin(), queued_indexes.end(), [&observations](int a, int b) {
      return std::forward_as_tuple(observations[a].identity().asset_tag(), observations[a].sequence()) <
             std::forward_as_tuple(observations[b].identity().asset_tag(), observations[b].sequence());
    });
    for (int i : queued_indexes) ingest.observations.push_back({&observations[i], &*stored_agent_});
    service_.metrics->CountRejectedInvalid(observations.size() - queued_indexes.size());

    if (queued_indexes.empty()) {
      pending->ack = std::move(ack);
      WriteNextLocked();
      return absl::OkStatus();
    }
    const std::size_t queued = queued_indexes.size();
    const absl::Time received = absl::Now();
    ingest.done = [this, pending, ack = std::move(ack), queued_indexes = std::move(queued_indexes),
                   received](absl::StatusOr<std::vector<storage::ApplyResult>> results) mutable {
      if (results.ok()) {
        CountResults(*service_.metrics, *results);
        service_.metrics->ObserveIngestLatency(absl::Now() - received);
        for (std::size_t k = 0; k < queued_indexes.size(); ++k) {
          ack.mutable_results(queued_indexes[k])->set_result(ToReportResult((*results)[k]));
        }
      } else {
        service_.metrics->CountRejectedStorage(queued_indexes.size());
        ack = UnprocessedAck(*pending, v1::BATCH_STATUS_UNAVAILABLE, ClientFacingStorageError(results.status()));
      }
      OnCommitted(*pending, std::move(ack));
    };
    if (absl::Status submitted = service_.ingest->Submit(std::move(ingest)); !submitted.ok()) {
      service_.metrics->CountRejectedOverloaded(queued);
      pending->ack = UnprocessedAck(
          *pending, absl::IsResourceExhausted(submitted) ? v1::BATCH_STATUS_OVERLOADED : v1::BATCH_STATUS_UNAVAILABLE,
          submitted);
      WriteNextLocked();
      return absl::OkStatus();
    }
    ++outstanding_commits_;
    return absl::OkStatus();
  }

  static std::uint64_t batch_id_of(const PendingBatch& pending) { return pending.batch->batch_id(); }

  static Ack UnprocessedAck(const PendingBatch& pending, v1::BatchStatus status, const absl::Status& why) {
    Ack ack;
    ack.set_batch_id(batch_id_of(pending));
    ack.set_status(status);
    ack.set_message(std::string(why.message()));
    return ack;
  }

  // Runs on the ingest writer thread.
  void OnCommitted(PendingBatch& pending, Ack ack) {
    bool delete_now = false;
    {
      absl::MutexLock lock(&mu_);
      --outstanding_commits_;
      pending.ack = std::move(ack);
      if (!finished_) {
        WriteNextLocked();
      }
      delete_now = DeletableLocked();
    }
    if (delete_now) delete this;
  }

  // Parses the batch just read (without the lock: the writer's acknowledgements need it), then accepts it and reads
  // the next one if the stream has room. May delete the reactor.
  void TakeBatch(const grpc::ByteBuffer& bytes) {
    auto incoming = std::make_shared<PendingBatch>();
    absl::Status status = ParseMessage(bytes, *incoming->batch);
    bool delete_now = false;
    {
      absl::MutexLock lock(&mu_);
      --outstanding_tasks_;
      if (!finished_) {
        incoming_ = std::move(incoming);
        if (status.ok()) status = AcceptBatchLocked();
        if (!status.ok()) {
          FinishLocked(ToGrpcStatus(status));
        } else if (HasRoomLocked()) {
          StartRead(&incoming_bytes_);
        } else {
          reading_paused_ = true;
          service_.metrics->CountStreamReadPause();
        }
      }
      delete_now = DeletableLocked();
    }
    if (delete_now) delete this;
  }

  // Nothing references the reactor any more: gRPC is done with the call, and no commit or batch is outstanding.
  bool DeletableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ && outstanding_commits_ == 0 && outstanding_tasks_ == 0;
  }

  // Writes the oldest pending acknowledgement if it is ready and no write is in progress; resumes reading when the
  // in-flight window has room again.
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (!writing_ && !pending_.empty() && pending_.front()->ack) {
      absl::StatusOr<grpc::ByteBuffer> serialized = SerializeMessage(*pending_.front()->ack);
      if (!serialized.ok()) {
        FinishLocked(ToGrpcStatus(serialized.status()));
        return;
      }
      writing_ = true;
      outgoing_ = *std::move(serialized);
      pending_observations_ -= static_cast<std::size_t>(pending_.front()->batch->observations_size());
      pending_.pop_front();
      StartWrite(&outgoing_);
    }
    if (reading_paused_ && HasRoomLocked()) {
      reading_paused_ = false;
      StartRead(&incoming_bytes_);
    }
  }

  // Whether another batch may be read: the batches read and not yet acknowledged are below both bounds. The
  // observation bound is checked before a read, so a stream may exceed it by at most one batch.
  bool HasRoomLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.size() < kMaxBatchesInFlightPerStream &&
           pending_observations_ < service_.max_stream_inflight_observations;
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && pending_.empty() && !writing_) FinishLocked(grpc::Status::OK);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  grpc::CallbackServerContext* const context_;
  const ServiceContext& service_;
  absl::Mutex mu_;
  grpc::ByteBuffer incoming_bytes_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<PendingBatch> incoming_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<PendingBatch>> pending_ ABSL_GUARDED_BY(mu_);
  // Observations of the batches in pending_ (read, acknowledgement not yet written).
  std::size_t pending_observations_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer outgoing_ ABSL_GUARDED_BY(mu_);
  // The stream's agent as its first batch described it (later batches must match it), and as it is stored.
  std::optional<v1::AgentInfo> agent_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::AgentInfo> stored_agent_ ABSL_GUARDED_BY(mu_);
  std::uint64_t last_batch_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool has_batch_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int outstanding_commits_ ABSL_GUARDED_BY(mu_) = 0;
  int outstanding_tasks_ ABSL_GUARDED_BY(mu_) = 0;  // batches read and not yet taken (TakeBatch)
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* HandleReportStream(grpc::CallbackServerContext* context,
                                                                                const ServiceContext& service) {
  return new ReportStreamReactor(context, service);
}

}  // namespace pumptrack::service
