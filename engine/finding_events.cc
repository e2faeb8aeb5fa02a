#include "engine/finding_events.h"

#include <algorithm>
#include <utility>

namespace pumptrack::engine {

bool FindingSubscription::Offer(const v1::FindingEvent& event) {
  if (kind_ != v1::FINDING_KIND_UNSPECIFIED && event.finding().kind() != kind_) return false;
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  const bool was_empty = queue_.empty() && !resync_;
  if (resync_) return false;  // already behind: the consumer re-lists anyway
  if (queue_.size() >= capacity_) {
    queue_.clear();
    resync_ = true;
  } else {
    queue_.push_back(event);
  }
  return was_empty;
}

std::unique_ptr<v1::FindingEvent> FindingSubscription::Next() {
  absl::MutexLock lock(&mu_);
  if (!queue_.empty()) {
    auto event = std::make_unique<v1::FindingEvent>(std::move(queue_.front()));
    queue_.pop_front();
    return event;
  }
  if (resync_) {
    resync_ = false;
    auto event = std::make_unique<v1::FindingEvent>();
    event->set_type(v1::FindingEvent::TYPE_RESYNC);
    return event;
  }
  return nullptr;
}

std::unique_ptr<v1::FindingEvent> FindingSubscription::WaitNext(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || resync_ || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (closed_) return nullptr;
  }
  return Next();
}

void FindingSubscription::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool FindingSubscription::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::shared_ptr<FindingSubscription> FindingEventBus::Subscribe(v1::FindingKind kind, std::function<void()> on_ready) {
  auto subscription = std::make_shared<FindingSubscription>(kind, capacity_);
  absl::MutexLock lock(&mu_);
  subscribers_.push_back({subscription, std::move(on_ready)});
  return subscription;
}

void FindingEventBus::Unsubscribe(const FindingSubscription* subscription) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [&](const Subscriber& s) { return s.subscription.get() == subscription; }),
                     subscribers_.end());
}

void FindingEventBus::Publish(const std::vector<v1::FindingEvent>& events) {
  if (events.empty()) return;
  std::vector<Subscriber> subscribers;
  {
    absl::MutexLock lock(&mu_);
    subscribers = subscribers_;
  }
  for (const Subscriber& subscriber : subscribers) {
    bool woke = false;
    for (const v1::FindingEvent& event : events) woke |= subscriber.subscription->Offer(event);
    if (woke && subscriber.on_ready) subscriber.on_ready();
  }
}

void FindingEventBus::CloseAll() {
  std::vector<Subscriber> subscribers;
  {
    absl::MutexLock lock(&mu_);
    subscribers = subscribers_;
  }
  for (const Subscriber& subscriber : subscribers) {
    subscriber.subscription->Close();
    if (subscriber.on_ready) subscriber.on_ready();
  }
}

std::size_t FindingEventBus::subscribers() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

}  // namespace pumptrack::engine
