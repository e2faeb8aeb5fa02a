#include "bench/load_stats.h"

#include <algorithm>

namespace pumptrack::bench {
namespace {

// The nearest-rank `q` quantile of sorted samples.
absl::Duration Quantile(const std::vector<std::int64_t>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size()));
  return absl::Nanoseconds(sorted[std::min(rank, sorted.size() - 1)]);
}

}  // namespace

void LatencySamples::Merge(const LatencySamples& other) {
  nanos_.insert(nanos_.end(), other.nanos_.begin(), other.nanos_.end());
}

LatencySummary LatencySamples::Summarize() const {
  LatencySummary summary;
  summary.count = nanos_.size();
  if (nanos_.empty()) return summary;
  std::vector<std::int64_t> sorted = nanos_;
  std::sort(sorted.begin(), sorted.end());
  summary.p50 = Quantile(sorted, 0.50);
  summary.p99 = Quantile(sorted, 0.99);
  summary.p999 = Quantile(sorted, 0.999);
  summary.max = absl::Nanoseconds(sorted.back());
  return summary;
}

void ReportCounts::Add(const ReportCounts& other) {
  accepted += other.accepted;
  duplicate += other.duplicate;
  rejected += other.rejected;
  overloaded += other.overloaded;
  unavailable += other.unavailable;
}

void ReportStats::Merge(const ReportStats& other) {
  in_window.Add(other.in_window);
  ack_latency.Merge(other.ack_latency);
  sent += other.sent;
  acknowledged += other.acknowledged;
  failed_calls += other.failed_calls;
  protocol_errors += other.protocol_errors;
  if (first_error.empty()) first_error = other.first_error;
}

void ReportStats::NoteError(const std::string& error) {
  if (first_error.empty()) first_error = error;
}

void DurableSequences::Advance(int pump, std::uint64_t sequence) {
  std::atomic<std::uint64_t>& slot = sequences_[pump];
  std::uint64_t current = slot.load(std::memory_order_relaxed);
  while (current < sequence && !slot.compare_exchange_weak(current, sequence, std::memory_order_release)) {
  }
}

}  // namespace pumptrack::bench
