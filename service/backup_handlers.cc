#include "service/backup_handlers.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/write_batch.h"
#include "storage/backup.h"

namespace pumptrack::service {

absl::StatusOr<v1::Backup> CreateBackup(const v1::CreateBackupRequest& request, const engine::Caller& caller,
                                        storage::Database& database, storage::AuditLog& audit, absl::Time now) {
  if (absl::Status valid = storage::CheckBackupDir(request.dest_dir(), database.path(), "dest_dir"); !valid.ok()) {
    return valid;
  }
  ASSIGN_OR_RETURN(v1::Backup backup, storage::CreateBackup(database, request.dest_dir()));
  rocksdb::WriteBatch nothing_else;  // the entry is the whole change
  RETURN_IF_ERROR(audit.Commit(nothing_else,
                               {caller.actor, "backup.create", backup.dir(), "",
                                absl::StrCat("backup ", backup.backup_id(), ", ", backup.file_count(), " files, ",
                                             backup.size_bytes(), " bytes, verified")},
                               now));
  return backup;
}

absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& request,
                                                    const storage::Database& database) {
  RETURN_IF_ERROR(storage::CheckBackupDir(request.dir(), database.path(), "dir"));
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, storage::ListBackups(request.dir()));
  v1::ListBackupsResponse response;
  for (v1::Backup& backup : backups) *response.add_backups() = std::move(backup);
  return response;
}

absl::StatusOr<v1::Backup> VerifyBackup(const v1::VerifyBackupRequest& request, const storage::Database& database) {
  RETURN_IF_ERROR(storage::CheckBackupDir(request.dir(), database.path(), "dir"));
  if (request.backup_id() == 0) return absl::InvalidArgumentError("backup_id: is required (1, 2, ...)");
  return storage::VerifyBackup(request.dir(), request.backup_id());
}

}  // namespace pumptrack::service
