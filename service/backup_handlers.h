#ifndef PUMPTRACK_SERVICE_BACKUP_HANDLERS_H_
#define PUMPTRACK_SERVICE_BACKUP_HANDLERS_H_

// Handlers of BackupService: functions of a request, the authorised caller and storage, run on the worker pool (a
// backup blocks its worker until the copy is written and verified). Each validates its request first.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/caller.h"
#include "pumptrack/v1/backup.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace pumptrack::service {

// Backs up `database` into request.dest_dir and verifies it; on success appends a "backup.create" audit entry
// (target: the directory; after: the backup id, files and bytes). A failed backup is not audited and returns the
// storage error (see storage::CreateBackup).
absl::StatusOr<v1::Backup> CreateBackup(const v1::CreateBackupRequest& request, const engine::Caller& caller,
                                        storage::Database& database, storage::AuditLog& audit, absl::Time now);

// `database` only locates the data directory, which no backup directory may be or contain.
absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& request,
                                                    const storage::Database& database);
absl::StatusOr<v1::Backup> VerifyBackup(const v1::VerifyBackupRequest& request, const storage::Database& database);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_BACKUP_HANDLERS_H_
