#include "agents/agent.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace pumptrack::agents {

Agent::Agent(std::unique_ptr<ObservationSource> source, std::unique_ptr<Uplink> uplink, Sequencer sequencer,
             AgentOptions options)
    : source_(std::move(source)), uplink_(std::move(uplink)), sequencer_(std::move(sequencer)), options_(options) {}

void Agent::RequestStop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  uplink_->Cancel();
}

absl::Status Agent::Run() {
  int64_t rounds_run = 0;
  int64_t rounds_failed = 0;
  absl::Status last_failure;
  absl::Time next_start = absl::Now();
  while (!stop_.HasBeenNotified() && (options_.rounds == 0 || rounds_run < options_.rounds)) {
    absl::Status status = RunRound(rounds_run + 1);
    if (stop_.HasBeenNotified()) break;  // the round was cut short on purpose: neither run nor failed
    ++rounds_run;
    if (!status.ok()) {
      if (options_.stop_on_failure) return status;
      ++rounds_failed;
      last_failure = std::move(status);
    }
    if (options_.rounds != 0 && rounds_run == options_.rounds) break;
    next_start = std::max(next_start + options_.interval, absl::Now());
    stop_.WaitForNotificationWithDeadline(next_start);
  }

  if (rounds_failed > 0) {
    return absl::Status(last_failure.code(), absl::StrFormat("%d of %d rounds failed; the last: %s", rounds_failed,
                                                             rounds_run, last_failure.message()));
  }
  if (options_.rounds != 0 && rounds_run < options_.rounds) {
    return absl::CancelledError(absl::StrFormat("stopped after %d of %d rounds", rounds_run, options_.rounds));
  }
  return absl::OkStatus();
}

absl::Status Agent::RunRound(int64_t number) {
  const absl::Time started = absl::Now();
  absl::StatusOr<std::vector<pumptrack::v1::Observation>> round = source_->NextRound(started);
  if (!round.ok()) {
    spdlog::error("round {}: the {} adapter failed: {}", number, source_->name(), round.status().ToString());
    return round.status();
  }
  sequencer_.Assign(*round);
  RoundReport report;
  absl::Status status = uplink_->SendRound(std::move(*round), &report);
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - started);
  if (status.ok()) {
    spdlog::info("round {}: pumps={} accepted={} duplicates={} rejected={} resent_batches={} ms={:.0f}", number,
                 report.observations, report.accepted, report.duplicates, report.rejected, report.resent_batches,
                 ms);
  } else if (!stop_.HasBeenNotified()) {
    spdlog::error("round {} failed: {} (pumps={} accepted={} duplicates={} rejected={} ms={:.0f})", number,
                  status.ToString(), report.observations, report.accepted, report.duplicates, report.rejected, ms);
  }
  return status;
}

}  // namespace pumptrack::agents
