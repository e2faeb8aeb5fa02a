// The CLI's commands for BackupService (role admin). Like the other commands (commands.h), each one calls the service
// through an injected stub and prints its result to an injected stream; on failure it returns the error (see
// FromRpcStatus) and prints nothing. Directories are paths on the server's filesystem, not the caller's.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "cli/commands.h"
#include "pumptrack/v1/backup.grpc.pb.h"

namespace pumptrack::cli {

using BackupContext = ServiceContext<v1::BackupService>;

// `backup create --dest=DIR`: "backup N written to DIR and verified: F files, S bytes", or the Backup as JSON.
absl::Status CreateBackup(const BackupContext& context, const std::string& dest_dir);

// `backup list --dir=DIR`: a table (ID, CREATED, FILES, BYTES, FORMAT), or a JSON array of Backup.
absl::Status ListBackups(const BackupContext& context, const std::string& dir);

// `backup verify --dir=DIR ID`: "backup N in DIR verified: F files, S bytes", or the Backup as JSON. A damaged
// backup is a failed call (DATA_LOSS from the server): exit 1 with the server's reason.
absl::Status VerifyBackup(const BackupContext& context, const std::string& dir, std::uint32_t backup_id);

}  // namespace pumptrack::cli
