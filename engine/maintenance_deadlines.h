// The maintenance deadline queue: for each pump, the next time its maintenance findings change with time alone (a PM
// or a component's PM entering its warning window or falling due; rules::NextMaintenanceChange), earliest first, so the
// maintenance sweep reads only the pumps whose time has come (docs/MAINTENANCE.md).
#ifndef PUMPTRACK_ENGINE_MAINTENANCE_DEADLINES_H_
#define PUMPTRACK_ENGINE_MAINTENANCE_DEADLINES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/fleet_index.h"
#include "engine/string_ids.h"

namespace pumptrack::engine {

// One deadline per pump, in milliseconds (DeadlineQueue: rounded up, never before the real time). Coherent because
// every write that can move a pump's deadline (a report, a record or import, an override, a custody change such as a
// retirement, the re-evaluation after a policy change) evaluates the pump on the writer, and FindingEngine sets the
// pump's deadline from that evaluation when the write commits (Set): the deadline set last is the pump's only valid
// one, and older queue entries are dropped when they come up. Thread-safe.
class MaintenanceDeadlines {
 public:
  // The pump's next change (nullopt: none ahead), replacing whatever was scheduled. Called at commit.
  void Set(const std::string& tag, std::optional<absl::Time> next);
  // Schedules `next` unless an earlier deadline is scheduled (the start-up scan, which reads outside the writer: an
  // early wake is harmless, as the sweep re-evaluates the pump and the commit sets its true deadline).
  void Offer(const std::string& tag, absl::Time next);
  // Pumps whose deadline has passed at `now`, earliest first, at most `limit`; each is unscheduled until its next
  // evaluation sets it again. Pumps not yet due are not looked at, so a burst drains a chunk at a time.
  std::vector<std::string> TakeExpired(absl::Time now, std::size_t limit = SIZE_MAX);
  // The earliest scheduled deadline, if any (superseded entries at the front are dropped on the way).
  std::optional<absl::Time> Next();
  // Pumps with a deadline scheduled; entries in the queue (valid and superseded).
  std::size_t scheduled() const;
  std::size_t queued() const;

 private:
  static constexpr std::int64_t kNone = INT64_MAX;
  std::uint32_t IdOf(const std::string& tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Schedule(std::uint32_t id, std::int64_t deadline_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops superseded entries once they outnumber the valid ones.
  void CompactIfNeeded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  DeadlineQueue queue_ ABSL_GUARDED_BY(mu_);
  StringIds tags_ ABSL_GUARDED_BY(mu_);
  // Per id: the valid deadline (kNone: none scheduled).
  std::vector<std::int64_t> current_ ABSL_GUARDED_BY(mu_);
  std::size_t scheduled_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_MAINTENANCE_DEADLINES_H_
