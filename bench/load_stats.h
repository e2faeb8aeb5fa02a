#ifndef PUMPTRACK_BENCH_LOAD_STATS_H_
#define PUMPTRACK_BENCH_LOAD_STATS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace pumptrack::bench {

// The part of a run whose results count: `duration` long, starting after `warmup`. A result counts when its
// acknowledgement (or response) arrives inside the window.
class MeasurementWindow {
 public:
  MeasurementWindow(absl::Time start, absl::Duration warmup, absl::Duration duration)
      : begin_(start + warmup), end_(start + warmup + duration) {}

  absl::Time begin() const { return begin_; }
  absl::Time end() const { return end_; }
  absl::Duration duration() const { return end_ - begin_; }
  bool Contains(absl::Time t) const { return t >= begin_ && t < end_; }

 private:
  absl::Time begin_;
  absl::Time end_;
};

struct LatencySummary {
  std::size_t count = 0;
  absl::Duration p50;
  absl::Duration p99;
  absl::Duration p999;
  absl::Duration max;
};

// Every latency sample of a run (a 20 s run holds at most a few hundred thousand), for exact percentiles.
class LatencySamples {
 public:
  void Record(absl::Duration latency) { nanos_.push_back(absl::ToInt64Nanoseconds(latency)); }
  void Merge(const LatencySamples& other);
  std::size_t count() const { return nanos_.size(); }
  // Nearest-rank percentiles; all zero without samples.
  LatencySummary Summarize() const;

 private:
  std::vector<std::int64_t> nanos_;
};

// Per-observation outcomes.
struct ReportCounts {
  std::uint64_t accepted = 0;     // durable and applied
  std::uint64_t duplicate = 0;    // durable in effect; nothing changed
  std::uint64_t rejected = 0;     // malformed; nothing stored
  std::uint64_t overloaded = 0;   // refused because the ingest queue was full; nothing stored
  std::uint64_t unavailable = 0;  // refused because storage failed; nothing stored

  void Add(const ReportCounts& other);
  std::uint64_t total() const { return accepted + duplicate + rejected + overloaded + unavailable; }
};

// What one report worker (a stream, or a set of unary callers) saw.
struct ReportStats {
  ReportCounts in_window;             // outcomes acknowledged inside the measurement window
  LatencySamples ack_latency;         // per batch (stream) or per call (unary), acknowledged inside the window
  std::uint64_t sent = 0;             // observations sent over the whole run
  std::uint64_t acknowledged = 0;     // observations with any outcome over the whole run
  std::uint64_t failed_calls = 0;     // calls or streams that ended with a non-OK status
  std::uint64_t protocol_errors = 0;  // acknowledgements out of order or with the wrong number of results
  std::string first_error;

  void Merge(const ReportStats& other);
  void NoteError(const std::string& error);
};

struct QueryStats {
  std::uint64_t found = 0;
  std::uint64_t not_found = 0;  // the service denied a device it had acknowledged as durable
  std::uint64_t errors = 0;
  std::uint64_t stale = 0;        // the device's sequence was below one already acknowledged as accepted
  std::uint64_t skipped = 0;      // ticks with no reported device to ask about yet
  LatencySamples latency;         // GetDevice answers received inside the window
  LatencySamples locate_latency;  // Locate answers received inside the window (--query_locate)
  std::string first_error;
};

// The highest sequence acknowledged as ACCEPTED for every pump; written by report workers, read by the query
// worker.
class DurableSequences {
 public:
  explicit DurableSequences(int pumps) : sequences_(std::make_unique<std::atomic<std::uint64_t>[]>(pumps)) {}

  void Advance(int pump, std::uint64_t sequence);
  // 0 when nothing was acknowledged for the pump yet.
  std::uint64_t Get(int pump) const { return sequences_[pump].load(std::memory_order_acquire); }

 private:
  std::unique_ptr<std::atomic<std::uint64_t>[]> sequences_;
};

}  // namespace pumptrack::bench

#endif  // PUMPTRACK_BENCH_LOAD_STATS_H_
