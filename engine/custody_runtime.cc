#include "engine/custody_runtime.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "rules/custody.h"
#include "rules/maintenance.h"
#include "spdlog/spdlog.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {
namespace {

using storage::ToAbslTime;
using storage::ToProtoTimestamp;

std::string StateName(v1::CustodyState state) {
  return std::string(absl::StripPrefix(v1::CustodyState_Name(state), "CUSTODY_STATE_"));
}

// "custody.check_out" for CUSTODY_ACTION_CHECK_OUT.
std::string AuditAction(v1::CustodyAction action) {
  return absl::StrCat("custody.",
                      absl::AsciiStrToLower(absl::StripPrefix(v1::CustodyAction_Name(action), "CUSTODY_ACTION_")));
}

std::string Time(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", ToAbslTime(t), absl::UTCTimeZone());
}

// The custody state in a line for the audit log.
std::string Describe(const v1::Custody& custody) {
  const v1::CustodyState state =
      custody.state() == v1::CUSTODY_STATE_UNSPECIFIED ? v1::CUSTODY_STATE_AVAILABLE : custody.state();
  std::string text = StateName(state);
  if (state == v1::CUSTODY_STATE_IN_TRANSIT) {
    absl::StrAppend(&text, " with ", custody.holder(), " to ", custody.destination_facility(), "/",
                    custody.destination_unit(), ", due ", Time(custody.due_at()),
                    custody.permanent_transfer() ? ", permanent transfer" : "");
  } else if (!custody.placed_unit().empty()) {
    absl::StrAppend(&text, " at ", custody.placed_facility(), "/", custody.placed_unit());
  }
  return text;
}

void ClearTransit(v1::Custody& custody) {
  custody.clear_holder();
  custody.clear_origin_facility();
  custody.clear_origin_unit();
  custody.clear_destination_facility();
  custody.clear_destination_unit();
  custody.clear_reason();
  custody.clear_checked_out_at();
  custody.clear_due_at();
  custody.clear_permanent_transfer();
  custody.clear_recorded_seal_id();
}

// The site's unit named `unit`, as (facility, id). Without a site policy any unit is accepted, in the pump's
// facility.
absl::StatusOr<std::pair<std::string, std::string>> ResolveUnit(const rules::CompiledPolicy& policy,
                                                                absl::string_view field, absl::string_view unit,
                                                                const v1::Device& device) {
  if (policy.proto().site().units().empty()) {
    return std::make_pair(device.last_observation().location().facility(), std::string(unit));
  }
  const v1::Unit* found = policy.FindUnitAnywhere(unit);
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", unit, "\" is not a unit of the policy's site"));
  }
  return std::make_pair(found->facility(), found->id());
}

}  // namespace

CustodyRuntime::CustodyRuntime(storage::Database* database, storage::DeviceStore* devices,
                               storage::CustodyStore* custody, storage::AuditLog* audit, FindingEngine* engine,
                               IngestPipeline* ingest, FleetMetrics* metrics)
    : database_(database),
      devices_(devices),
      custody_(custody),
      audit_(audit),
      engine_(engine),
      ingest_(ingest),
      metrics_(metrics) {}

CustodyRuntime::~CustodyRuntime() { Stop(); }

absl::Status CustodyRuntime::Load(absl::Duration sweep_interval) {
  ASSIGN_OR_RETURN(std::vector<std::string> tags, custody_->CheckedOut());
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& tag : tags) {
      ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(tag));
      checkouts_[tag] = {ToAbslTime(device.custody().due_at())};
    }
    PublishCheckoutMetrics();
  }
  if (sweep_interval > absl::ZeroDuration()) {
    sweeper_ = std::thread([this, sweep_interval] {
      NameThisThread("pt-custody");
      SweeperLoop(sweep_interval);
    });
  }
  return absl::OkStatus();
}

void CustodyRuntime::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (sweeper_.joinable()) sweeper_.join();
}

absl::StatusOr<v1::CustodyResult> CustodyRuntime::Act(const CustodyRequest& request, const storage::Actor& actor) {
  return RunOnWriter<absl::StatusOr<v1::CustodyResult>>(
      *ingest_, [&]() -> absl::StatusOr<v1::CustodyResult> { return ActOnWriter(request, actor); });
}

absl::StatusOr<v1::CustodyResult> CustodyRuntime::ActOnWriter(const CustodyRequest& request,
                                                              const storage::Actor& actor) {
  const std::string& tag = request.asset_tag;
  ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(tag));
  std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
  const absl::Time now = engine_->clock();
  const v1::Location& location = device.last_observation().location();
  v1::Custody& custody = *device.mutable_custody();
  const v1::CustodyState from = rules::CustodyStateOf(device);
  const std::string before = Describe(custody);

  std::pair<std::string, std::string> unit;  // (facility, id) of the request's unit
  if (request.action == v1::CUSTODY_ACTION_CHECK_OUT || request.action == v1::CUSTODY_ACTION_CHECK_IN) {
    ASSIGN_OR_RETURN(auto resolved,
                     ResolveUnit(*policy, request.action == v1::CUSTODY_ACTION_CHECK_OUT ? "destination_unit" : "unit",
                                 request.unit, device));
    unit = std::move(resolved);
  }
  // The check-in gate, judged on the pump's state as it arrives.
  std::vector<std::string> gate_failures;
  std::vector<rules::Violation> extra;
  const std::vector<v1::Finding> open = engine_->OpenFindingsOf(tag);
  if (request.action == v1::CUSTODY_ACTION_CHECK_IN && from == v1::CUSTODY_STATE_IN_TRANSIT) {
    gate_failures = rules::GateFailures(
        *policy, {.device = &device, .open_findings = &open, .observed_seal_id = request.observed_seal_id, .now = now});
    if (std::optional<rules::Violation> mismatch = rules::SealMismatch(device, request.observed_seal_id)) {
      extra.push_back(*std::move(mismatch));
    }
  }
  absl::StatusOr<v1::CustodyState> to = rules::NextCustodyState(from, request.action, gate_failures.empty());
  if (!to.ok()) return absl::FailedPreconditionError(absl::StrCat("pump ", tag, ": ", to.status().message()));
  // A pump past its PM (or with a component past its PM) that passes the gate goes to clinical engineering, not back
  // into service.
  if (request.action == v1::CUSTODY_ACTION_CHECK_IN && *to == v1::CUSTODY_STATE_AVAILABLE &&
      rules::AnyPmOverdue(*policy, device, now)) {
    to = v1::CUSTODY_STATE_IN_MAINTENANCE;
  }
  if (request.action == v1::CUSTODY_ACTION_RELEASE) {
    std::vector<std::string> blocking;
    for (const v1::Finding& f : open) {
      if (rules::BlocksService(f.kind())) blocking.push_back(absl::StrCat(f.id(), " (", f.rule(), ")"));
    }
    if (!blocking.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("pump ", tag, " still has open findings that keep it out of ",
                                                        "service: ", absl::StrJoin(blocking, ", ")));
    }
  }

  v1::CustodyEvent event;
  event.set_index(custody.events() + 1);
  event.set_asset_tag(tag);
  event.set_action(request.action);
  event.set_from_state(from);
  event.set_to_state(*to);
  event.set_actor(actor.name);
  *event.mutable_at() = ToProtoTimestamp(now);
  event.set_facility(location.facility());
  event.set_unit(location.unit());
  event.set_reason(request.reason);
  switch (request.action) {
    case v1::CUSTODY_ACTION_CHECK_OUT:
      custody.set_holder(actor.name);
      custody.set_origin_facility(location.facility());
      custody.set_origin_unit(location.unit());
      custody.set_destination_facility(unit.first);
      custody.set_destination_unit(unit.second);
      custody.set_reason(request.reason);
      *custody.mutable_checked_out_at() = ToProtoTimestamp(now);
      *custody.mutable_due_at() = ToProtoTimestamp(now + request.due_in);
      custody.set_permanent_transfer(request.permanent_transfer);
      custody.set_recorded_seal_id(device.last_observation().physical().seal_id());
      custody.clear_quarantine_reasons();
      event.set_destination_facility(unit.first);
      event.set_destination_unit(unit.second);
      *event.mutable_due_at() = custody.due_at();
      event.set_permanent_transfer(request.permanent_transfer);
      break;
    case v1::CUSTODY_ACTION_CHECK_IN: {
      event.set_facility(unit.first);
      event.set_unit(unit.second);
      event.set_observed_seal_id(request.observed_seal_id);
      for (const std::string& failure : gate_failures) event.add_gate_failures(failure);
      const bool permanent = custody.permanent_transfer() && gate_failures.empty();
      ClearTransit(custody);
      custody.set_placed_facility(unit.first);
      custody.set_placed_unit(unit.second);
      for (const std::string& failure : gate_failures) custody.add_quarantine_reasons(failure);
      if (permanent) {
        device.set_home_facility(unit.first);
        device.set_home_unit(unit.second);
        device.set_home_source(v1::HOME_SOURCE_ASSIGNED);
        custody.clear_placed_facility();
        custody.clear_placed_unit();
      }
      break;
    }
    case v1::CUSTODY_ACTION_QUARANTINE:
      ClearTransit(custody);
      custody.clear_quarantine_reasons();
      custody.add_quarantine_reasons(request.reason.empty() ? absl::StrCat("quarantined by ", actor.name)
                                                            : request.reason);
      break;
    case v1::CUSTODY_ACTION_RELEASE:
      custody.clear_quarantine_reasons();
      break;
    case v1::CUSTODY_ACTION_RETIRE:
      custody.set_credentials_wiped(true);
      event.set_credentials_wiped(true);
      break;
    default:
      break;
  }
  custody.set_state(*to);
  custody.set_updated_by(actor.name);
  *custody.mutable_updated_at() = ToProtoTimestamp(now);
  custody.set_events(event.index());

  FindingTransaction transaction(engine_);
  rocksdb::WriteBatch batch;
  absl::Status staged = devices_->StageServiceFields(device, batch);
  if (staged.ok()) staged = custody_->Stage(event, custody, batch);
  if (staged.ok()) staged = engine_->StageReevaluation(device, batch, extra);
  if (!staged.ok()) return staged;
  RETURN_IF_ERROR(audit_->Commit(batch, {actor, AuditAction(request.action), tag, before, Describe(custody)}, now));
  transaction.Commit();
  {
    absl::MutexLock lock(&mu_);
    if (*to == v1::CUSTODY_STATE_IN_TRANSIT) {
      checkouts_[tag] = {ToAbslTime(custody.due_at())};
    } else {
      checkouts_.erase(tag);
    }
    PublishCheckoutMetrics();
  }
  v1::CustodyResult result;
  *result.mutable_custody() = custody;
  *result.mutable_event() = std::move(event);
  return result;
}

absl::StatusOr<storage::CustodyHistoryPage> CustodyRuntime::History(absl::string_view asset_tag, std::uint64_t after,
                                                                    int limit) const {
  RETURN_IF_ERROR(devices_->GetDevice(asset_tag));
  return custody_->History(asset_tag, after, limit);
}

absl::StatusOr<std::vector<v1::CheckedOutPump>> CustodyRuntime::ListCheckouts(bool overdue_only) const {
  ASSIGN_OR_RETURN(std::vector<std::string> tags, custody_->CheckedOut());
  const absl::Time now = engine_->clock();
  std::vector<v1::CheckedOutPump> pumps;
  for (const std::string& tag : tags) {
    ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(tag));
    const bool overdue = now > ToAbslTime(device.custody().due_at());
    if (overdue_only && !overdue) continue;
    v1::CheckedOutPump& pump = pumps.emplace_back();
    pump.set_asset_tag(tag);
    *pump.mutable_custody() = device.custody();
    *pump.mutable_location() = device.last_observation().location();
    pump.set_overdue(overdue);
  }
  std::stable_sort(pumps.begin(), pumps.end(), [](const v1::CheckedOutPump& a, const v1::CheckedOutPump& b) {
    return ToAbslTime(a.custody().due_at()) < ToAbslTime(b.custody().due_at());
  });
  return pumps;
}

absl::StatusOr<v1::FindAvailableResponse> CustodyRuntime::FindAvailable(absl::string_view near_unit, int count) const {
  std::shared_ptr<const rules::CompiledPolicy> policy = engine_->policy();
  const v1::Unit* near = policy->FindUnitAnywhere(near_unit);
  if (near == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("near_unit: \"", near_unit, "\" is not a unit of the policy's site"));
  }
  v1::FindAvailableResponse response;
  response.set_par_level(near->par_level());
  response.set_available_in_unit(engine_->AvailableIn(near->facility(), near->id()));
  for (const FindingEngine::AvailablePump& candidate : engine_->FindAvailable(*near, count)) {
    ASSIGN_OR_RETURN(v1::Device device, devices_->GetDevice(candidate.asset_tag));
    v1::AvailablePump& pump = *response.add_pumps();
    pump.set_asset_tag(candidate.asset_tag);
    pump.set_model(device.identity().model());
    *pump.mutable_location() = device.last_observation().location();
    pump.set_proximity(candidate.proximity);
    *pump.mutable_last_seen_at() = device.last_seen_at();
  }
  return response;
}

absl::Status CustodyRuntime::Sweep() {
  RETURN_IF_ERROR(SweepOverdue(engine_->clock()));
  return SweepParLevels();
}

absl::Status CustodyRuntime::SweepOverdue(absl::Time now) {
  std::vector<std::string> due;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [tag, checkout] : checkouts_) {
      if (!checkout.overdue_flagged && checkout.due < now) due.push_back(tag);
    }
    PublishCheckoutMetrics();
  }
  if (due.empty()) return absl::OkStatus();
  absl::Status flagged = RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
    FindingTransaction transaction(engine_);
    rocksdb::WriteBatch batch;
    for (const std::string& tag : due) {
      absl::StatusOr<v1::Device> device = devices_->GetDevice(tag);
      absl::Status staged = device.status();
      if (staged.ok() && device->custody().state() == v1::CUSTODY_STATE_IN_TRANSIT) {
        staged = engine_->StageReevaluation(*device, batch);
      }
      if (!staged.ok()) return staged;
    }
    return transaction.WriteAndCommit(*database_, batch);
  });
  if (!flagged.ok()) return flagged;
  absl::MutexLock lock(&mu_);
  for (const std::string& tag : due) {
    auto it = checkouts_.find(tag);
    if (it != checkouts_.end() && it->second.due < now) it->second.overdue_flagged = true;
  }
  return absl::OkStatus();
}

absl::Status CustodyRuntime::SweepParLevels() {
  return RunOnWriter<absl::Status>(*ingest_, [&]() -> absl::Status {
    FindingTransaction transaction(engine_);
    rocksdb::WriteBatch batch;
    RETURN_IF_ERROR(engine_->StageParLevels(batch));
    return transaction.WriteAndCommit(*database_, batch);
  });
}

void CustodyRuntime::SweeperLoop(absl::Duration interval) {
  absl::Time last_error_log = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) return;
    }
    if (absl::Status swept = Sweep(); !swept.ok() && absl::Now() - last_error_log > absl::Minutes(1)) {
      last_error_log = absl::Now();
      spdlog::warn("custody sweep failed (overdue check-outs and PAR levels are re-checked next time): {}",
                   swept.ToString());
    }
  }
}

void CustodyRuntime::PublishCheckoutMetrics() {
  if (metrics_ == nullptr) return;
  const absl::Time now = engine_->clock();
  std::size_t overdue = 0;
  for (const auto& [tag, checkout] : checkouts_) overdue += checkout.due < now ? 1 : 0;
  metrics_->SetCheckouts(checkouts_.size(), overdue);
}

}  // namespace pumptrack::engine
