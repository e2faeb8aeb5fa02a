#ifndef PUMPTRACK_SERVICE_CUSTODY_HANDLERS_H_
#define PUMPTRACK_SERVICE_CUSTODY_HANDLERS_H_

// Handlers of CustodyService: functions of a request, the authorised caller and the custody runtime, run on the
// worker pool. Each validates its request first and names the field that is wrong; the actor is always the caller's
// token, never a request field.

#include "absl/status/statusor.h"
#include "engine/caller.h"
#include "engine/custody_runtime.h"
#include "pumptrack/v1/custody.pb.h"

namespace pumptrack::service {

absl::StatusOr<v1::CustodyResult> CheckOut(const v1::CheckOutRequest& request, const engine::Caller& caller,
                                           engine::CustodyRuntime& runtime);
absl::StatusOr<v1::CustodyResult> CheckIn(const v1::CheckInRequest& request, const engine::Caller& caller,
                                          engine::CustodyRuntime& runtime);
absl::StatusOr<v1::CustodyResult> Quarantine(const v1::QuarantineRequest& request, const engine::Caller& caller,
                                             engine::CustodyRuntime& runtime);
absl::StatusOr<v1::CustodyResult> Release(const v1::ReleaseRequest& request, const engine::Caller& caller,
                                          engine::CustodyRuntime& runtime);
absl::StatusOr<v1::CustodyResult> SetMaintenance(const v1::SetMaintenanceRequest& request, const engine::Caller& caller,
                                                 engine::CustodyRuntime& runtime);
absl::StatusOr<v1::CustodyResult> Retire(const v1::RetireRequest& request, const engine::Caller& caller,
                                         engine::CustodyRuntime& runtime);
absl::StatusOr<v1::GetCustodyHistoryResponse> GetCustodyHistory(const v1::GetCustodyHistoryRequest& request,
                                                                const engine::CustodyRuntime& runtime);
absl::StatusOr<v1::ListCustodyResponse> ListCustody(const v1::ListCustodyRequest& request,
                                                    const engine::CustodyRuntime& runtime);
absl::StatusOr<v1::FindAvailableResponse> FindAvailable(const v1::FindAvailableRequest& request,
                                                        const engine::CustodyRuntime& runtime);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_CUSTODY_HANDLERS_H_
