#ifndef PUMPTRACK_SERVICE_MAINTENANCE_HANDLERS_H_
#define PUMPTRACK_SERVICE_MAINTENANCE_HANDLERS_H_

// Handlers of MaintenanceService: functions of a request, the authorised caller and the maintenance runtime, run on
// the worker pool. Each validates its request first and names the field that is wrong; the recorder is always the
// caller's token, never a request field.

#include "absl/status/statusor.h"
#include "engine/caller.h"
#include "engine/maintenance_runtime.h"
#include "pumptrack/v1/maintenance.pb.h"

namespace pumptrack::service {

// At most this many records per ImportMaintenance call.
inline constexpr int kMaxImportRecords = 20000;

// The validated work of one request; INVALID_ARGUMENT naming `prefix` + the field.
absl::StatusOr<engine::MaintenanceWork> ValidateMaintenanceWork(const v1::RecordMaintenanceRequest& request,
                                                                absl::string_view prefix = "");

absl::StatusOr<v1::RecordMaintenanceResponse> RecordMaintenance(const v1::RecordMaintenanceRequest& request,
                                                                const engine::Caller& caller,
                                                                engine::MaintenanceRuntime& runtime);
absl::StatusOr<v1::ImportMaintenanceResponse> ImportMaintenance(const v1::ImportMaintenanceRequest& request,
                                                                const engine::Caller& caller,
                                                                engine::MaintenanceRuntime& runtime);
absl::StatusOr<v1::ListMaintenanceResponse> ListMaintenance(const v1::ListMaintenanceRequest& request,
                                                            const engine::MaintenanceRuntime& runtime);
absl::StatusOr<v1::ListDueResponse> ListDue(const v1::ListDueRequest& request,
                                            const engine::MaintenanceRuntime& runtime);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_MAINTENANCE_HANDLERS_H_
