#ifndef PUMPTRACK_STORAGE_BACKUP_H_
#define PUMPTRACK_STORAGE_BACKUP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/backup.pb.h"
#include "storage/database.h"

namespace pumptrack::storage {

// Backups of a whole data directory with RocksDB's BackupEngine: every column family, consistent at one point in
// time, taken while the database stays open for reads and writes. A backup directory holds backups 1, 2, ...; later
// ones share unchanged table files with earlier ones. Each backup records the data directory format version.

// Checks that `dir` may be a backup directory for the database at `data_dir`: non-empty, absolute, no ".."
// component, and neither the data directory nor inside it (nor containing it). INVALID_ARGUMENT naming `field`.
absl::Status CheckBackupDir(absl::string_view dir, const std::string& data_dir, absl::string_view field);

// Writes a new backup of `database` into `dest_dir` (created if missing), then verifies every file of it against the
// checksums computed while writing. Returns the backup with verified = true. Thread-safe: backups run one at a time
// per process. UNAVAILABLE / RESOURCE_EXHAUSTED if writing fails (the partial backup is not listed and is removed by
// the next backup into the same directory), DATA_LOSS if the written backup does not verify.
absl::StatusOr<v1::Backup> CreateBackup(Database& database, const std::string& dest_dir);

// The intact backups in `dir`, oldest first (verified = false). NOT_FOUND if `dir` holds no backups.
absl::StatusOr<std::vector<v1::Backup>> ListBackups(const std::string& dir);

// Re-reads backup `backup_id` in `dir` and checks each file's size and checksum. Returns it with verified = true.
// NOT_FOUND for an unknown id or a directory without backups, DATA_LOSS if a file is missing, short or corrupt.
absl::StatusOr<v1::Backup> VerifyBackup(const std::string& dir, std::uint32_t backup_id);

// Restores backup `backup_id` (the latest intact one when nullopt) from `from_dir` into `data_dir`, which must not
// exist or be an empty directory (FAILED_PRECONDITION otherwise). The backup is verified first; afterwards the
// restored directory is opened once to check that it holds a data directory this pumptrack reads. Offline: nothing
// else may use `data_dir` meanwhile. Returns the restored backup.
absl::StatusOr<v1::Backup> RestoreBackup(const std::string& from_dir, std::optional<std::uint32_t> backup_id,
                                         const std::string& data_dir);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_BACKUP_H_
