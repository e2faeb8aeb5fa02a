#include "agents/agent.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace pumptrack::agents {
namespace {

// Stream failures after which the agent may be let in later (the service or the network is busy or briefly gone, or
// the call ran out of time); anything else means the service refuses this agent or its reports as they are.
bool IsTransient(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kInternal;
}

}  // namespace

Agent::Agent(std::unique_ptr<ObservationSource> source, std::unique_ptr<Buffer> buffer, std::unique_ptr<Uplink> uplink,
             AgentOptions options, AgentMetrics& metrics)
    : source_(std::move(source)),
      buffer_(std::move(buffer)),
      uplink_(std::move(uplink)),
      options_(options),
      metrics_(metrics) {}

void Agent::RequestStop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  uplink_->Cancel();
}

void Agent::UpdateGauges() {
  metrics_.SetBuffered(buffer_->size());
  metrics_.UpdateLastAckAge(options_.clock->Now());
}

absl::Status Agent::Run() {
  const absl::Time started = options_.clock->Now();
  const absl::Time deadline =
      options_.deadline == absl::InfiniteDuration() ? absl::InfiniteFuture() : started + options_.deadline;
  int64_t rounds_run = 0;
  absl::Time next_round = started;
  absl::Time retry_at = absl::InfinitePast();
  absl::Duration backoff = options_.initial_backoff;
  absl::Time last_reconnect_log = absl::InfinitePast();
  int64_t failures_since_log = 0;
  UpdateGauges();

  while (!stop_.HasBeenNotified()) {
    absl::Time now = options_.clock->Now();
    const bool rounds_done = options_.rounds != 0 && rounds_run >= options_.rounds;
    if (!rounds_done && now >= next_round) {
      RETURN_IF_ERROR(RunRound(++rounds_run));
      next_round = std::max(next_round + options_.interval, options_.clock->Now());
      UpdateGauges();
      continue;
    }

    if (buffer_->size() > 0 && now >= retry_at) {
      absl::Status status = Deliver(rounds_done ? deadline : std::min(next_round, deadline));
      UpdateGauges();
      if (stop_.HasBeenNotified()) break;
      if (status.ok()) {
        if (failures_since_log > 0) {
          spdlog::info("delivering again after {} failed attempts", failures_since_log);
          failures_since_log = 0;
        }
        backoff = options_.initial_backoff;
        retry_at = absl::InfinitePast();
      } else {
        if (status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kFailedPrecondition) {
          return status;  // the buffer itself failed
        }
        if (!IsTransient(status.code()) && options_.fail_fast) {
          return absl::Status(status.code(),
                              absl::StrFormat("%s; %d reports undelivered", status.message(), buffer_->size()));
        }
        if (!IsTransient(status.code())) backoff = options_.max_backoff;
        metrics_.AddReconnect();
        ++failures_since_log;
        const absl::Duration wait = Jittered(backoff);
        if (options_.clock->Now() - last_reconnect_log >= options_.reconnect_log_period) {
          spdlog::warn("delivery failed ({}); {} reports buffered; reconnecting in {} ({} failed attempts)",
                       status.ToString(), buffer_->size(), absl::FormatDuration(wait), failures_since_log);
          last_reconnect_log = options_.clock->Now();
        }
        retry_at = options_.clock->Now() + wait;
        backoff = std::min(backoff * 2, options_.max_backoff);
      }
      continue;
    }

    if (rounds_done && buffer_->size() == 0) return absl::OkStatus();
    now = options_.clock->Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrFormat("%d reports undelivered after %s (kept in the buffer for the next run)", buffer_->size(),
                          absl::FormatDuration(options_.deadline)));
    }
    absl::Time wake = std::min(deadline, now + absl::Seconds(1));  // the gauges are refreshed at least every second
    if (!rounds_done) wake = std::min(wake, next_round);
    if (buffer_->size() > 0) wake = std::min(wake, retry_at);
    options_.clock->WaitUntil(wake, stop_);
    UpdateGauges();
  }

  if (options_.rounds != 0 && rounds_run < options_.rounds) {
    return absl::CancelledError(absl::StrFormat("stopped after %d of %d rounds", rounds_run, options_.rounds));
  }
  return absl::OkStatus();
}

absl::Status Agent::RunRound(int64_t number) {
  // Durations logged below are measured on the system clock; the round's time is the agent's.
  const absl::Time observe_started = absl::Now();
  absl::StatusOr<std::vector<pumptrack::v1::Observation>> round = source_->NextRound(options_.clock->Now());
  if (!round.ok()) {
    // The feed is unreadable for now; the next round tries again.
    spdlog::error("round {}: the {} adapter failed: {}", number, source_->name(), round.status().ToString());
    return absl::OkStatus();
  }
  const size_t observed = round->size();
  const BufferDrops drops_before = buffer_->drops();
  const absl::Time append_started = absl::Now();
  absl::Status status = buffer_->Append(*round);
  const absl::Duration append_time = absl::Now() - append_started;
  source_->RoundBuffered(status);
  if (!status.ok()) {
    spdlog::error("round {}: could not buffer {} observations: {}", number, observed, status.ToString());
    return status;
  }
  const int64_t overflow = buffer_->drops().overflow - drops_before.overflow;
  if (overflow > 0) {
    metrics_.AddDroppedOverflow(overflow);
    spdlog::warn("round {}: the buffer is full; dropped the {} oldest reports", number, overflow);
  }
  spdlog::info("round {}: observed={} buffered={} observe_ms={:.0f} buffer_write_ms={:.0f}", number, observed,
               buffer_->size(), absl::ToDoubleMilliseconds(append_started - observe_started),
               absl::ToDoubleMilliseconds(append_time));
  return absl::OkStatus();
}

absl::Status Agent::Deliver(absl::Time until) {
  const absl::Time started = absl::Now();  // for the log line's duration
  RoundReport total;
  absl::Status status;
  while (!stop_.HasBeenNotified() && buffer_->size() > 0) {
    const int64_t unencodable_before = buffer_->drops().unencodable;
    ASSIGN_OR_RETURN(std::vector<BufferedObservation> entries, buffer_->ReadOldest(options_.delivery_chunk));
    const int64_t unencodable = buffer_->drops().unencodable - unencodable_before;
    if (unencodable > 0) {
      metrics_.AddDroppedUnencodable(unencodable);
      spdlog::warn("dropped {} buffered reports that cannot be encoded", unencodable);
    }
    if (entries.empty()) continue;

    std::vector<uint64_t> ids;
    std::vector<pumptrack::v1::Observation> observations;
    ids.reserve(entries.size());
    observations.reserve(entries.size());
    for (BufferedObservation& entry : entries) {
      ids.push_back(entry.id);
      observations.push_back(std::move(entry.observation));
    }
    entries.clear();
    metrics_.AddSent(static_cast<int64_t>(ids.size()));

    absl::Status remove_status;
    auto on_ack = [&](size_t first, const pumptrack::v1::ReportBatchAck& ack) {
      int64_t acknowledged = 0;
      int64_t rejected = 0;
      for (const pumptrack::v1::ObservationResult& result : ack.results()) {
        if (result.result() == pumptrack::v1::REPORT_RESULT_ACCEPTED ||
            result.result() == pumptrack::v1::REPORT_RESULT_DUPLICATE) {
          ++acknowledged;
        } else {
          ++rejected;
        }
      }
      absl::Status removed = buffer_->Remove(std::span<const uint64_t>(ids).subspan(first, ack.results_size()));
      if (!removed.ok() && remove_status.ok()) remove_status = removed;
      metrics_.AddAcknowledged(acknowledged, options_.clock->Now());
      if (rejected > 0) metrics_.AddDroppedRejected(rejected);
      metrics_.SetBuffered(buffer_->size());
    };
    RoundReport report;
    status = uplink_->SendRound(std::move(observations), &report, on_ack);
    total.observations += report.observations;
    total.accepted += report.accepted;
    total.duplicates += report.duplicates;
    total.rejected += report.rejected;
    total.resent_batches += report.resent_batches;
    if (!remove_status.ok()) return remove_status;
    if (!status.ok() || options_.clock->Now() >= until) break;
  }
  if (total.acknowledged() > 0) {
    spdlog::info("delivered: accepted={} duplicates={} rejected={} resent_batches={} buffered={} ms={:.0f}",
                 total.accepted, total.duplicates, total.rejected, total.resent_batches, buffer_->size(),
                 absl::ToDoubleMilliseconds(absl::Now() - started));
  }
  return status;
}

}  // namespace pumptrack::agents
