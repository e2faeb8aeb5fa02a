#include "engine/finding_engine.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "storage/device_summary.h"
#include "storage/finding_store.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

using storage::ToAbslTime;
using storage::ToProtoTimestamp;

// A finding still in the same state is rewritten at most this often just to move last_seen_at.
constexpr absl::Duration kLastSeenResolution = absl::Minutes(1);

// Label values for a device's place: the site's own units, or "unknown" for places the policy's site does not list
// (so a misbehaving agent cannot create series at will). Without a site, reported values are used as they are.
constexpr char kUnknown[] = "unknown";

v1::FindingEvent Event(v1::FindingEvent::Type type, const v1::Finding& finding) {
  v1::FindingEvent event;
  event.set_type(type);
  *event.mutable_finding() = finding;
  return event;
}

bool SameVerdict(const v1::Finding& finding, const rules::Violation& violation) {
  return finding.severity() == violation.severity && finding.reason() == violation.reason &&
         google::protobuf::util::MessageDifferencer::Equals(finding.evidence(), violation.evidence);
}

}  // namespace

FindingEngine::FindingEngine(storage::DeviceStore* devices, storage::FindingStore* findings, FleetMetrics* metrics,
                             FindingEngineOptions options)
    : devices_(devices),
      findings_(findings),
      metrics_(metrics),
      options_(std::move(options)),
      started_(options_.clock()),
      policy_(rules::CompiledPolicy::Empty()),
      ids_(0, TagHash{&tags_}, TagEq{&tags_}),
      events_(options_.watcher_capacity) {}

absl::StatusOr<std::unique_ptr<FindingEngine>> FindingEngine::Create(storage::DeviceStore* devices,
                                                                     storage::FindingStore* findings,
                                                                     FleetMetrics* metrics,
                                                                     FindingEngineOptions options) {
  std::unique_ptr<FindingEngine> engine(new FindingEngine(devices, findings, metrics, std::move(options)));
  absl::StatusOr<std::uint64_t> next = findings->LoadNextNumber();
  if (!next.ok()) return next.status();
  engine->next_number_ = *next;
  absl::StatusOr<std::vector<v1::Finding>> open = findings->LoadOpen();
  if (!open.ok()) return open.status();
  for (v1::Finding& finding : *open) {
    if (metrics != nullptr) metrics->AddOpenFindings(finding.kind(), finding.severity(), 1);
    if (finding.asset_tag().empty()) engine->open_units_.insert(storage::FindingSubject(finding));
    engine->open_[storage::FindingSubject(finding)].push_back(std::move(finding));
  }
  absl::MutexLock lock(&engine->fleet_mu_);
  // Metrics are added up once after the scan rather than per device.
  engine->loading_ = true;
  absl::Status scanned = storage::ForEachDeviceSummary(
      *devices->database(), [&](const storage::DeviceSummary& device) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        DeviceUpdate update;
        update.place = engine->PlaceOf(device.facility, device.unit);
        update.state = device.operating_state;
        update.heard = std::max(device.last_seen, engine->started_);
        update.custody = device.custody == v1::CUSTODY_STATE_UNSPECIFIED ? v1::CUSTODY_STATE_AVAILABLE
                                                                         : device.custody;
        auto it = engine->open_.find(device.asset_tag);
        if (it != engine->open_.end()) Summarize(it->second, update);
        engine->Track(device.asset_tag, update);
        return absl::OkStatus();
      });
  engine->loading_ = false;
  if (!scanned.ok()) return scanned;
  engine->PublishFleetMetrics();
  return engine;
}

std::shared_ptr<const rules::CompiledPolicy> FindingEngine::policy() const {
  absl::MutexLock lock(&policy_mu_);
  return policy_;
}

v1::PolicyInfo FindingEngine::policy_info() const {
  absl::MutexLock lock(&policy_mu_);
  v1::PolicyInfo info = policy_info_;
  *info.mutable_policy() = policy_->proto();
  info.set_text(policy_->text());
  info.set_digest(policy_->digest());
  return info;
}

void FindingEngine::InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, std::string applied_by) {
  {
    absl::MutexLock lock(&policy_mu_);
    policy_ = std::move(policy);
    *policy_info_.mutable_applied_at() = ToProtoTimestamp(options_.clock());
    policy_info_.set_applied_by(std::move(applied_by));
    if (metrics_ != nullptr) metrics_->SetParLevels(policy_->proto().site());
  }
  absl::MutexLock lock(&fleet_mu_);
  RebuildDeadlines();
}

// --- Writer thread -------------------------------------------------------------------------------------------------

void FindingEngine::BeginStaging() {
  if (staged_.next_number != 0) return;
  staged_.next_number = next_number_;
  staged_.now = options_.clock();
}

std::vector<v1::Finding>& FindingEngine::StagedOpen(const std::string& tag) {
  auto [it, inserted] = staged_.open.try_emplace(tag);
  if (inserted) {
    auto committed = open_.find(tag);
    if (committed != open_.end()) it->second = committed->second;
  }
  return it->second;
}

absl::Status FindingEngine::Reconcile(const v1::Device& device, const std::vector<rules::Violation>& violations,
                                      bool reported, rocksdb::WriteBatch& batch) {
  const std::string& tag = device.identity().asset_tag();
  // Most devices have no findings and no violations: nothing to stage.
  if (!violations.empty() || staged_.open.contains(tag) || open_.contains(tag)) {
    const v1::Location& location = device.last_observation().location();
    absl::Status s = ReconcileSubject(tag, tag, location.facility(), location.unit(), violations, reported, batch);
    if (!s.ok()) return s;
  }
  StageDeviceUpdate(device, reported);
  return absl::OkStatus();
}

absl::Status FindingEngine::ReconcileSubject(const std::string& subject, const std::string& asset_tag,
                                             const std::string& facility, const std::string& unit,
                                             const std::vector<rules::Violation>& violations, bool reported,
                                             rocksdb::WriteBatch& batch) {
  const absl::Time now = staged_.now;
  std::vector<v1::Finding>& open = StagedOpen(subject);
  std::vector<bool> matched(open.size(), false);
  for (const rules::Violation& violation : violations) {
    auto it = std::find_if(open.begin(), open.end(), [&](const v1::Finding& f) { return f.rule() == violation.rule; });
    if (it != open.end()) {
      matched[it - open.begin()] = true;
      const bool changed = !SameVerdict(*it, violation);
      if (!changed && now - ToAbslTime(it->last_seen_at()) < kLastSeenResolution) continue;
      if (changed) {
        it->set_severity(violation.severity);
        it->set_reason(violation.reason);
        *it->mutable_evidence() = violation.evidence;
      }
      *it->mutable_last_seen_at() = ToProtoTimestamp(now);
      it->set_facility(facility);
      it->set_unit(unit);
      if (absl::Status s = findings_->Stage(*it, batch); !s.ok()) return s;
      if (changed) staged_.events.push_back(Event(v1::FindingEvent::TYPE_CHANGED, *it));
      continue;
    }
    v1::Finding finding;
    finding.set_id(storage::FindingId(staged_.next_number++));
    finding.set_asset_tag(asset_tag);
    finding.set_kind(violation.kind);
    finding.set_rule(violation.rule);
    finding.set_severity(violation.severity);
    finding.set_reason(violation.reason);
    *finding.mutable_evidence() = violation.evidence;
    *finding.mutable_first_seen_at() = ToProtoTimestamp(now);
    *finding.mutable_last_seen_at() = ToProtoTimestamp(now);
    finding.set_state(v1::FINDING_STATE_OPEN);
    finding.set_facility(facility);
    finding.set_unit(unit);
    if (absl::Status s = findings_->Stage(finding, batch); !s.ok()) return s;
    if (absl::Status s = findings_->StageNextNumber(staged_.next_number, batch); !s.ok()) return s;
    staged_.events.push_back(Event(v1::FindingEvent::TYPE_OPENED, finding));
    open.push_back(std::move(finding));
    matched.push_back(true);
  }
  // Whatever no violation matched has cleared, except one-off findings (closed by acknowledgement) and MISSING,
  // which only a report clears.
  std::vector<v1::Finding> still_open;
  still_open.reserve(open.size());
  for (std::size_t i = 0; i < open.size(); ++i) {
    v1::Finding& finding = open[i];
    const bool keeps = matched[i] || rules::IsOneOffRule(finding.rule()) ||
                       (finding.rule() == rules::kRuleNotSeen && !reported);
    if (keeps) {
      still_open.push_back(std::move(finding));
      continue;
    }
    finding.set_state(v1::FINDING_STATE_RESOLVED);
    *finding.mutable_resolved_at() = ToProtoTimestamp(now);
    *finding.mutable_last_seen_at() = ToProtoTimestamp(now);
    if (absl::Status s = findings_->Stage(finding, batch); !s.ok()) return s;
    staged_.events.push_back(Event(v1::FindingEvent::TYPE_RESOLVED, finding));
  }
  open = std::move(still_open);
  return absl::OkStatus();
}

void FindingEngine::StageDeviceUpdate(const v1::Device& device, bool reported) {
  const std::string& tag = device.identity().asset_tag();
  DeviceUpdate& update = staged_.devices[tag];
  update.place = PlaceOf(device.last_observation().location());
  update.state = device.last_observation().operating_state();
  if (reported) update.heard = staged_.now;
  auto open = staged_.open.find(tag);
  const std::vector<v1::Finding>* findings = nullptr;
  if (open != staged_.open.end()) {
    findings = &open->second;
  } else if (auto committed = open_.find(tag); committed != open_.end()) {
    findings = &committed->second;
  }
  update.custody = rules::CustodyStateOf(device);
  update.risk = 0;
  update.open = 0;
  update.missing = false;
  update.blocked = false;
  if (findings != nullptr) Summarize(*findings, update);
}

absl::Status FindingEngine::StageReport(const v1::Device* before, const v1::Device& after, rocksdb::WriteBatch& batch) {
  BeginStaging();
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  const std::vector<rules::Violation> violations =
      rules::Evaluate(*policy, {.device = &after, .previous = before, .now = staged_.now});
  return Reconcile(after, violations, /*reported=*/true, batch);
}

absl::Status FindingEngine::StageReevaluation(const v1::Device& device, rocksdb::WriteBatch& batch,
                                              const std::vector<rules::Violation>& extra) {
  BeginStaging();
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  std::vector<rules::Violation> violations =
      rules::Evaluate(*policy, {.device = &device, .previous = nullptr, .now = staged_.now});
  violations.insert(violations.end(), extra.begin(), extra.end());
  return Reconcile(device, violations, /*reported=*/false, batch);
}

absl::Status FindingEngine::StageParLevels(rocksdb::WriteBatch& batch) {
  BeginStaging();
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  absl::flat_hash_set<std::string> judged;
  for (const v1::Unit& unit : policy->proto().site().units()) {
    if (unit.par_level() == 0) continue;
    v1::Finding subject;
    subject.set_facility(unit.facility());
    subject.set_unit(unit.id());
    const std::string key = storage::FindingSubject(subject);
    judged.insert(key);
    std::vector<rules::Violation> violations;
    if (std::optional<rules::Violation> low = rules::ParLow(unit, AvailableIn(unit.facility(), unit.id()))) {
      violations.push_back(*std::move(low));
    }
    if (violations.empty() && !open_.contains(key) && !staged_.open.contains(key)) continue;
    absl::Status s = ReconcileSubject(key, "", unit.facility(), unit.id(), violations, /*reported=*/false, batch);
    if (!s.ok()) return s;
  }
  // Units that lost their PAR level (or left the site) since their finding opened.
  std::vector<std::pair<std::string, v1::Finding>> orphans;
  for (const std::string& key : open_units_) {
    if (judged.contains(key)) continue;
    for (const v1::Finding& f : open_.at(key)) {
      if (f.rule() == rules::kRuleParLow) orphans.emplace_back(key, f);
    }
  }
  for (const auto& [key, finding] : orphans) {
    absl::Status s = ReconcileSubject(key, "", finding.facility(), finding.unit(), {}, /*reported=*/false, batch);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<v1::Finding> FindingEngine::OpenFindingsOf(const std::string& asset_tag) const {
  auto it = open_.find(asset_tag);
  return it == open_.end() ? std::vector<v1::Finding>() : it->second;
}

absl::StatusOr<bool> FindingEngine::StageMissingIfSilent(const v1::Device& device, rocksdb::WriteBatch& batch) {
  BeginStaging();
  const std::string& tag = device.identity().asset_tag();
  const absl::Time heard = std::max(ToAbslTime(device.last_seen_at()), started_);
  const absl::Duration after =
      policy()->MissingAfter(device.last_observation().operating_state(), options_.missing_after_override);
  if (staged_.now < heard + after) {
    StageDeviceUpdate(device, /*reported=*/false);  // back into the deadline index, with the stored time
    staged_.devices[tag].heard = heard;
    return false;
  }
  std::vector<v1::Finding>& open = StagedOpen(tag);
  if (std::any_of(open.begin(), open.end(), [](const v1::Finding& f) { return f.rule() == rules::kRuleNotSeen; })) {
    return false;
  }
  // Keep every other open finding as it is: the violations are the current ones plus MISSING.
  std::vector<rules::Violation> keep;
  for (const v1::Finding& finding : open) {
    rules::Violation v;
    v.kind = finding.kind();
    v.rule = finding.rule();
    v.severity = finding.severity();
    v.reason = finding.reason();
    v.evidence = finding.evidence();
    keep.push_back(std::move(v));
  }
  // The reason names when the device was really last heard from, even when a restart's grace moved its deadline.
  keep.push_back(rules::NotSeenViolation(device, ToAbslTime(device.last_seen_at()), after));
  if (absl::Status s = Reconcile(device, keep, /*reported=*/false, batch); !s.ok()) return s;
  return true;
}

absl::StatusOr<v1::Finding> FindingEngine::StageAcknowledge(absl::string_view id, absl::string_view actor,
                                                            absl::string_view note, rocksdb::WriteBatch& batch) {
  BeginStaging();
  absl::StatusOr<v1::Finding> stored = findings_->Get(id);
  if (!stored.ok()) return stored.status();
  if (stored->state() == v1::FINDING_STATE_RESOLVED) {
    return absl::FailedPreconditionError(absl::StrCat("finding ", id, " is already resolved"));
  }
  std::vector<v1::Finding>& open = StagedOpen(storage::FindingSubject(*stored));
  auto it = std::find_if(open.begin(), open.end(), [&](const v1::Finding& f) { return f.id() == id; });
  if (it == open.end()) return absl::InternalError(absl::StrCat("open finding ", id, " is not in the open index"));
  const absl::Time now = staged_.now;
  it->set_acknowledged_by(std::string(actor));
  it->set_acknowledgement_note(std::string(note));
  *it->mutable_acknowledged_at() = ToProtoTimestamp(now);
  v1::Finding result;
  if (rules::IsOneOffRule(it->rule())) {
    it->set_state(v1::FINDING_STATE_RESOLVED);
    *it->mutable_resolved_at() = ToProtoTimestamp(now);
    result = *it;
    open.erase(it);
    staged_.events.push_back(Event(v1::FindingEvent::TYPE_RESOLVED, result));
  } else {
    it->set_state(v1::FINDING_STATE_ACKNOWLEDGED);
    result = *it;
    staged_.events.push_back(Event(v1::FindingEvent::TYPE_CHANGED, result));
  }
  if (absl::Status s = findings_->Stage(result, batch); !s.ok()) return s;
  if (result.asset_tag().empty()) return result;  // a unit's finding
  absl::StatusOr<v1::Device> device = devices_->GetDevice(result.asset_tag());
  if (device.ok()) StageDeviceUpdate(*device, /*reported=*/false);
  return result;
}

void FindingEngine::Commit() {
  for (auto& [tag, findings] : staged_.open) {
    auto committed = open_.find(tag);
    if (metrics_ != nullptr) {
      if (committed != open_.end()) {
        for (const v1::Finding& f : committed->second) metrics_->AddOpenFindings(f.kind(), f.severity(), -1);
      }
      for (const v1::Finding& f : findings) metrics_->AddOpenFindings(f.kind(), f.severity(), 1);
    }
    const bool unit = absl::StartsWith(tag, storage::kUnitSubjectPrefix);
    if (findings.empty()) {
      if (committed != open_.end()) open_.erase(committed);
      if (unit) open_units_.erase(tag);
    } else {
      open_[tag] = std::move(findings);
      if (unit) open_units_.insert(tag);
    }
  }
  if (metrics_ != nullptr) {
    for (const v1::FindingEvent& event : staged_.events) {
      if (event.type() == v1::FindingEvent::TYPE_OPENED) metrics_->CountOpened(event.finding().kind());
    }
  }
  if (staged_.next_number != 0) next_number_ = staged_.next_number;
  {
    absl::MutexLock lock(&fleet_mu_);
    for (const auto& [tag, update] : staged_.devices) Track(tag, update);
  }
  events_.Publish(staged_.events);
  staged_ = Staged();
}

void FindingEngine::Abort() { staged_ = Staged(); }

// --- Fleet index ---------------------------------------------------------------------------------------------------

FindingEngine::Place FindingEngine::PlaceOf(const v1::Location& location) const {
  return PlaceOf(location.facility(), location.unit());
}

FindingEngine::Place FindingEngine::PlaceOf(const std::string& facility, const std::string& unit) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  if (policy->proto().site().units().empty()) return {facility, unit};
  if (policy->FindUnit(facility, unit) == nullptr) return {kUnknown, kUnknown};
  return {facility, unit};
}

void FindingEngine::PublishFleetMetrics() {
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

std::uint32_t FindingEngine::InternPlace(const Place& place) {
  const std::string key = absl::StrCat(place.facility, "\x1f", place.unit);
  auto [it, inserted] = place_ids_.try_emplace(key, static_cast<std::uint32_t>(places_.size()));
  if (inserted) {
    places_.push_back(place);
    available_.push_back(0);
  }
  return it->second;
}

void FindingEngine::Summarize(const std::vector<v1::Finding>& open, DeviceUpdate& update) {
  update.risk = rules::RiskScore(open);
  update.open = static_cast<std::uint32_t>(open.size());
  for (const v1::Finding& f : open) {
    update.missing = update.missing || f.rule() == rules::kRuleNotSeen;
    update.blocked = update.blocked || rules::BlocksService(f.kind());
  }
}

bool FindingEngine::IsAvailable(const Tracked& device) {
  const auto state = static_cast<v1::OperatingState>(device.state);
  return device.custody == v1::CUSTODY_STATE_AVAILABLE && !device.missing && !device.blocked &&
         (state == v1::OPERATING_STATE_IDLE || state == v1::OPERATING_STATE_OFF ||
          state == v1::OPERATING_STATE_UNSPECIFIED);
}

std::int64_t FindingEngine::DeadlineOf(const Tracked& device) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  const absl::Duration after =
      policy->MissingAfter(static_cast<v1::OperatingState>(device.state), options_.missing_after_override);
  return device.heard_s + absl::ToInt64Seconds(absl::Ceil(after, absl::Seconds(1)));
}

void FindingEngine::Track(const std::string& tag, const DeviceUpdate& update) {
  auto found = ids_.find(absl::string_view(tag));
  const bool is_new = found == ids_.end();
  std::uint32_t id = 0;
  if (is_new) {
    id = static_cast<std::uint32_t>(tags_.size());
    tags_.push_back(tag);
    tracked_.emplace_back();
    ids_.insert(id);
  } else {
    id = *found;
  }
  Tracked& device = tracked_[id];
  const std::uint32_t place = InternPlace(update.place);
  const bool was_available = !is_new && IsAvailable(device);
  const bool publish = metrics_ != nullptr && !loading_;
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
  const bool available = IsAvailable(device);
  if (available) ++available_[place];
  if (publish) {
    metrics_->AddDevices(update.place.facility, update.place.unit, update.state, 1);
    if (update.missing) metrics_->AddMissing(update.place.facility, update.place.unit, 1);
    if (available) metrics_->AddAvailable(update.place.facility, update.place.unit, 1);
  }
  if (update.heard) {
    // Rounded up, so a deadline in whole seconds is never before the real one.
    device.heard_s = absl::ToUnixSeconds(*update.heard);
    if (absl::FromUnixSeconds(device.heard_s) < *update.heard) ++device.heard_s;
  }
  if (!device.missing && !device.queued) {
    deadlines_.emplace(DeadlineOf(device), id);
    device.queued = true;
  }
}

void FindingEngine::RebuildDeadlines() {
  deadlines_ = {};
  for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
    Tracked& device = tracked_[id];
    device.queued = !device.missing;
    if (device.queued) deadlines_.emplace(DeadlineOf(device), id);
  }
}

std::vector<std::string> FindingEngine::TakeExpired(absl::Time now) {
  const std::int64_t now_s = absl::ToUnixSeconds(now);
  std::vector<std::string> expired;
  absl::MutexLock lock(&fleet_mu_);
  while (!deadlines_.empty() && deadlines_.top().first <= now_s) {
    const auto [deadline, id] = deadlines_.top();
    deadlines_.pop();
    Tracked& device = tracked_[id];
    const std::int64_t current = DeadlineOf(device);
    if (device.missing) {
      device.queued = false;
    } else if (current > now_s) {
      deadlines_.emplace(current, id);  // heard from since it was queued
    } else {
      device.queued = false;
      expired.push_back(tags_[id]);
    }
  }
  return expired;
}

void FindingEngine::RequeueAll() {
  absl::MutexLock lock(&fleet_mu_);
  RebuildDeadlines();
}

std::optional<absl::Time> FindingEngine::NextDeadline() const {
  absl::MutexLock lock(&fleet_mu_);
  if (deadlines_.empty()) return std::nullopt;
  return absl::FromUnixSeconds(deadlines_.top().first);
}

std::vector<RiskGroupSummary> FindingEngine::Risk(v1::GetRiskRequest::GroupBy group_by, int limit) const {
  absl::MutexLock lock(&fleet_mu_);
  std::vector<RiskGroupSummary> groups;
  if (group_by == v1::GetRiskRequest::GROUP_BY_DEVICE) {
    std::vector<std::uint32_t> ids;
    for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
      if (tracked_[id].risk > 0) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) {
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

std::pair<std::uint32_t, std::uint32_t> FindingEngine::RiskOf(absl::string_view asset_tag) const {
  absl::MutexLock lock(&fleet_mu_);
  auto it = ids_.find(asset_tag);
  if (it == ids_.end()) return {0, 0};
  return {tracked_[*it].risk, tracked_[*it].open};
}

std::uint32_t FindingEngine::AvailableIn(absl::string_view facility, absl::string_view unit) const {
  absl::MutexLock lock(&fleet_mu_);
  auto it = place_ids_.find(absl::StrCat(facility, "\x1f", unit));
  return it == place_ids_.end() ? 0 : available_[it->second];
}

std::vector<FindingEngine::AvailablePump> FindingEngine::FindAvailable(const v1::Unit& near, int count) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  absl::MutexLock lock(&fleet_mu_);
  std::vector<v1::Proximity> proximity(places_.size());
  for (std::size_t i = 0; i < places_.size(); ++i) {
    proximity[i] = rules::ProximityOf(*policy, near, places_[i].facility, places_[i].unit);
  }
  struct Candidate {
    v1::Proximity proximity;
    std::int64_t heard_s;
    std::uint32_t id;
  };
  std::vector<Candidate> candidates;
  for (std::uint32_t id = 0; id < tracked_.size(); ++id) {
    const Tracked& device = tracked_[id];
    if (IsAvailable(device)) candidates.push_back({proximity[device.place], device.heard_s, id});
  }
  const auto nearer = [&](const Candidate& a, const Candidate& b) {
    if (a.proximity != b.proximity) return a.proximity < b.proximity;
    if (a.heard_s != b.heard_s) return a.heard_s > b.heard_s;
    return tags_[a.id] < tags_[b.id];
  };
  const std::size_t keep = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(std::max(count, 0)));
  std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), nearer);
  std::vector<AvailablePump> pumps;
  for (std::size_t i = 0; i < keep; ++i) {
    const Candidate& c = candidates[i];
    const Place& place = places_[tracked_[c.id].place];
    pumps.push_back({tags_[c.id], place.facility, place.unit, c.proximity, absl::FromUnixSeconds(c.heard_s)});
  }
  return pumps;
}

std::size_t FindingEngine::tracked_devices() const {
  absl::MutexLock lock(&fleet_mu_);
  return tracked_.size();
}

std::size_t FindingEngine::index_bytes() const {
  absl::MutexLock lock(&fleet_mu_);
  std::size_t bytes = tags_.capacity() * sizeof(std::string) + tracked_.capacity() * sizeof(Tracked) +
                      ids_.capacity() * (sizeof(std::uint32_t) + 1) + deadlines_.size() * sizeof(Deadline);
  for (const std::string& tag : tags_) {
    if (tag.capacity() > 15) bytes += tag.capacity() + 1;  // beyond the small-string buffer
  }
  return bytes;
}

absl::Status WriteAndCommit(storage::Database& database, FindingEngine& engine, rocksdb::WriteBatch& batch) {
  if (batch.Count() > 0) {
    if (absl::Status written = database.Write(batch, /*sync=*/true); !written.ok()) {
      engine.Abort();
      return written;
    }
  }
  engine.Commit();
  return absl::OkStatus();
}

}  // namespace pumptrack::engine
