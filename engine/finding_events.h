#ifndef PUMPTRACK_ENGINE_FINDING_EVENTS_H_
#define PUMPTRACK_ENGINE_FINDING_EVENTS_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "pumptrack/v1/finding.pb.h"

namespace pumptrack::engine {

// One subscriber's bounded queue of finding events. When the publisher finds it full, the queue is emptied and a
// single RESYNC event takes its place, so a slow subscriber costs the publisher O(1) and never blocks it.
class FindingSubscription {
 public:
  FindingSubscription(v1::FindingKind kind, std::size_t capacity) : kind_(kind), capacity_(capacity) {}

  // Called by the bus (publisher side). Returns true if the subscription went from empty to non-empty, so the
  // consumer may need waking.
  bool Offer(const v1::FindingEvent& event);
  // The next event, or nullptr if none is waiting. Consumer side.
  std::unique_ptr<v1::FindingEvent> Next();
  // Blocks up to `timeout` for an event; nullptr on timeout or once closed.
  std::unique_ptr<v1::FindingEvent> WaitNext(absl::Duration timeout);
  void Close();
  bool closed() const;

 private:
  const v1::FindingKind kind_;
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<v1::FindingEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool resync_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Fans finding events out to subscribers. Thread-safe.
class FindingEventBus {
 public:
  explicit FindingEventBus(std::size_t subscriber_capacity = 1024) : capacity_(subscriber_capacity) {}

  // `on_ready` is called (outside the bus's lock, on the publishing thread) whenever the subscription goes from empty
  // to non-empty; it must not block.
  std::shared_ptr<FindingSubscription> Subscribe(v1::FindingKind kind, std::function<void()> on_ready);
  void Unsubscribe(const FindingSubscription* subscription);
  void Publish(const std::vector<v1::FindingEvent>& events);
  // Closes every subscription and wakes its consumer (at shutdown).
  void CloseAll();
  std::size_t subscribers() const;

 private:
  struct Subscriber {
    std::shared_ptr<FindingSubscription> subscription;
    std::function<void()> on_ready;
  };
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  std::vector<Subscriber> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_FINDING_EVENTS_H_
