#include "engine/finding_engine.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "rules/maintenance.h"
#include "storage/device_summary.h"
#include "storage/finding_store.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

using storage::ToAbslTime;
using storage::ToProtoTimestamp;

// A finding still in the same state is rewritten at most this often just to move last_seen_at.
constexpr absl::Duration kLastSeenResolution = absl::Minutes(1);

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

// The highest severity of the open VULNERABLE findings; UNSPECIFIED when there is none.
v1::Severity HighestVulnerable(const std::vector<v1::Finding>& open) {
  v1::Severity highest = v1::SEVERITY_UNSPECIFIED;
  for (const v1::Finding& f : open) {
    if (f.kind() == v1::FINDING_KIND_VULNERABLE && f.severity() > highest) highest = f.severity();
  }
  return highest;
}

// Devices read at start-up, handed in batches from the thread reading and summarizing them to the thread indexing
// them, with at most kMaxQueued batches waiting.
class LoadedDevices {
 public:
  struct Device {
    std::string tag;
    DeviceUpdate update;
  };
  using Batch = std::vector<Device>;
  static constexpr std::size_t kBatchSize = 512;
  static constexpr std::size_t kMaxQueued = 8;

  // Reader: queues `batch`, waiting while kMaxQueued batches are.
  void Put(Batch batch) {
    absl::MutexLock lock(&mu_, absl::Condition(this, &LoadedDevices::HasRoom));
    queued_.push_back(std::move(batch));
  }
  // Reader: every batch is queued; `status` says whether all devices were read.
  void Finish(absl::Status status) {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = std::move(status);
  }
  // Indexer: the next batch; false once the reader has finished and every batch was taken.
  bool Take(Batch& batch) {
    absl::MutexLock lock(&mu_, absl::Condition(this, &LoadedDevices::HasBatchOrFinished));
    if (queued_.empty()) return false;
    batch = std::move(queued_.front());
    queued_.pop_front();
    return true;
  }
  // After Take returned false: the reader's status.
  absl::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queued_.size() < kMaxQueued; }
  bool HasBatchOrFinished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queued_.empty() || finished_; }

  mutable absl::Mutex mu_;
  std::deque<Batch> queued_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

FindingEngine::FindingEngine(storage::DeviceStore* devices, storage::FindingStore* findings, FleetMetrics* metrics,
                             FindingEngineOptions options)
    : devices_(devices),
      findings_(findings),
      metrics_(metrics),
      options_(std::move(options)),
      started_(options_.clock()),
      policy_(metrics),
      fleet_(&policy_, metrics, options_.missing_after_override),
      events_(options_.watcher_capacity) {}

absl::StatusOr<std::unique_ptr<FindingEngine>> FindingEngine::Create(storage::DeviceStore* devices,
                                                                     storage::FindingStore* findings,
                                                                     FleetMetrics* metrics,
                                                                     FindingEngineOptions options) {
  std::unique_ptr<FindingEngine> engine(new FindingEngine(devices, findings, metrics, std::move(options)));
  ASSIGN_OR_RETURN(std::uint64_t next, findings->LoadNextNumber());
  engine->next_number_ = next;
  ASSIGN_OR_RETURN(std::vector<v1::Finding> open, findings->LoadOpen());
  for (v1::Finding& finding : open) {
    if (metrics != nullptr) metrics->AddOpenFindings(finding.kind(), finding.severity(), 1);
    if (finding.asset_tag().empty()) engine->open_units_.insert(storage::FindingSubject(finding));
    engine->open_[storage::FindingSubject(finding)].push_back(std::move(finding));
  }
  for (const auto& [subject, subject_findings] : engine->open_) {
    if (metrics != nullptr) metrics->AddVulnerableDevices(HighestVulnerable(subject_findings), 1);
    engine->CountAffected(nullptr, subject_findings);
  }
  // The fleet index: one thread reads and summarizes the stored devices while this one indexes them (each was about
  // half of the index's load at 1M devices). Neither changes open_ meanwhile.
  engine->fleet_.Reserve(devices->EstimatedDevices());
  LoadedDevices loaded;
  std::thread reader([&loaded, devices, &engine = *engine] {
    LoadedDevices::Batch batch;
    absl::Status scanned =
        storage::ForEachDeviceSummary(*devices->database(), [&](const storage::DeviceSummary& device) {
          batch.push_back({device.asset_tag, engine.LoadedUpdate(device)});
          if (batch.size() == LoadedDevices::kBatchSize) loaded.Put(std::exchange(batch, {}));
          return absl::OkStatus();
        });
    if (!batch.empty()) loaded.Put(std::move(batch));
    loaded.Finish(std::move(scanned));
  });
  LoadedDevices::Batch batch;
  while (loaded.Take(batch)) {
    for (const LoadedDevices::Device& device : batch) engine->fleet_.Load(device.tag, device.update);
  }
  reader.join();
  RETURN_IF_ERROR(loaded.status());
  engine->fleet_.FinishLoad();
  return engine;
}

DeviceUpdate FindingEngine::LoadedUpdate(const storage::DeviceSummary& device) const {
  DeviceUpdate update;
  update.place = fleet_.PlaceOf(device.facility, device.unit);
  update.state = device.operating_state;
  update.heard = std::max(device.last_seen, started_);
  update.custody = device.custody == v1::CUSTODY_STATE_UNSPECIFIED ? v1::CUSTODY_STATE_AVAILABLE : device.custody;
  std::vector<rules::AdvisoryProfile::Component> components;
  for (const storage::DeviceSummary::Component& c : device.components) components.push_back({c.model, c.version});
  update.advisory_profile = rules::AdvisoryProfileOf(device.model, device.firmware_version, std::move(components));
  auto it = open_.find(device.asset_tag);
  if (it != open_.end()) Summarize(it->second, update);
  return update;
}

void FindingEngine::InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy,
                                  const v1::PolicyInfo& provenance) {
  {
    // Under the advisories' lock, so that advisories are always compiled against the policy in force.
    absl::MutexLock lock(&advisories_mu_);
    advisories_ = rules::CompiledAdvisories::Compile(*advisory_list_, policy->proto());
    policy_.Install(std::move(policy), provenance);
  }
  fleet_.RequeueAll();
}

void FindingEngine::InstallAdvisories(std::vector<v1::Advisory> advisories) {
  auto list = std::make_shared<const std::vector<v1::Advisory>>(std::move(advisories));
  absl::MutexLock lock(&advisories_mu_);
  advisories_ = rules::CompiledAdvisories::Compile(*list, this->policy()->proto());
  advisory_list_ = std::move(list);
  if (metrics_ != nullptr) metrics_->SetAdvisoriesNeedingReview(advisories_->advisories_needing_review());
}

void FindingEngine::CountAffected(const std::vector<v1::Finding>* before, const std::vector<v1::Finding>& after) {
  auto has_vulnerable = [](const std::vector<v1::Finding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const v1::Finding& f) { return f.kind() == v1::FINDING_KIND_VULNERABLE; });
  };
  if ((before == nullptr || !has_vulnerable(*before)) && !has_vulnerable(after)) return;
  absl::MutexLock lock(&advisories_mu_);
  if (before != nullptr) {
    for (const v1::Finding& f : *before) {
      if (f.kind() != v1::FINDING_KIND_VULNERABLE) continue;
      auto it = affected_.find(f.evidence().advisory());
      if (it == affected_.end()) continue;
      it->second.erase(f.asset_tag());
      if (it->second.empty()) affected_.erase(it);
    }
  }
  for (const v1::Finding& f : after) {
    if (f.kind() != v1::FINDING_KIND_VULNERABLE) continue;
    absl::StatusOr<std::uint64_t> number = storage::ParseFindingId(f.id());
    affected_[f.evidence().advisory()][f.asset_tag()] = number.ok() ? *number : 0;
  }
}

int FindingEngine::AffectedDevices(absl::string_view tracking_id) const {
  absl::MutexLock lock(&advisories_mu_);
  auto it = affected_.find(tracking_id);
  return it == affected_.end() ? 0 : static_cast<int>(it->second.size());
}

std::vector<std::pair<std::string, std::uint64_t>> FindingEngine::AffectedPage(absl::string_view tracking_id,
                                                                               absl::string_view after, int limit,
                                                                               bool* more) const {
  std::vector<std::pair<std::string, std::uint64_t>> page;
  if (more != nullptr) *more = false;
  absl::MutexLock lock(&advisories_mu_);
  auto devices = affected_.find(tracking_id);
  if (devices == affected_.end()) return page;
  auto it = after.empty() ? devices->second.begin() : devices->second.upper_bound(after);
  for (; it != devices->second.end(); ++it) {
    if (static_cast<int>(page.size()) >= limit) {
      if (more != nullptr) *more = true;
      break;
    }
    page.emplace_back(it->first, it->second);
  }
  return page;
}

std::shared_ptr<const rules::CompiledAdvisories> FindingEngine::advisories() const {
  absl::MutexLock lock(&advisories_mu_);
  return advisories_;
}

std::vector<rules::Violation> FindingEngine::WithAdvisories(std::vector<rules::Violation> violations,
                                                            const v1::Device& device) const {
  std::vector<rules::Violation> found = advisories()->Evaluate(device);
  violations.insert(violations.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  return violations;
}

void FindingEngine::InstallPolicy(std::shared_ptr<const rules::CompiledPolicy> policy, std::string applied_by) {
  v1::PolicyInfo provenance;
  provenance.set_applied_by(std::move(applied_by));
  *provenance.mutable_applied_at() = ToProtoTimestamp(options_.clock());
  InstallPolicy(std::move(policy), provenance);
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
    RETURN_IF_ERROR(ReconcileSubject(tag, tag, location.facility(), location.unit(), violations, reported, batch));
  }
  StageDeviceUpdate(device, reported);
  return absl::OkStatus();
}

absl::Status FindingEngine::ReconcileSubject(const std::string& subject, const std::string& asset_tag,
                                             const std::string& facility, const std::string& unit,
                                             const std::vector<rules::Violation>& violations, bool reported,
                                             rocksdb::WriteBatch& batch,
                                             std::optional<absl::FunctionRef<bool(const v1::Finding&)>> scope) {
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
      RETURN_IF_ERROR(findings_->Stage(*it, batch));
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
    RETURN_IF_ERROR(findings_->Stage(finding, batch));
    RETURN_IF_ERROR(findings_->StageNextNumber(staged_.next_number, batch));
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
    const bool keeps = matched[i] || (scope.has_value() && !(*scope)(finding)) || rules::IsOneOffRule(finding.rule()) ||
                       (finding.rule() == rules::kRuleNotSeen && !reported);
    if (keeps) {
      still_open.push_back(std::move(finding));
      continue;
    }
    finding.set_state(v1::FINDING_STATE_RESOLVED);
    *finding.mutable_resolved_at() = ToProtoTimestamp(now);
    *finding.mutable_last_seen_at() = ToProtoTimestamp(now);
    RETURN_IF_ERROR(findings_->Stage(finding, batch));
    staged_.events.push_back(Event(v1::FindingEvent::TYPE_RESOLVED, finding));
  }
  open = std::move(still_open);
  return absl::OkStatus();
}

void FindingEngine::StageDeviceUpdate(const v1::Device& device, bool reported) {
  const std::string& tag = device.identity().asset_tag();
  DeviceUpdate& update = staged_.devices[tag];
  update.place = fleet_.PlaceOf(device.last_observation().location());
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
  staged_.maintenance_next[tag] = rules::NextMaintenanceChange(*policy_.get(), device, staged_.now);
  update.advisory_profile = rules::AdvisoryProfileOf(device);
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
      WithAdvisories(rules::Evaluate(*policy, {.device = &after, .previous = before, .now = staged_.now}), after);
  return Reconcile(after, violations, /*reported=*/true, batch);
}

absl::Status FindingEngine::StageReevaluation(const v1::Device& device, rocksdb::WriteBatch& batch,
                                              const std::vector<rules::Violation>& extra) {
  BeginStaging();
  std::shared_ptr<const rules::CompiledPolicy> policy = this->policy();
  std::vector<rules::Violation> violations =
      WithAdvisories(rules::Evaluate(*policy, {.device = &device, .previous = nullptr, .now = staged_.now}), device);
  violations.insert(violations.end(), extra.begin(), extra.end());
  return Reconcile(device, violations, /*reported=*/false, batch);
}

absl::Status FindingEngine::StageAdvisoryReevaluation(const v1::Device& device,
                                                      const absl::flat_hash_set<std::string>& tracking_ids,
                                                      rocksdb::WriteBatch& batch) {
  BeginStaging();
  const std::vector<rules::Violation> violations = advisories()->Evaluate(device, tracking_ids);
  auto in_scope = [&](const v1::Finding& f) {
    return f.kind() == v1::FINDING_KIND_VULNERABLE && absl::StartsWith(f.rule(), rules::kAdvisoryRulePrefix) &&
           tracking_ids.contains(absl::string_view(f.rule()).substr(rules::kAdvisoryRulePrefix.size()));
  };
  const std::string& tag = device.identity().asset_tag();
  if (violations.empty()) {
    // Nothing to open: only a finding of these advisories left open needs resolving.
    auto staged = staged_.open.find(tag);
    const std::vector<v1::Finding>* open = nullptr;
    if (staged != staged_.open.end()) {
      open = &staged->second;
    } else if (auto committed = open_.find(tag); committed != open_.end()) {
      open = &committed->second;
    }
    if (open == nullptr || std::none_of(open->begin(), open->end(), in_scope)) return absl::OkStatus();
  }
  const v1::Location& location = device.last_observation().location();
  RETURN_IF_ERROR(ReconcileSubject(tag, tag, location.facility(), location.unit(), violations, /*reported=*/false,
                                   batch, in_scope));
  StageDeviceUpdate(device, /*reported=*/false);
  return absl::OkStatus();
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
    RETURN_IF_ERROR(ReconcileSubject(key, "", unit.facility(), unit.id(), violations, /*reported=*/false, batch));
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
    RETURN_IF_ERROR(ReconcileSubject(key, "", finding.facility(), finding.unit(), {}, /*reported=*/false, batch));
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
  RETURN_IF_ERROR(Reconcile(device, keep, /*reported=*/false, batch));
  return true;
}

absl::StatusOr<v1::Finding> FindingEngine::StageAcknowledge(absl::string_view id, absl::string_view actor,
                                                            absl::string_view note, rocksdb::WriteBatch& batch) {
  BeginStaging();
  ASSIGN_OR_RETURN(v1::Finding stored, findings_->Get(id));
  if (stored.state() == v1::FINDING_STATE_RESOLVED) {
    return absl::FailedPreconditionError(absl::StrCat("finding ", id, " is already resolved"));
  }
  std::vector<v1::Finding>& open = StagedOpen(storage::FindingSubject(stored));
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
  RETURN_IF_ERROR(findings_->Stage(result, batch));
  if (result.asset_tag().empty()) return result;  // a unit's finding
  absl::StatusOr<v1::Device> device = devices_->GetDevice(result.asset_tag());
  if (device.ok()) StageDeviceUpdate(*device, /*reported=*/false);
  return result;
}

void FindingEngine::Commit() {
  for (auto& [tag, findings] : staged_.open) {
    auto committed = open_.find(tag);
    if (metrics_ != nullptr) {
      v1::Severity vulnerable_before = v1::SEVERITY_UNSPECIFIED;
      if (committed != open_.end()) {
        for (const v1::Finding& f : committed->second) metrics_->AddOpenFindings(f.kind(), f.severity(), -1);
        vulnerable_before = HighestVulnerable(committed->second);
      }
      for (const v1::Finding& f : findings) metrics_->AddOpenFindings(f.kind(), f.severity(), 1);
      const v1::Severity vulnerable_after = HighestVulnerable(findings);
      if (vulnerable_before != vulnerable_after) {
        metrics_->AddVulnerableDevices(vulnerable_before, -1);
        metrics_->AddVulnerableDevices(vulnerable_after, 1);
      }
    }
    CountAffected(committed != open_.end() ? &committed->second : nullptr, findings);
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
  fleet_.Apply(staged_.devices);
  for (const auto& [tag, next] : staged_.maintenance_next) maintenance_deadlines_.Set(tag, next);
  events_.Publish(staged_.events);
  staged_ = Staged();
}

void FindingEngine::Abort() { staged_ = Staged(); }

void FindingEngine::Summarize(const std::vector<v1::Finding>& open, DeviceUpdate& update) {
  update.risk = rules::RiskScore(open);
  update.open = static_cast<std::uint32_t>(open.size());
  for (const v1::Finding& f : open) {
    update.missing = update.missing || f.rule() == rules::kRuleNotSeen;
    // A pump past its PM is not handed out either (find-available never offers it); it is not blocked from a release.
    update.blocked =
        update.blocked || rules::BlocksService(f.kind()) || f.kind() == v1::FINDING_KIND_MAINTENANCE_OVERDUE;
  }
}

// --- FindingTransaction ----------------------------------------------------------------------------------------------

void FindingTransaction::Commit() {
  if (engine_ != nullptr) engine_->Commit();
  committed_ = true;
}

absl::Status FindingTransaction::WriteAndCommit(storage::Database& database, rocksdb::WriteBatch& batch) {
  if (batch.Count() > 0) {
    RETURN_IF_ERROR(database.Write(batch, /*sync=*/true));
  }
  Commit();
  return absl::OkStatus();
}

}  // namespace pumptrack::engine
