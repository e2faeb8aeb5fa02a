#include "engine/maintenance_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "rules/maintenance.h"
#include "spdlog/spdlog.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

using storage::ToAbslTime;
using storage::ToProtoTimestamp;

constexpr int kScanPage = 1000;

std::string KindWord(v1::MaintenanceKind kind) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::MaintenanceKind_Name(kind), "MAINTENANCE_KIND_"));
}

std::string Day(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone()); }

// The reported component with this serial number; nullptr when there is none.
const v1::Component* ComponentOf(const v1::Device& device, absl::string_view serial) {
  const v1::Component* found = nullptr;
  for (const v1::Component& component : device.last_observation().components()) {
    if (component.serial_number() == serial) found = &component;
  }
  return found;
}

// The next PM due time of the pump (empty `component_serial`) or of its component.
std::optional<absl::Time> NextDue(const rules::CompiledPolicy& policy, const v1::Device& device,
                                  absl::string_view component_serial) {
  if (component_serial.empty()) return rules::NextPmDue(policy, device);
  const v1::Component* component = ComponentOf(device, component_serial);
  if (component == nullptr) return std::nullopt;
  return rules::NextComponentPmDue(policy, device, *component);
}

// The schedule of the pump (empty `component_serial`) or of its component, in a line for the audit log.
std::string Describe(const rules::CompiledPolicy& policy, const v1::Device& device,
                     absl::string_view component_serial = "") {
  if (!component_serial.empty()) {
    const v1::Component* component = ComponentOf(device, component_serial);
    const v1::ComponentMaintenance* entry =
        component == nullptr
            ? nullptr
            : rules::FindComponentMaintenance(device.maintenance(), component->kind(), component_serial);
    std::string text = absl::StrCat("component ", component_serial, ": ",
                                    entry != nullptr && entry->has_last_pm_at()
                                        ? absl::StrCat("last PM ", Day(ToAbslTime(entry->last_pm_at())))
                                        : std::string("no PM recorded"));
    if (std::optional<absl::Time> due = NextDue(policy, device, component_serial)) {
      absl::StrAppend(&text, ", next due ", Day(*due),
                      entry != nullptr && entry->has_next_due_override() ? " (override)" : "");
    }
    absl::StrAppend(&text, ", ", device.maintenance().records(), " records");
    return text;
  }
  const v1::MaintenanceStatus& status = device.maintenance();
  std::string text = status.has_last_pm_at() ? absl::StrCat("last PM ", Day(ToAbslTime(status.last_pm_at())))
                                             : std::string("no PM recorded");
  if (std::optional<absl::Time> due = rules::NextPmDue(policy, device)) {
    absl::StrAppend(&text, ", next due ", Day(*due), status.has_next_due_override() ? " (override)" : "");
  }
  absl::StrAppend(&text, ", ", status.records(), " records");
  return text;
}

// The rules of the pump's open maintenance findings (its own and its components'), sorted.
std::vector<std::string> OpenMaintenanceRules(const std::vector<v1::Finding>& open) {
  std::vector<std::string> rules;
  for (const v1::Finding& f : open) {
    if (f.kind() == v1::FINDING_KIND_MAINTENANCE_OVERDUE || f.kind() == v1::FINDING_KIND_MAINTENANCE_DUE) {
      rules.push_back(f.rule());
    }
  }
  std::sort(rules.begin(), rules.end());
  return rules;
}

// A battery_replacement may name a battery module only.
bool IsBatteryModule(const v1::Component& component) {
  return absl::StrContains(absl::AsciiStrToLower(component.kind()), "battery");
}

// Calls `visit` with each page of kScanPage devices in `unit` (empty: every device), in tag order.
template <typename VisitPage>
absl::Status ForEachPage(const storage::DeviceStore& devices, absl::string_view unit, VisitPage visit) {
  storage::DeviceFilter filter;
  filter.unit = std::string(unit);
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(storage::DevicePage page, devices.ListDevices(filter, after, kScanPage));
    RETURN_IF_ERROR(visit(page.devices));
    if (page.next_after_tag.empty()) return absl::OkStatus();
    after = std::move(page.next_after_tag);
  }
}

// Calls `visit` for every device in `unit` (empty: every device), in tag order.
template <typename Visit>
absl::Status ForEachDevice(const storage::DeviceStore& devices, absl::string_view unit, Visit visit) {
  return ForEachPage(devices, unit, [&](const std::vector<v1::Device>& page) -> absl::Status {
    for (const v1::Device& device : page) RETURN_IF_ERROR(visit(device));
    return absl::OkStatus();
  });
}

}  // namespace

MaintenanceRuntime::MaintenanceRuntime(storage::Database* database, storage::DeviceStore* devices,
                                       storage::MaintenanceStore* store, storage::AuditLog* audit,
                                       FindingEngine* engine, IngestPipeline* ingest)
    : database_(database), devices_(devices), store_(store), audit_(audit), engine_(engine), ingest_(ingest) {}

MaintenanceRuntime::~MaintenanceRuntime() { Stop(); }

void MaintenanceRuntime::Start(absl::Duration sweep_interval) {
  if (sweep_interval > absl::ZeroDuration()) {
    sweeper_ = std::thread([this, sweep_interval] {
      NameThisThread("pt-maintenance");
      SweeperLoop(sweep_interval);
    });
  }
}

void MaintenanceRuntime::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (sweeper_.joinable()) sweeper_.join();
}

absl::StatusOr<std::optional<v1::MaintenanceRecord>> MaintenanceRuntime::StageRecord(
    const MaintenanceWork& work, const storage::Actor& actor, absl::Time now, v1::Device& device,
    const std::vector<v1::MaintenanceRecord>& staged, rocksdb::WriteBatch& batch) {
  if (work.performed_at > now) {
    return absl::InvalidArgumentError(
        absl::StrCat("performed_at: ", Day(work.performed_at), " is in the future (service clock ", Day(now), ")"));
  }
  if (work.next_due_override && *work.next_due_override <= work.performed_at) {
    return absl::InvalidArgumentError("next_due_override: must be after performed_at");
  }
  const v1::Component* component = nullptr;
  if (!work.component_serial.empty()) {
    for (const v1::Component& candidate : device.last_observation().components()) {
      if (candidate.serial_number() == work.component_serial) component = &candidate;
    }
    if (component == nullptr) {
      return absl::NotFoundError(absl::StrCat("component_serial: pump ", work.asset_tag,
                                              " reports no component with serial number ", work.component_serial));
    }
    if (work.kind == v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT && !IsBatteryModule(*component)) {
      return absl::InvalidArgumentError(absl::StrCat("component_serial: a battery_replacement names a battery module; ",
                                                     work.component_serial, " is a ", component->kind()));
    }
  }
  const auto same = [&](const v1::MaintenanceRecord& r) {
    return r.asset_tag() == work.asset_tag && r.kind() == work.kind &&
           ToAbslTime(r.performed_at()) == work.performed_at && r.component_serial() == work.component_serial;
  };
  if (std::any_of(staged.begin(), staged.end(), same)) return std::nullopt;
  ASSIGN_OR_RETURN(storage::MaintenanceHistoryPage stored, store_->History(work.asset_tag, 0, 1 << 20));
  if (std::any_of(stored.records.begin(), stored.records.end(), same)) return std::nullopt;

  v1::MaintenanceStatus& status = *device.mutable_maintenance();
  v1::MaintenanceRecord record;
  record.set_index(status.records() + 1);
  record.set_asset_tag(work.asset_tag);
  record.set_kind(work.kind);
  *record.mutable_performed_at() = ToProtoTimestamp(work.performed_at);
  record.set_performed_by(work.performed_by.empty() ? actor.name : work.performed_by);
  record.set_notes(work.notes);
  if (work.next_due_override) *record.mutable_next_due_override() = ToProtoTimestamp(*work.next_due_override);
  record.set_recorded_by(actor.name);
  *record.mutable_recorded_at() = ToProtoTimestamp(now);
  record.set_component_serial(work.component_serial);
  status.set_records(record.index());
  if (component != nullptr) {
    // The component's own schedule: a PM, or a new battery module, restarts its interval; the pump's is untouched.
    v1::ComponentMaintenance* entry = nullptr;
    for (v1::ComponentMaintenance& candidate : *status.mutable_components()) {
      if (candidate.kind() == component->kind() && candidate.serial_number() == component->serial_number()) {
        entry = &candidate;
      }
    }
    if (entry == nullptr) {
      entry = status.add_components();
      entry->set_kind(component->kind());
      entry->set_serial_number(component->serial_number());
    }
    const bool restarts = work.kind == v1::MAINTENANCE_KIND_PM || work.kind == v1::MAINTENANCE_KIND_BATTERY_REPLACEMENT;
    const bool latest = restarts && (!entry->has_last_pm_at() || work.performed_at >= ToAbslTime(entry->last_pm_at()));
    if (latest) {
      *entry->mutable_last_pm_at() = record.performed_at();
      entry->clear_next_due_override();
    }
    if (work.next_due_override && (latest || !restarts)) {
      *entry->mutable_next_due_override() = record.next_due_override();
    }
    RETURN_IF_ERROR(store_->Stage(record, batch));
    return record;
  }
  // A PM restarts the interval (an older PM entered late does not move it back); an override stands until the next
  // PM, which clears or replaces it.
  const bool latest_pm = work.kind == v1::MAINTENANCE_KIND_PM &&
                         (!status.has_last_pm_at() || work.performed_at >= ToAbslTime(status.last_pm_at()));
  if (latest_pm) {
    *status.mutable_last_pm_at() = record.performed_at();
    status.clear_next_due_override();
  }
  if (work.next_due_override && (latest_pm || work.kind != v1::MAINTENANCE_KIND_PM)) {
    *status.mutable_next_due_override() = record.next_due_override();
  }
  RETURN_IF_ERROR(store_->Stage(record, batch));
  return record;
}

absl::StatusOr<v1::RecordMaintenanceResponse> MaintenanceRuntime::Record(const MaintenanceWork& work,
                                                                         const storage::Actor& actor) {
  return RunOnWriter<absl::StatusOr<v1::RecordMaintenanceResponse>>(
      *ingest_, [&]() -> absl::StatusOr<v1::RecordMaintenanceResponse> {
        ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(work.asset_tag));
        std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
        const absl::Time now = engine_->clock();
        const std::string before = Describe(*policy, device, work.component_serial);
        FindingTransaction transaction(engine_);
        rocksdb::WriteBatch batch;
        ASSIGN_OR_RETURN(std::optional<v1::MaintenanceRecord> record, StageRecord(work, actor, now, device, {}, batch));
        if (!record) {
          return absl::AlreadyExistsError(absl::StrCat("pump ", work.asset_tag, " already has a ", KindWord(work.kind),
                                                       " record performed at ", Day(work.performed_at)));
        }
        RETURN_IF_ERROR(devices_->StageServiceFields(device, batch));
        RETURN_IF_ERROR(engine_->StageReevaluation(device, batch));
        RETURN_IF_ERROR(audit_->Commit(batch,
                                       {actor, absl::StrCat("maintenance.", KindWord(work.kind)), work.asset_tag,
                                        before, Describe(*policy, device, work.component_serial)},
                                       now));
        transaction.Commit();
        v1::RecordMaintenanceResponse response;
        *response.mutable_record() = *std::move(record);
        *response.mutable_status() = device.maintenance();
        if (std::optional<absl::Time> due = NextDue(*policy, device, work.component_serial)) {
          *response.mutable_next_due_at() = ToProtoTimestamp(*due);
        }
        return response;
      });
}

absl::StatusOr<v1::ImportMaintenanceResponse> MaintenanceRuntime::Import(const std::vector<MaintenanceWork>& works,
                                                                         const storage::Actor& actor) {
  return RunOnWriter<absl::StatusOr<v1::ImportMaintenanceResponse>>(
      *ingest_, [&]() -> absl::StatusOr<v1::ImportMaintenanceResponse> {
        std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
        const absl::Time now = engine_->clock();
        absl::flat_hash_map<std::string, v1::Device> touched;
        std::vector<std::string> order;
        std::vector<v1::MaintenanceRecord> staged;
        FindingTransaction transaction(engine_);
        rocksdb::WriteBatch batch;
        v1::ImportMaintenanceResponse response;
        for (std::size_t i = 0; i < works.size(); ++i) {
          const MaintenanceWork& work = works[i];
          auto it = touched.find(work.asset_tag);
          if (it == touched.end()) {
            absl::StatusOr<v1::Device> device = devices_->GetDevice(work.asset_tag);
            if (!device.ok()) {
              return absl::Status(device.status().code(),
                                  absl::StrCat("records[", i, "]: ", device.status().message()));
            }
            it = touched.emplace(work.asset_tag, *std::move(device)).first;
            order.push_back(work.asset_tag);
          }
          absl::StatusOr<std::optional<v1::MaintenanceRecord>> record =
              StageRecord(work, actor, now, it->second, staged, batch);
          if (!record.ok()) {
            return absl::Status(record.status().code(), absl::StrCat("records[", i, "]: ", record.status().message()));
          }
          if (*record) {
            staged.push_back(**std::move(record));
            response.set_imported(response.imported() + 1);
          } else {
            response.set_skipped_duplicates(response.skipped_duplicates() + 1);
          }
        }
        if (staged.empty()) return response;
        for (const std::string& tag : order) {
          RETURN_IF_ERROR(devices_->StageServiceFields(touched[tag], batch));
          RETURN_IF_ERROR(engine_->StageReevaluation(touched[tag], batch));
        }
        RETURN_IF_ERROR(audit_->Commit(batch,
                                       {actor, "maintenance.import", absl::StrCat(order.size(), " pumps"), "",
                                        absl::StrCat(response.imported(), " records imported, ",
                                                     response.skipped_duplicates(), " duplicates skipped")},
                                       now));
        transaction.Commit();
        return response;
      });
}

absl::StatusOr<storage::MaintenanceHistoryPage> MaintenanceRuntime::History(absl::string_view asset_tag,
                                                                            std::uint64_t after, int limit) const {
  RETURN_IF_ERROR(devices_->GetDevice(asset_tag));
  return store_->History(asset_tag, after, limit);
}

absl::StatusOr<std::vector<v1::DuePump>> MaintenanceRuntime::Due(std::optional<absl::Duration> within,
                                                                 absl::string_view unit) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
  const absl::Time now = engine_->clock();
  std::vector<v1::DuePump> pumps;
  const auto listed = [&](const rules::MaintenanceSchedule& schedule) {
    if (!schedule.due_at) return false;
    return within ? *schedule.due_at <= now + *within : schedule.phase != rules::MaintenancePhase::kNone;
  };
  RETURN_IF_ERROR(ForEachDevice(*devices_, unit, [&](const v1::Device& device) -> absl::Status {
    const auto add = [&](const rules::MaintenanceSchedule& schedule) -> v1::DuePump& {
      v1::DuePump& pump = pumps.emplace_back();
      pump.set_asset_tag(device.identity().asset_tag());
      pump.set_model(device.identity().model());
      *pump.mutable_location() = device.last_observation().location();
      *pump.mutable_due_at() = ToProtoTimestamp(*schedule.due_at);
      pump.set_overdue(now >= *schedule.due_at);
      return pump;
    };
    if (const rules::MaintenanceSchedule schedule = rules::ScheduleOf(*policy, device, now); listed(schedule)) {
      v1::DuePump& pump = add(schedule);
      if (device.maintenance().has_last_pm_at()) *pump.mutable_last_pm_at() = device.maintenance().last_pm_at();
    }
    for (const v1::Component& component : device.last_observation().components()) {
      const rules::MaintenanceSchedule schedule = rules::ComponentScheduleOf(*policy, device, component, now);
      if (!listed(schedule)) continue;
      v1::DuePump& pump = add(schedule);
      pump.set_component_kind(component.kind());
      pump.set_component_model(component.model());
      pump.set_component_serial(component.serial_number());
      const v1::ComponentMaintenance* entry =
          rules::FindComponentMaintenance(device.maintenance(), component.kind(), component.serial_number());
      if (entry != nullptr && entry->has_last_pm_at()) *pump.mutable_last_pm_at() = entry->last_pm_at();
    }
    return absl::OkStatus();
  }));
  std::stable_sort(pumps.begin(), pumps.end(), [](const v1::DuePump& a, const v1::DuePump& b) {
    return ToAbslTime(a.due_at()) < ToAbslTime(b.due_at());
  });
  return pumps;
}

absl::Status MaintenanceRuntime::Sweep() {
  MaintenanceDeadlines& deadlines = engine_->maintenance_deadlines();
  // A chunk at a time, each taken at the clock of its own start (as the missing detector drains a burst).
  while (true) {
    const absl::Time now = engine_->clock();
    const std::vector<std::string> expired = deadlines.TakeExpired(now, kSweepChunk);
    if (expired.empty()) return absl::OkStatus();
    swept_pumps_ += expired.size();
    absl::Status swept = RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
      std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
      const absl::Time at = engine_->clock();
      FindingTransaction transaction(engine_);
      rocksdb::WriteBatch batch;
      for (const std::string& tag : expired) {
        absl::StatusOr<v1::Device> device = devices_->GetDevice(tag);
        if (absl::IsNotFound(device.status())) continue;
        RETURN_IF_ERROR(device.status());
        if (rules::MaintenanceRulesAt(*policy, *device, at) != OpenMaintenanceRules(engine_->OpenFindingsOf(tag))) {
          RETURN_IF_ERROR(engine_->StageReevaluation(*device, batch));  // its commit sets the next deadline
        } else {
          // On the writer, so no write to the pump can come between this read and this deadline.
          deadlines.Set(tag, rules::NextMaintenanceChange(*policy, *device, at));
        }
      }
      return transaction.WriteAndCommit(*database_, batch);
    });
    if (!swept.ok()) {
      for (const std::string& tag : expired) deadlines.Offer(tag, now);  // tried again on the next sweep
      return swept;
    }
  }
}

absl::Status MaintenanceRuntime::SweepAll() {
  MaintenanceDeadlines& deadlines = engine_->maintenance_deadlines();
  // A page at a time: read outside the writer, compared with the open findings (writer-only state) on the writer.
  return ForEachPage(*devices_, "", [&](const std::vector<v1::Device>& page) -> absl::Status {
    return RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
      std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
      const absl::Time now = engine_->clock();
      FindingTransaction transaction(engine_);
      rocksdb::WriteBatch batch;
      for (const v1::Device& listed : page) {
        const std::string& tag = listed.identity().asset_tag();
        if (rules::MaintenanceRulesAt(*policy, listed, now) != OpenMaintenanceRules(engine_->OpenFindingsOf(tag))) {
          // Read again on the writer: a report may have come since the page was read.
          ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(tag));
          RETURN_IF_ERROR(engine_->StageReevaluation(device, batch));  // its commit sets the next deadline
        } else if (std::optional<absl::Time> next = rules::NextMaintenanceChange(*policy, listed, now)) {
          // The page may be stale; an early wake is harmless (see MaintenanceDeadlines::Offer).
          deadlines.Offer(tag, *next);
        }
      }
      return transaction.WriteAndCommit(*database_, batch);
    });
  });
}

void MaintenanceRuntime::SweeperLoop(absl::Duration interval) {
  absl::Time last_error_log = absl::InfinitePast();
  bool seeded = false;
  absl::Duration wait = absl::ZeroDuration();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) return;
    }
    absl::Status swept = seeded ? Sweep() : SweepAll();
    if (swept.ok()) seeded = true;
    if (!swept.ok() && absl::Now() - last_error_log > absl::Minutes(1)) {
      last_error_log = absl::Now();
      spdlog::warn("maintenance sweep failed (due and overdue pumps are re-checked next time): {}", swept.ToString());
    }
    // Wake at the next deadline: at most `interval` from now, at least a millisecond.
    wait = interval;
    if (swept.ok()) {
      if (std::optional<absl::Time> next = engine_->maintenance_deadlines().Next()) {
        wait = std::clamp(*next - engine_->clock(), absl::Milliseconds(1), interval);
      }
    }
  }
}

}  // namespace pumptrack::engine
