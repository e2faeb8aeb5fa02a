#include "engine/fleet_index.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/active_policy.h"
#include "engine/fleet_metrics.h"
#include "rules/custody.h"
#include "rules/policy.h"

namespace pumptrack::engine {
namespace {

constexpr char kUnknown[] = "unknown";

}  // namespace

std::int64_t DeadlineQueue::ToMillis(absl::Time deadline) {
  std::int64_t ms = absl::ToUnixMillis(deadline);  // rounds towards the past
  if (absl::FromUnixMillis(ms) < deadline) ++ms;
  return ms;
}

FleetIndex::FleetIndex(const ActivePolicy* policy, FleetMetrics* metrics, absl::Duration missing_after_override)
    : policy_(policy), metrics_(metrics), missing_after_override_(missing_after_override) {}

Place FleetIndex::PlaceOf(const std::string& facility, const std::string& unit) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = policy_->get();
  if (policy->proto().site().units().empty()) return {facility, unit};
  if (policy->FindUnit(facility, unit) == nullptr) return {kUnknown, kUnknown};
  return {facility, unit};
}

void FleetIndex::Reserve(std::size_t devices) {
  absl::MutexLock lock(&mu_);
  tags_.reserve(devices);
  tracked_.reserve(devices);
}

void FleetIndex::Load(const std::string& tag, const DeviceUpdate& update) {
  absl::MutexLock lock(&mu_);
  Track(tag, update, /*loading=*/true);
}

void FleetIndex::Apply(const absl::flat_hash_map<std::string, DeviceUpdate>& updates) {
  absl::MutexLock lock(&mu_);
  for (const auto& [tag, update] : updates) Track(tag, update, /*loading=*/false);
}

void FleetIndex::FinishLoad() {
  absl::MutexLock lock(&mu_);
  RebuildDeadlines();
  if (metrics_ == nullptr) return;
  struct Counts {
    std::array<double, v1::OperatingState_ARRAYSIZE> by_state{};
    double missing = 0;
    double available = 0;
  };
  std::vector<Counts> by_place(places_.size());
  for (const Tracked& device : tracked_) {
    Counts& counts = by_place[device.place];
    if (device.state < v1::OperatingState_ARRAYSIZE) counts.by_state[device.state] += 1;
    counts.missing += device.missing ? 1 : 0;
    counts.available += IsAvailable(device) ? 1 : 0;
  }
  for (std::size_t i = 0; i < places_.size(); ++i) {
    const Place& place = places_[i];
    for (int state = 0; state < v1::OperatingState_ARRAYSIZE; ++state) {
      if (by_place[i].by_state[state] > 0) {
        metrics_->AddDevices(place.facility, place.unit, static_cast<v1::OperatingState>(state),
                             by_place[i].by_state[state]);
      }
    }
    if (by_place[i].missing > 0) metrics_->AddMissing(place.facility, place.unit, by_place[i].missing);
    if (by_place[i].available > 0) metrics_->AddAvailable(place.facility, place.unit, by_place[i].available);
  }
}

std::uint32_t FleetIndex::InternPlace(const Place& place) {
  key_buffer_.clear();
  absl::StrAppend(&key_buffer_, place.facility, "\x1f", place.unit);
  auto [it, inserted] = place_ids_.try_emplace(key_buffer_, static_cast<std::uint32_t>(places_.size()));
  if (inserted) {
    places_.push_back(place);
    available_.push_back(0);
  }
  return it->second;
}

bool FleetIndex::IsAvailable(const Tracked& device) {
  const auto state = static_cast<v1::OperatingState>(device.state);
  return device.custody == v1::CUSTODY_STATE_AVAILABLE && !device.missing && !device.blocked &&
         (state == v1::OPERATING_STATE_IDLE || state == v1::OPERATING_STATE_OFF ||
          state == v1::OPERATING_STATE_UNSPECIFIED);
}

std::int64_t FleetIndex::DeadlineOf(const Tracked& device, const rules::CompiledPolicy& policy) const {
  const absl::Duration after =
      policy.MissingAfter(static_cast<v1::OperatingState>(device.state), missing_after_override_);
  // Rounded up, so a deadline in whole milliseconds is never before the real one.
  return device.heard_ms + absl::ToInt64Milliseconds(absl::Ceil(after, absl::Milliseconds(1)));
}

void FleetIndex::Track(const std::string& tag, const DeviceUpdate& update, bool loading) {
  const bool publish = !loading && metrics_ != nullptr;
  const auto [id, is_new] = tags_.Intern(tag);
  if (is_new) tracked_.emplace_back();
  Tracked& device = tracked_[id];
  const std::uint32_t place = InternPlace(update.place);
  const bool was_available = !is_new && IsAvailable(device);
  if (publish && !is_new) {
    const Place& old_place = places_[device.place];
    metrics_->AddDevices(old_place.facility, old_place.unit, static_cast<v1::OperatingState>(device.state), -1);
    if (device.missing) metrics_->AddMissing(old_place.facility, old_place.unit, -1);
    if (was_available) metrics_->AddAvailable(old_place.facility, old_place.unit, -1);
  }
  if (was_available) --available_[device.place];
  device.place = place;
  device.state = static_cast<std::uint8_t>(update.state);
  device.risk = static_cast<std::uint8_t>(std::min<std::uint32_t>(update.risk, 100));
  device.open = static_cast<std::uint16_t>(std::min<std::uint32_t>(update.open, 65535));
  device.missing = update.missing;
  device.custody = static_cast<std::uint8_t>(update.custody);
  device.blocked = update.blocked;
  std::uint32_t profile = 0;
  if (!update.advisory_profile.empty()) {
    key_buffer_.clear();
    update.advisory_profile.AppendKey(key_buffer_);
    auto [it, inserted] = profile_ids_.try_emplace(key_buffer_, static_cast<std::uint32_t>(profiles_.size()));
    if (inserted) {
      profiles_.push_back(Profile{update.advisory_profile, {}});
      for (const std::string& target : update.advisory_profile.Targets()) {
        profiles_by_target_[target].push_back(it->second);
      }
    }
    profile = it->second;
  }
  if (is_new || device.profile != profile) {
    if (!is_new) profiles_[device.profile].devices.erase(id);
    if (profile != 0) profiles_[profile].devices.insert(id);
    device.profile = profile;
  }
  const bool available = IsAvailable(device);
  if (available) ++available_[place];
  if (publish) {
    metrics_->AddDevices(update.place.facility, update.place.unit, update.state, 1);
    if (update.missing) metrics_->AddMissing(update.place.facility, update.place.unit, 1);
    if (available) metrics_->AddAvailable(update.place.facility, update.place.unit, 1);
  }
  if (update.heard) device.heard_ms = DeadlineQueue::ToMillis(*update.heard);
  if (!loading && !device.missing && !device.queued) {
    deadlines_.Push(DeadlineOf(device, *policy_->get()), id);
    device.queued = true;
  }
}

// --- Missing-deadline queue ------------------------------------------------------------------------------------------

void FleetIndex::RebuildDeadlines() {
  std::shared_ptr<const rules::CompiledPolicy> policy = policy_->get();
  std::vector<DeadlineQueue::Entry> entries;
  entries.reserve(tracked_.size());
  for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
    Tracked& device = tracked_[id];
    device.queued = !device.missing;
    if (device.queued) entries.emplace_back(DeadlineOf(device, *policy), id);
  }
  deadlines_.Assign(std::move(entries));
}

std::vector<std::string> FleetIndex::TakeExpired(absl::Time now, std::size_t limit) {
  const std::int64_t now_ms = absl::ToUnixMillis(now);  // rounded towards the past: a deadline is never taken early
  std::vector<std::string> expired;
  std::shared_ptr<const rules::CompiledPolicy> policy = policy_->get();
  absl::MutexLock lock(&mu_);
  while (expired.size() < limit && !deadlines_.empty() && deadlines_.earliest().first <= now_ms) {
    const auto [deadline, id] = deadlines_.earliest();
    deadlines_.Pop();
    Tracked& device = tracked_[id];
    const std::int64_t current = DeadlineOf(device, *policy);
    if (device.missing) {
      device.queued = false;
    } else if (current > now_ms) {
      deadlines_.Push(current, id);  // heard from since it was queued
    } else {
      device.queued = false;
      expired.push_back(tags_[id]);
    }
  }
  return expired;
}

void FleetIndex::RequeueAll() {
  absl::MutexLock lock(&mu_);
  RebuildDeadlines();
}

std::optional<absl::Time> FleetIndex::NextDeadline() const {
  absl::MutexLock lock(&mu_);
  if (deadlines_.empty()) return std::nullopt;
  return DeadlineQueue::FromMillis(deadlines_.earliest().first);
}

// --- Risk aggregation ------------------------------------------------------------------------------------------------

std::vector<RiskGroupSummary> FleetIndex::Risk(v1::GetRiskRequest::GroupBy group_by, int limit) const {
  absl::MutexLock lock(&mu_);
  std::vector<RiskGroupSummary> groups;
  if (group_by == v1::GetRiskRequest::GROUP_BY_DEVICE) {
    std::vector<std::uint32_t> ids;
    for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
      if (tracked_[id].risk > 0) ids.push_back(id);
    }
    // Runs inside std::sort, called with mu_ held.
    std::sort(ids.begin(), ids.end(), [this](std::uint32_t a, std::uint32_t b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (tracked_[a].risk != tracked_[b].risk) return tracked_[a].risk > tracked_[b].risk;
      return tags_[a] < tags_[b];
    });
    if (static_cast<int>(ids.size()) > limit) ids.resize(limit);
    for (std::uint32_t id : ids) {
      const Tracked& device = tracked_[id];
      groups.push_back({tags_[id], 1, 1, device.risk, static_cast<double>(device.risk), device.open});
    }
    return groups;
  }
  std::map<std::string, RiskGroupSummary> by_key;
  for (const Tracked& device : tracked_) {
    const Place& place = places_[device.place];
    const std::string key = group_by == v1::GetRiskRequest::GROUP_BY_FACILITY
                                ? place.facility
                                : absl::StrCat(place.facility, "/", place.unit);
    RiskGroupSummary& group = by_key[key];
    group.key = key;
    ++group.devices;
    if (device.risk > 0) ++group.devices_at_risk;
    group.max_score = std::max<std::uint32_t>(group.max_score, device.risk);
    group.mean_score += device.risk;
    group.open_findings += device.open;
  }
  for (auto& [key, group] : by_key) {
    group.mean_score /= group.devices;
    groups.push_back(std::move(group));
  }
  std::sort(groups.begin(), groups.end(), [](const RiskGroupSummary& a, const RiskGroupSummary& b) {
    if (a.mean_score != b.mean_score) return a.mean_score > b.mean_score;
    return a.key < b.key;
  });
  return groups;
}

std::pair<std::uint32_t, std::uint32_t> FleetIndex::RiskOf(absl::string_view asset_tag) const {
  absl::MutexLock lock(&mu_);
  std::optional<std::uint32_t> id = tags_.Find(asset_tag);
  if (!id) return {0, 0};
  return {tracked_[*id].risk, tracked_[*id].open};
}

// --- Availability search ---------------------------------------------------------------------------------------------

std::uint32_t FleetIndex::AvailableIn(absl::string_view facility, absl::string_view unit) const {
  absl::MutexLock lock(&mu_);
  auto it = place_ids_.find(absl::StrCat(facility, "\x1f", unit));
  return it == place_ids_.end() ? 0 : available_[it->second];
}

std::vector<FleetIndex::AvailablePump> FleetIndex::FindAvailable(const v1::Unit& near, int count) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = policy_->get();
  absl::MutexLock lock(&mu_);
  std::vector<v1::Proximity> proximity(places_.size());
  for (std::size_t i = 0; i < places_.size(); ++i) {
    proximity[i] = rules::ProximityOf(*policy, near, places_[i].facility, places_[i].unit);
  }
  struct Candidate {
    v1::Proximity proximity;
    std::int64_t heard_ms;
    std::uint32_t id;
  };
  std::vector<Candidate> candidates;
  for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
    const Tracked& device = tracked_[id];
    if (IsAvailable(device)) candidates.push_back({proximity[device.place], device.heard_ms, id});
  }
  // Runs inside std::partial_sort, called with mu_ held.
  const auto nearer = [this](const Candidate& a, const Candidate& b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (a.proximity != b.proximity) return a.proximity < b.proximity;
    if (a.heard_ms != b.heard_ms) return a.heard_ms > b.heard_ms;
    return tags_[a.id] < tags_[b.id];
  };
  const std::size_t keep = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(std::max(count, 0)));
  std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), nearer);
  std::vector<AvailablePump> pumps;
  for (std::size_t i = 0; i < keep; ++i) {
    const Candidate& c = candidates[i];
    const Place& place = places_[tracked_[c.id].place];
    pumps.push_back({tags_[c.id], place.facility, place.unit, c.proximity, absl::FromUnixMillis(c.heard_ms)});
  }
  return pumps;
}

std::size_t FleetIndex::tracked_devices() const {
  absl::MutexLock lock(&mu_);
  return tracked_.size();
}

std::vector<std::string> FleetIndex::DevicesWithTargets(const std::vector<std::string>& targets) const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::uint32_t> profiles;
  for (const std::string& target : targets) {
    auto it = profiles_by_target_.find(target);
    if (it != profiles_by_target_.end()) profiles.insert(it->second.begin(), it->second.end());
  }
  std::vector<std::string> out;
  for (std::uint32_t profile : profiles) {
    for (std::uint32_t id : profiles_[profile].devices) out.push_back(tags_[id]);
  }
  return out;
}

std::vector<std::pair<rules::AdvisoryProfile, std::size_t>> FleetIndex::ProfilesWithTargets(
    const std::vector<std::string>& targets) const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::uint32_t> profiles;
  for (const std::string& target : targets) {
    auto it = profiles_by_target_.find(target);
    if (it != profiles_by_target_.end()) profiles.insert(it->second.begin(), it->second.end());
  }
  std::vector<std::pair<rules::AdvisoryProfile, std::size_t>> out;
  for (std::uint32_t profile : profiles) {
    if (!profiles_[profile].devices.empty()) {
      out.emplace_back(profiles_[profile].profile, profiles_[profile].devices.size());
    }
  }
  return out;
}

std::size_t FleetIndex::index_bytes() const {
  absl::MutexLock lock(&mu_);
  std::size_t bytes =
      tags_.bytes() + tracked_.capacity() * sizeof(Tracked) + deadlines_.size() * sizeof(DeadlineQueue::Entry);
  for (const Profile& profile : profiles_) {
    bytes += sizeof(Profile) + profile.profile.Key().size() + profile.devices.capacity() * (sizeof(std::uint32_t) + 1);
  }
  return bytes;
}

}  // namespace pumptrack::engine
