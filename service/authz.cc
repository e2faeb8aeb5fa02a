#include "service/authz.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pumptrack::service {

absl::StatusOr<Permission> PermissionFor(absl::string_view method) {
  for (const MethodPermission& entry : kMethodPermissions) {
    if (entry.method == method) return entry.permission;
  }
  return absl::InternalError(absl::StrCat("no permission declared for ", method));
}

bool RoleGrants(v1::Role role, Permission permission) {
  switch (permission) {
    case Permission::kAgent:
      return false;
    case Permission::kView:
      return role == v1::ROLE_VIEWER || role == v1::ROLE_TRANSPORT || role == v1::ROLE_ASSET_MANAGER ||
             role == v1::ROLE_ADMIN || role == v1::ROLE_TECHNICIAN;
    case Permission::kTransport:
      return role == v1::ROLE_TRANSPORT || role == v1::ROLE_ASSET_MANAGER || role == v1::ROLE_ADMIN;
    case Permission::kManageAssets:
      return role == v1::ROLE_ASSET_MANAGER || role == v1::ROLE_ADMIN;
    case Permission::kAudit:
      return role == v1::ROLE_AUDITOR || role == v1::ROLE_ADMIN;
    case Permission::kAdminister:
      return role == v1::ROLE_ADMIN;
    case Permission::kRecordMaintenance:
      return role == v1::ROLE_TECHNICIAN || role == v1::ROLE_ASSET_MANAGER || role == v1::ROLE_ADMIN;
    case Permission::kAnyone:
      return true;
    case Permission::kAnyPerson:
      return role != v1::ROLE_UNSPECIFIED && v1::Role_IsValid(role);
  }
  return false;
}

}  // namespace pumptrack::service
