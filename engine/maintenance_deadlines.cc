#include "engine/maintenance_deadlines.h"

namespace pumptrack::engine {

std::uint32_t MaintenanceDeadlines::IdOf(const std::string& tag) {
  const auto [id, is_new] = tags_.Intern(tag);
  if (is_new) current_.push_back(kNone);
  return id;
}

void MaintenanceDeadlines::Schedule(std::uint32_t id, std::int64_t deadline_ms) {
  std::int64_t& current = current_[id];
  if (current == deadline_ms) return;
  if (current == kNone) ++scheduled_;
  if (deadline_ms == kNone) --scheduled_;
  current = deadline_ms;
  if (deadline_ms != kNone) queue_.Push(deadline_ms, id);
  CompactIfNeeded();
}

void MaintenanceDeadlines::CompactIfNeeded() {
  if (queue_.size() <= 2 * scheduled_ + 1024) return;
  std::vector<DeadlineQueue::Entry> entries;
  entries.reserve(scheduled_);
  for (std::uint32_t id = 0; id < current_.size(); ++id) {
    if (current_[id] != kNone) entries.emplace_back(current_[id], id);
  }
  queue_.Assign(std::move(entries));
}

void MaintenanceDeadlines::Set(const std::string& tag, std::optional<absl::Time> next) {
  absl::MutexLock lock(&mu_);
  if (next) {
    Schedule(IdOf(tag), DeadlineQueue::ToMillis(*next));
  } else if (std::optional<std::uint32_t> id = tags_.Find(tag)) {
    Schedule(*id, kNone);  // a pump never scheduled needs no entry
  }
}

void MaintenanceDeadlines::Offer(const std::string& tag, absl::Time next) {
  absl::MutexLock lock(&mu_);
  const std::uint32_t id = IdOf(tag);
  const std::int64_t deadline_ms = DeadlineQueue::ToMillis(next);
  if (deadline_ms < current_[id]) Schedule(id, deadline_ms);
}

std::vector<std::string> MaintenanceDeadlines::TakeExpired(absl::Time now, std::size_t limit) {
  const std::int64_t now_ms = absl::ToUnixMillis(now);  // rounded towards the past: never taken early
  std::vector<std::string> expired;
  absl::MutexLock lock(&mu_);
  while (expired.size() < limit && !queue_.empty() && queue_.earliest().first <= now_ms) {
    const auto [deadline_ms, id] = queue_.earliest();
    queue_.Pop();
    if (current_[id] != deadline_ms) continue;  // superseded by a later Set
    current_[id] = kNone;
    --scheduled_;
    expired.push_back(tags_[id]);
  }
  return expired;
}

std::optional<absl::Time> MaintenanceDeadlines::Next() {
  absl::MutexLock lock(&mu_);
  while (!queue_.empty() && current_[queue_.earliest().second] != queue_.earliest().first) queue_.Pop();
  if (queue_.empty()) return std::nullopt;
  return DeadlineQueue::FromMillis(queue_.earliest().first);
}

std::size_t MaintenanceDeadlines::scheduled() const {
  absl::MutexLock lock(&mu_);
  return scheduled_;
}

std::size_t MaintenanceDeadlines::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace pumptrack::engine
