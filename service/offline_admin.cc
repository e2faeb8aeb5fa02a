#include "service/offline_admin.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace pumptrack::service {

absl::StatusOr<storage::CreatedToken> CreateTokenOffline(const std::string& data_dir, absl::string_view name,
                                                         absl::string_view role, absl::Duration ttl) {
  const absl::StatusOr<v1::Role> parsed_role = ids::ParseRole(role);
  if (!parsed_role.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--role: '", role, "' is not one of viewer, transport, asset_manager, auditor, admin, technician"));
  }
  storage::DatabaseOptions options;
  options.path = data_dir;
  // The command's stderr is its one-line error (the status below); RocksDB's own messages would only repeat it.
  options.info_log_sink = [](rocksdb::InfoLogLevel, absl::string_view) {};
  absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
  if (!database.ok()) {
    if (absl::IsUnavailable(database.status()) || absl::IsUnknown(database.status())) {
      return absl::UnavailableError(
          absl::StrCat("cannot open ", data_dir,
                       " (stop pumptrackd first, or use `pumptrack tokens create`): ", database.status().message()));
    }
    return database.status();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditLog> audit, storage::AuditLog::Open(database->get()));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::TokenStore> tokens,
                   storage::TokenStore::Open(database->get(), audit.get()));
  return tokens->Create(name, *parsed_role, ttl, {v1::ACTOR_KIND_OPERATOR, "operator"}, absl::Now());
}

}  // namespace pumptrack::service
