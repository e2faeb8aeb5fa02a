#ifndef PUMPTRACK_SERVICE_AUTHZ_H_
#define PUMPTRACK_SERVICE_AUTHZ_H_

#include <array>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/auth.pb.h"

namespace pumptrack::service {

// What a call needs.
enum class Permission {
  // A verified, enrolled agent (client certificate; with --insecure, a claimed and enrolled agent id).
  kAgent,
  // People's permissions, granted by token roles (see RoleGrants).
  kView,
  kTransport,
  kManageAssets,
  kAudit,
  kAdminister,
  // Recording maintenance work (MaintenanceService): technician, asset_manager, admin.
  kRecordMaintenance,
  // Anyone, with or without a token: only AuthService.SignIn (which is rate-limited and audited on its own).
  kAnyone,
  // Any valid token, whatever its role: AuthService.SignOut.
  kAnyPerson,
};

struct MethodPermission {
  absl::string_view method;  // full gRPC method name
  Permission permission;
};

// The one table of who may call what. Every RPC of every pumptrack service appears here exactly once (a test checks
// this against the service descriptors); a method missing from it is refused.
inline constexpr std::array kMethodPermissions = {
    MethodPermission{"/pumptrack.v1.AgentService/Report", Permission::kAgent},
    MethodPermission{"/pumptrack.v1.AgentService/ReportStream", Permission::kAgent},
    MethodPermission{"/pumptrack.v1.InventoryService/GetDevice", Permission::kView},
    MethodPermission{"/pumptrack.v1.InventoryService/ListDevices", Permission::kView},
    MethodPermission{"/pumptrack.v1.InventoryService/Locate", Permission::kView},
    MethodPermission{"/pumptrack.v1.InventoryService/GetDeviceHistory", Permission::kView},
    MethodPermission{"/pumptrack.v1.InventoryService/SetHome", Permission::kManageAssets},
    MethodPermission{"/pumptrack.v1.FindingService/ListFindings", Permission::kView},
    MethodPermission{"/pumptrack.v1.FindingService/GetFinding", Permission::kView},
    MethodPermission{"/pumptrack.v1.FindingService/AcknowledgeFinding", Permission::kManageAssets},
    MethodPermission{"/pumptrack.v1.FindingService/WatchFindings", Permission::kView},
    MethodPermission{"/pumptrack.v1.FindingService/GetRisk", Permission::kView},
    MethodPermission{"/pumptrack.v1.PolicyService/GetPolicy", Permission::kView},
    MethodPermission{"/pumptrack.v1.PolicyService/ValidatePolicy", Permission::kView},
    MethodPermission{"/pumptrack.v1.PolicyService/SetPolicy", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.TokenService/CreateToken", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.TokenService/ListTokens", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.TokenService/RevokeToken", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.AgentRegistryService/ListAgents", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.AgentRegistryService/EnrollAgent", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.AgentRegistryService/RevokeAgent", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.AuditService/ListAudit", Permission::kAudit},
    MethodPermission{"/pumptrack.v1.AuditService/VerifyAudit", Permission::kAudit},
    MethodPermission{"/pumptrack.v1.BackupService/CreateBackup", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.BackupService/ListBackups", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.BackupService/VerifyBackup", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.CustodyService/CheckOut", Permission::kTransport},
    MethodPermission{"/pumptrack.v1.CustodyService/CheckIn", Permission::kTransport},
    MethodPermission{"/pumptrack.v1.CustodyService/Quarantine", Permission::kManageAssets},
    MethodPermission{"/pumptrack.v1.CustodyService/Release", Permission::kManageAssets},
    MethodPermission{"/pumptrack.v1.CustodyService/SetMaintenance", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.CustodyService/Retire", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.CustodyService/GetCustodyHistory", Permission::kView},
    MethodPermission{"/pumptrack.v1.CustodyService/ListCustody", Permission::kView},
    MethodPermission{"/pumptrack.v1.CustodyService/FindAvailable", Permission::kView},
    MethodPermission{"/pumptrack.v1.MaintenanceService/RecordMaintenance", Permission::kRecordMaintenance},
    MethodPermission{"/pumptrack.v1.MaintenanceService/ImportMaintenance", Permission::kRecordMaintenance},
    MethodPermission{"/pumptrack.v1.MaintenanceService/ListMaintenance", Permission::kView},
    MethodPermission{"/pumptrack.v1.MaintenanceService/ListDue", Permission::kView},
    MethodPermission{"/pumptrack.v1.AdvisoryService/ImportAdvisories", Permission::kAdminister},
    MethodPermission{"/pumptrack.v1.AdvisoryService/ListAdvisories", Permission::kView},
    MethodPermission{"/pumptrack.v1.AdvisoryService/GetAdvisory", Permission::kView},
    MethodPermission{"/pumptrack.v1.AdvisoryService/ListAffectedDevices", Permission::kView},
    MethodPermission{"/pumptrack.v1.AdvisoryService/ListUnmappedProducts", Permission::kView},
    MethodPermission{"/pumptrack.v1.ReportService/GetUtilization", Permission::kView},
    MethodPermission{"/pumptrack.v1.AuthService/SignIn", Permission::kAnyone},
    MethodPermission{"/pumptrack.v1.AuthService/SignOut", Permission::kAnyPerson},
};

// The permission `method` needs. INTERNAL for a method missing from the table (fail closed).
absl::StatusOr<Permission> PermissionFor(absl::string_view method);

// Roles nest: viewer < transport < asset_manager < admin. Auditor grants only kAudit. Technician grants kView and
// kRecordMaintenance (which asset_manager and admin also hold). Admin grants everything but kAgent (agents are not
// people). kAnyone is granted to every role and to no role; kAnyPerson to every role.
bool RoleGrants(v1::Role role, Permission permission);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_AUTHZ_H_
