#include "storage/backup.h"

#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "rocksdb/env.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/proto_time.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

namespace fs = std::filesystem;

// Stored as each backup's application metadata.
constexpr absl::string_view kMetadataPrefix = "pumptrack format_version=";

// One backup at a time per process: two BackupEngines must never write the same directory.
absl::Mutex create_mu(absl::kConstInit);

v1::Backup ToProto(const std::string& dir, const rocksdb::BackupInfo& info) {
  v1::Backup backup;
  backup.set_dir(dir);
  backup.set_backup_id(info.backup_id);
  *backup.mutable_created_at() = ToProtoTimestamp(absl::FromUnixSeconds(info.timestamp));
  backup.set_size_bytes(info.size);
  backup.set_file_count(info.number_files);
  std::uint32_t version = 0;
  absl::string_view metadata = info.app_metadata;
  if (absl::ConsumePrefix(&metadata, kMetadataPrefix) && absl::SimpleAtoi(metadata, &version)) {
    backup.set_format_version(version);
  }
  return backup;
}

rocksdb::BackupEngineOptions EngineOptions(const std::string& dir) {
  rocksdb::BackupEngineOptions options(dir);
  options.sync = true;               // a backup that reported success survives a machine crash
  options.share_table_files = true;  // later backups copy only new table files
  options.max_background_operations = 1;
  return options;
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenReadOnly(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return absl::NotFoundError(absl::StrCat("no backups in ", dir));
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngineReadOnly::Open(EngineOptions(dir), rocksdb::Env::Default(), &raw);
  if (!opened.ok()) return FromRocksDb(opened, absl::StrCat("open backups in ", dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

// Looks up and checks one backup (checksums included) with `engine`.
absl::StatusOr<v1::Backup> VerifyWith(const rocksdb::BackupEngineReadOnlyBase& engine, const std::string& dir,
                                      std::uint32_t backup_id) {
  rocksdb::BackupInfo info;
  rocksdb::Status found = engine.GetBackupInfo(backup_id, &info);
  if (found.IsNotFound()) return absl::NotFoundError(absl::StrCat("no backup ", backup_id, " in ", dir));
  if (!found.ok()) {
    // GetBackupInfo answers Corruption for a backup found damaged when the engine opened (e.g. a missing file).
    return absl::DataLossError(absl::StrCat("backup ", backup_id, " in ", dir, " is damaged: ", found.ToString()));
  }
  rocksdb::IOStatus verified = engine.VerifyBackup(backup_id, /*verify_with_checksum=*/true);
  if (verified.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("backup ", backup_id, " in ", dir, " is missing a file: ", verified.ToString()));
  }
  if (!verified.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup ", backup_id, " in ", dir, " does not verify: ", verified.ToString()));
  }
  v1::Backup backup = ToProto(dir, info);
  backup.set_verified(true);
  return backup;
}

fs::path Normalized(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) return fs::path(path).lexically_normal();
  fs::path canonical = fs::weakly_canonical(absolute, error);
  return (error ? absolute : canonical).lexically_normal();
}

// True if `inner` is `outer` or lies below it.
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckBackupDir(absl::string_view dir, const std::string& data_dir, absl::string_view field) {
  if (dir.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  const fs::path path{std::string(dir)};
  if (!path.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be an absolute path on the server"));
  }
  for (const fs::path& part : path) {
    if (part == "..") return absl::InvalidArgumentError(absl::StrCat(field, ": must not contain \"..\""));
  }
  const fs::path backup = Normalized(std::string(dir));
  const fs::path data = Normalized(data_dir);
  if (IsWithin(backup, data) || IsWithin(data, backup)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be outside the data directory (and must not contain it)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Backup> CreateBackup(Database& database, const std::string& dest_dir) {
  absl::MutexLock lock(&create_mu);
  std::error_code error;
  fs::create_directories(dest_dir, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot create ", dest_dir, ": ", error.message()));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngine::Open(EngineOptions(dest_dir), rocksdb::Env::Default(), &raw);
  if (!opened.ok()) return FromRocksDb(opened, absl::StrCat("open backups in ", dest_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);

  // No flush: the live WAL files are copied with the table files, so the backup is one consistent point in time
  // across every column family, and a backup does not force small table files.
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = false;
  rocksdb::BackupID id = 0;
  rocksdb::IOStatus created =
      engine->CreateNewBackupWithMetadata(options, &database.raw(), absl::StrCat(kMetadataPrefix, kFormatVersion), &id);
  if (!created.ok()) return FromRocksDb(created, absl::StrCat("back up into ", dest_dir));
  return VerifyWith(*engine, dest_dir, id);
}

absl::StatusOr<std::vector<v1::Backup>> ListBackups(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine, OpenReadOnly(dir));
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) return absl::NotFoundError(absl::StrCat("no backups in ", dir));
  std::vector<v1::Backup> backups;
  backups.reserve(infos.size());
  for (const rocksdb::BackupInfo& info : infos) backups.push_back(ToProto(dir, info));
  return backups;
}

absl::StatusOr<v1::Backup> VerifyBackup(const std::string& dir, std::uint32_t backup_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine, OpenReadOnly(dir));
  return VerifyWith(*engine, dir, backup_id);
}

absl::StatusOr<v1::Backup> RestoreBackup(const std::string& from_dir, std::optional<std::uint32_t> backup_id,
                                         const std::string& data_dir) {
  std::error_code error;
  if (fs::exists(data_dir, error) && (!fs::is_directory(data_dir, error) || !fs::is_empty(data_dir, error))) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_dir, " is not empty; restore only into a new or empty directory"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine, OpenReadOnly(from_dir));
  if (!backup_id.has_value()) {
    rocksdb::BackupInfo latest;
    rocksdb::Status found = engine->GetLatestBackupInfo(&latest);
    if (!found.ok()) return absl::NotFoundError(absl::StrCat("no intact backup in ", from_dir));
    backup_id = latest.backup_id;
  }
  ASSIGN_OR_RETURN(v1::Backup backup, VerifyWith(*engine, from_dir, *backup_id));
  if (backup.format_version() != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("backup ", *backup_id, " holds format version ",
                                                      backup.format_version(), "; this pumptrack reads version ",
                                                      kFormatVersion));
  }
  rocksdb::IOStatus restored = engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), *backup_id, data_dir, data_dir);
  if (!restored.ok()) return FromRocksDb(restored, absl::StrCat("restore into ", data_dir));
  // Open once: replays the restored WAL and checks the format version, so a restore that reports success starts.
  DatabaseOptions options;
  options.path = data_dir;
  RETURN_IF_ERROR(Database::Open(options));
  return backup;
}

}  // namespace pumptrack::storage
