#include "cli/backup_commands.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/format.h"
#include "cli/json.h"
#include "cli/table.h"

namespace pumptrack::cli {
namespace {

std::string Summary(const v1::Backup& backup) {
  return absl::StrCat(backup.file_count(), " files, ", backup.size_bytes(), " bytes");
}

}  // namespace

absl::Status CreateBackup(const BackupContext& context, const std::string& dest_dir) {
  v1::CreateBackupRequest request;
  request.set_dest_dir(dest_dir);
  v1::Backup backup;
  const grpc::Status status = context.stub.CreateBackup(NewCallContext(context.connection).get(), request, &backup);
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("backup into ", dest_dir), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(backup, context.out);
  context.out << Printable(absl::StrCat("backup ", backup.backup_id(), " written to ", backup.dir(),
                                        " and verified: ", Summary(backup)))
              << '\n';
  return absl::OkStatus();
}

absl::Status ListBackups(const BackupContext& context, const std::string& dir) {
  v1::ListBackupsRequest request;
  request.set_dir(dir);
  v1::ListBackupsResponse listed;
  const grpc::Status status = context.stub.ListBackups(NewCallContext(context.connection).get(), request, &listed);
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("backups in ", dir), context.connection);
  const std::vector<v1::Backup> backups(listed.backups().begin(), listed.backups().end());
  if (context.format == OutputFormat::kJson) return PrintJsonArrayOf(backups, context.out);
  if (context.format == OutputFormat::kCsv) {
    PrintCsv(std::span(BackupCsvColumns()), std::span<const v1::Backup>(backups), context.out);
    return absl::OkStatus();
  }
  TextTable table({"ID", "CREATED", "FILES", "BYTES", "FORMAT"});
  for (const v1::Backup& backup : backups) {
    table.AddRow({absl::StrCat(backup.backup_id()), FormatTimeAndAge(backup.created_at(), context.now),
                  absl::StrCat(backup.file_count()), absl::StrCat(backup.size_bytes()),
                  absl::StrCat(backup.format_version())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status VerifyBackup(const BackupContext& context, const std::string& dir, std::uint32_t backup_id) {
  v1::VerifyBackupRequest request;
  request.set_dir(dir);
  request.set_backup_id(backup_id);
  v1::Backup backup;
  const grpc::Status status = context.stub.VerifyBackup(NewCallContext(context.connection).get(), request, &backup);
  if (!status.ok()) {
    return FromRpcStatus(status, absl::StrCat("backup ", backup_id, " in ", dir), context.connection);
  }
  if (context.format == OutputFormat::kJson) return PrintJson(backup, context.out);
  context.out << Printable(
                     absl::StrCat("backup ", backup.backup_id(), " in ", backup.dir(), " verified: ", Summary(backup)))
              << '\n';
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
