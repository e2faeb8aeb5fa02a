#include "tests/cli/fake_custody_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/custody_format.h"
#include "cli/format.h"

namespace pumptrack::cli::testing {

namespace {

constexpr char kFacility[] = "general";
constexpr int kDefaultPageSize = 100;

bool IsUnit(const std::string& unit) { return unit == "5-west" || unit == "icu-1"; }

grpc::Status UnknownUnit(const std::string& field, const std::string& unit) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat(field, ": the policy's site has no unit '", unit, "'"));
}

// An event of `action` at TestNow() by kTransportName in the pump's unit.
v1::CustodyEvent NewEvent(v1::CustodyAction action, const std::string& asset_tag, const std::string& unit,
                          const std::string& reason) {
  v1::CustodyEvent event;
  event.set_asset_tag(asset_tag);
  event.set_action(action);
  event.set_actor(kTransportName);
  *event.mutable_at() = ToProtoTimestamp(TestNow());
  event.set_facility(kFacility);
  event.set_unit(unit);
  event.set_reason(reason);
  return event;
}

}  // namespace

void FakeCustodyService::AddPump(const std::string& asset_tag, const std::string& unit, const std::string& seal_id) {
  std::lock_guard lock(mutex_);
  Pump& pump = pumps_[asset_tag];
  pump.unit = unit;
  pump.seal_id = seal_id;
  pump.custody.set_state(v1::CUSTODY_STATE_AVAILABLE);
}

void FakeCustodyService::SetGateFailures(const std::string& asset_tag, std::vector<std::string> failures) {
  std::lock_guard lock(mutex_);
  pumps_.at(asset_tag).gate_failures = std::move(failures);
}

void FakeCustodyService::SetMaxHistoryPageSize(int page_size) {
  std::lock_guard lock(mutex_);
  max_history_page_size_ = page_size;
}

void FakeCustodyService::SetNow(absl::Time now) {
  std::lock_guard lock(mutex_);
  now_ = now;
}

void FakeCustodyService::SetAvailable(const v1::FindAvailableResponse& response) {
  std::lock_guard lock(mutex_);
  available_ = response;
}

#define PUMPTRACK_FAKE_LOG_GETTER(type, name)          \
  std::vector<type> FakeCustodyService::name() const { \
    std::lock_guard lock(mutex_);                      \
    return name##_;                                    \
  }
PUMPTRACK_FAKE_LOG_GETTER(v1::CheckOutRequest, checkout_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::CheckInRequest, checkin_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::QuarantineRequest, quarantine_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::ReleaseRequest, release_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::SetMaintenanceRequest, maintenance_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::RetireRequest, retire_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::GetCustodyHistoryRequest, history_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::ListCustodyRequest, list_requests)
PUMPTRACK_FAKE_LOG_GETTER(v1::FindAvailableRequest, find_requests)
#undef PUMPTRACK_FAKE_LOG_GETTER

int FakeCustodyService::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

template <typename Request>
grpc::Status FakeCustodyService::Record(const grpc::ServerContext& context, const Request& request,
                                        std::vector<Request>& log) {
  ++calls_;
  log.push_back(request);
  return auth_.Check(context);
}

template <typename Request>
grpc::Status FakeCustodyService::Begin(const grpc::ServerContext& context, const Request& request,
                                       std::vector<Request>& log, Pump*& pump) {
  if (grpc::Status auth = Record(context, request, log); !auth.ok()) return auth;
  auto it = pumps_.find(request.asset_tag());
  if (it == pumps_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such device");
  pump = &it->second;
  return grpc::Status::OK;
}

grpc::Status FakeCustodyService::Apply(const std::string& asset_tag, Pump& pump,
                                       std::initializer_list<v1::CustodyState> from, v1::CustodyState to,
                                       v1::CustodyEvent event, v1::CustodyResult& response) {
  const v1::CustodyState state = pump.custody.state();
  if (std::find(from.begin(), from.end(), state) == from.end()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat(asset_tag, " is ", CustodyStateName(state), "; cannot ",
                                     CustodyActionName(event.action()), " it"));
  }
  event.set_index(pump.events.size() + 1);
  event.set_from_state(state);
  event.set_to_state(to);
  v1::Custody& custody = pump.custody;
  custody.set_state(to);
  custody.set_updated_by(kTransportName);
  *custody.mutable_updated_at() = event.at();
  custody.set_events(event.index());
  if (to != v1::CUSTODY_STATE_QUARANTINED) custody.clear_quarantine_reasons();
  pump.events.push_back(event);
  *response.mutable_custody() = custody;
  *response.mutable_event() = std::move(event);
  return grpc::Status::OK;
}

grpc::Status FakeCustodyService::CheckOut(grpc::ServerContext* context, const v1::CheckOutRequest* request,
                                          v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, checkout_requests_, pump); !begun.ok()) return begun;
  if (!IsUnit(request->destination_unit())) return UnknownUnit("destination_unit", request->destination_unit());
  if (request->reason().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "reason: is required");
  v1::CustodyEvent event = NewEvent(v1::CUSTODY_ACTION_CHECK_OUT, request->asset_tag(), pump->unit, request->reason());
  event.set_destination_facility(kFacility);
  event.set_destination_unit(request->destination_unit());
  *event.mutable_due_at() = ToProtoTimestamp(TestNow() + ToAbslDuration(request->due_in()));
  event.set_permanent_transfer(request->permanent_transfer());
  if (pump->custody.state() == v1::CUSTODY_STATE_AVAILABLE) {
    v1::Custody& custody = pump->custody;
    custody.set_holder(kTransportName);
    custody.set_origin_facility(kFacility);
    custody.set_origin_unit(pump->unit);
    custody.set_destination_facility(kFacility);
    custody.set_destination_unit(request->destination_unit());
    custody.set_reason(request->reason());
    *custody.mutable_checked_out_at() = event.at();
    *custody.mutable_due_at() = event.due_at();
    custody.set_permanent_transfer(request->permanent_transfer());
    custody.set_recorded_seal_id(pump->seal_id);
  }
  return Apply(request->asset_tag(), *pump, {v1::CUSTODY_STATE_AVAILABLE}, v1::CUSTODY_STATE_IN_TRANSIT,
               std::move(event), *response);
}

grpc::Status FakeCustodyService::CheckIn(grpc::ServerContext* context, const v1::CheckInRequest* request,
                                         v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, checkin_requests_, pump); !begun.ok()) return begun;
  if (!IsUnit(request->unit())) return UnknownUnit("unit", request->unit());
  v1::CustodyEvent event =
      NewEvent(v1::CUSTODY_ACTION_CHECK_IN, request->asset_tag(), request->unit(), request->notes());
  event.set_observed_seal_id(request->observed_seal_id());
  std::vector<std::string> failures = pump->gate_failures;
  if (request->observed_seal_id() != pump->custody.recorded_seal_id()) {
    failures.insert(failures.begin(), absl::StrCat("seal ", request->observed_seal_id(), " observed, ",
                                                   pump->custody.recorded_seal_id(), " recorded at check-out"));
  }
  for (const std::string& failure : failures) event.add_gate_failures(failure);
  const bool passed = failures.empty();
  if (pump->custody.state() == v1::CUSTODY_STATE_IN_TRANSIT) {
    pump->unit = request->unit();
    pump->custody.set_placed_facility(kFacility);
    pump->custody.set_placed_unit(request->unit());
    for (const std::string& failure : failures) pump->custody.add_quarantine_reasons(failure);
  }
  return Apply(request->asset_tag(), *pump, {v1::CUSTODY_STATE_IN_TRANSIT},
               passed ? v1::CUSTODY_STATE_AVAILABLE : v1::CUSTODY_STATE_QUARANTINED, std::move(event), *response);
}

grpc::Status FakeCustodyService::Quarantine(grpc::ServerContext* context, const v1::QuarantineRequest* request,
                                            v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, quarantine_requests_, pump); !begun.ok()) return begun;
  if (pump->custody.state() != v1::CUSTODY_STATE_RETIRED) {
    pump->custody.add_quarantine_reasons(request->reason().empty() ? "set by hand" : request->reason());
  }
  return Apply(request->asset_tag(), *pump,
               {v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_STATE_IN_TRANSIT, v1::CUSTODY_STATE_QUARANTINED,
                v1::CUSTODY_STATE_IN_MAINTENANCE},
               v1::CUSTODY_STATE_QUARANTINED,
               NewEvent(v1::CUSTODY_ACTION_QUARANTINE, request->asset_tag(), pump->unit, request->reason()), *response);
}

grpc::Status FakeCustodyService::Release(grpc::ServerContext* context, const v1::ReleaseRequest* request,
                                         v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, release_requests_, pump); !begun.ok()) return begun;
  return Apply(request->asset_tag(), *pump, {v1::CUSTODY_STATE_QUARANTINED, v1::CUSTODY_STATE_IN_MAINTENANCE},
               v1::CUSTODY_STATE_AVAILABLE,
               NewEvent(v1::CUSTODY_ACTION_RELEASE, request->asset_tag(), pump->unit, request->notes()), *response);
}

grpc::Status FakeCustodyService::SetMaintenance(grpc::ServerContext* context, const v1::SetMaintenanceRequest* request,
                                                v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, maintenance_requests_, pump); !begun.ok()) return begun;
  return Apply(request->asset_tag(), *pump, {v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_STATE_QUARANTINED},
               v1::CUSTODY_STATE_IN_MAINTENANCE,
               NewEvent(v1::CUSTODY_ACTION_SET_MAINTENANCE, request->asset_tag(), pump->unit, request->reason()),
               *response);
}

grpc::Status FakeCustodyService::Retire(grpc::ServerContext* context, const v1::RetireRequest* request,
                                        v1::CustodyResult* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, retire_requests_, pump); !begun.ok()) return begun;
  v1::CustodyEvent event = NewEvent(v1::CUSTODY_ACTION_RETIRE, request->asset_tag(), pump->unit, request->reason());
  event.set_credentials_wiped(true);
  if (pump->custody.state() != v1::CUSTODY_STATE_RETIRED) pump->custody.set_credentials_wiped(true);
  return Apply(request->asset_tag(), *pump,
               {v1::CUSTODY_STATE_AVAILABLE, v1::CUSTODY_STATE_IN_TRANSIT, v1::CUSTODY_STATE_QUARANTINED,
                v1::CUSTODY_STATE_IN_MAINTENANCE},
               v1::CUSTODY_STATE_RETIRED, std::move(event), *response);
}

grpc::Status FakeCustodyService::GetCustodyHistory(grpc::ServerContext* context,
                                                   const v1::GetCustodyHistoryRequest* request,
                                                   v1::GetCustodyHistoryResponse* response) {
  std::lock_guard lock(mutex_);
  Pump* pump = nullptr;
  if (grpc::Status begun = Begin(*context, *request, history_requests_, pump); !begun.ok()) return begun;
  std::size_t first = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_token: is malformed");
  }
  const int asked = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  const std::size_t page_size = static_cast<std::size_t>(std::min(asked, max_history_page_size_));
  const std::size_t end = std::min(pump->events.size(), first + page_size);
  for (std::size_t i = first; i < end; ++i) *response->add_events() = pump->events[i];
  if (end < pump->events.size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status FakeCustodyService::ListCustody(grpc::ServerContext* context, const v1::ListCustodyRequest* request,
                                             v1::ListCustodyResponse* response) {
  std::lock_guard lock(mutex_);
  if (grpc::Status auth = Record(*context, *request, list_requests_); !auth.ok()) return auth;
  std::vector<v1::CheckedOutPump> checkouts;
  for (const auto& [asset_tag, pump] : pumps_) {
    if (pump.custody.state() != v1::CUSTODY_STATE_IN_TRANSIT) continue;
    v1::CheckedOutPump checkout;
    checkout.set_asset_tag(asset_tag);
    *checkout.mutable_custody() = pump.custody;
    checkout.mutable_location()->set_facility(kFacility);
    checkout.mutable_location()->set_unit(pump.unit);
    checkout.set_overdue(ToAbslTime(pump.custody.due_at()) < now_);
    if (checkout.overdue() || !request->overdue_only()) checkouts.push_back(std::move(checkout));
  }
  std::stable_sort(checkouts.begin(), checkouts.end(), [](const v1::CheckedOutPump& a, const v1::CheckedOutPump& b) {
    return ToAbslTime(a.custody().due_at()) < ToAbslTime(b.custody().due_at());
  });
  for (v1::CheckedOutPump& checkout : checkouts) *response->add_checkouts() = std::move(checkout);
  return grpc::Status::OK;
}

grpc::Status FakeCustodyService::FindAvailable(grpc::ServerContext* context, const v1::FindAvailableRequest* request,
                                               v1::FindAvailableResponse* response) {
  std::lock_guard lock(mutex_);
  if (grpc::Status auth = Record(*context, *request, find_requests_); !auth.ok()) return auth;
  if (!IsUnit(request->near_unit())) return UnknownUnit("near_unit", request->near_unit());
  *response = available_;
  return grpc::Status::OK;
}

}  // namespace pumptrack::cli::testing
