// FaultyFileSystem: a rocksdb::FileSystem over the real (POSIX) one that fails writes on demand and reports the free
// space a test sets, for disk-trouble tests. While a fault is set, every new writable file, append, flush and sync
// fails with it; reads and deletions keep working, as they do on a full volume. Needs no privileges (no mount),
// unlike a small tmpfs.
#ifndef PUMPTRACK_TESTS_COMMON_FAULTY_FILE_SYSTEM_H_
#define PUMPTRACK_TESTS_COMMON_FAULTY_FILE_SYSTEM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"

namespace pumptrack::testing_support {

enum class DiskFault {
  kNone,
  // ENOSPC: the volume is full (IOError, subcode NoSpace).
  kFull,
  // EIO: the device is failing (IOError).
  kFailing,
};

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  static const char* kClassName() { return "PumptrackFaultyFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // Takes effect for every later write, including on files already open.
  void SetFault(DiskFault fault) { fault_.store(fault); }
  // The free space GetFreeSpace reports from now on; kRealFreeSpace: the real volume's.
  static constexpr std::uint64_t kRealFreeSpace = ~std::uint64_t{0};
  void SetFreeSpace(std::uint64_t bytes) { free_space_.store(bytes); }

  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options, std::uint64_t* free,
                                 rocksdb::IODebugContext* dbg) override {
    const std::uint64_t injected = free_space_.load();
    if (injected == kRealFreeSpace) return target()->GetFreeSpace(path, options, free, dbg);
    *free = injected;
    return rocksdb::IOStatus::OK();
  }
  DiskFault fault() const { return fault_.load(); }
  // Writes refused since the start.
  int refused_writes() const { return refused_.load(); }

  // The error a write gets now; OK when no fault is set.
  rocksdb::IOStatus Check() {
    switch (fault_.load()) {
      case DiskFault::kNone:
        return rocksdb::IOStatus::OK();
      case DiskFault::kFull:
        ++refused_;
        return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      case DiskFault::kFailing:
        ++refused_;
        return rocksdb::IOStatus::IOError("injected: input/output error");
    }
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Open(result, [&](auto* file) { return target()->NewWritableFile(name, options, file, dbg); });
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Open(result, [&](auto* file) { return target()->ReopenWritableFile(name, options, file, dbg); });
  }

  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Open(result, [&](auto* file) { return target()->ReuseWritableFile(name, old_name, options, file, dbg); });
  }

 private:
  // Fails with the fault, or opens through `open` and wraps the file so its writes fail while a fault is set.
  template <typename OpenFn>
  rocksdb::IOStatus Open(std::unique_ptr<rocksdb::FSWritableFile>* result, OpenFn open) {
    if (rocksdb::IOStatus s = Check(); !s.ok()) return s;
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = open(&file);
    if (s.ok()) *result = std::make_unique<File>(std::move(file), this);
    return s;
  }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FaultyFileSystem* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& info,
                                       rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
    }

   private:
    FaultyFileSystem* const fs_;
  };

  std::atomic<DiskFault> fault_{DiskFault::kNone};
  std::atomic<int> refused_{0};
  std::atomic<std::uint64_t> free_space_{kRealFreeSpace};
};

// An Env whose files go through `fs`; hand it to storage::DatabaseOptions::env / ServerOptions::storage_env.
inline std::unique_ptr<rocksdb::Env> NewFaultyEnv(const std::shared_ptr<FaultyFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

}  // namespace pumptrack::testing_support

#endif  // PUMPTRACK_TESTS_COMMON_FAULTY_FILE_SYSTEM_H_
