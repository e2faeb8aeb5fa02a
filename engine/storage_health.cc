#include "engine/storage_health.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "spdlog/spdlog.h"

namespace pumptrack::engine {
namespace {

// How the reserve's refusal starts; ObserveWrite recognises it by this.
constexpr absl::string_view kReserveRefusal = "storage is nearly full";

}  // namespace

StorageHealth::StorageHealth(storage::Database* database, StorageHealthOptions options)
    : database_(database), options_(options) {
  database_->SetBackgroundErrorHandler([this](const absl::Status& error) { MarkFailed(error); });
  database_->SetWriteGate([this] { return AdmitWrite(); });
}

StorageHealth::~StorageHealth() {
  Stop();
  database_->SetWriteGate(nullptr);
  database_->SetBackgroundErrorHandler(nullptr);
}

void StorageHealth::Start(std::function<void(bool)> on_change) {
  on_change_ = std::move(on_change);
  const bool serving = Check();
  on_change_(serving);
  watcher_ = std::thread([this, serving] {
    NameThisThread("pt-storage");
    WatchLoop(serving);
  });
}

void StorageHealth::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void StorageHealth::ObserveWrite(const absl::Status& result) {
  if (result.ok()) return;
  {
    // The reserve's own refusal (AdmitWrite) is not a storage failure: nothing reached RocksDB.
    absl::MutexLock lock(&mu_);
    if (low_space_ && absl::IsResourceExhausted(result) && absl::StrContains(result.message(), kReserveRefusal)) {
      return;
    }
  }
  MarkFailed(result);
}

absl::Status StorageHealth::AdmitWrite() const {
  absl::MutexLock lock(&mu_);
  if (!low_space_) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(kReserveRefusal, " (", free_bytes_ >> 20, " MiB free, ",
                                                   options_.min_free_bytes >> 20,
                                                   " MiB kept in reserve); nothing was stored, retry later"));
}

absl::Status StorageHealth::Admit() const {
  absl::MutexLock lock(&mu_);
  if (absl::IsResourceExhausted(failure_)) {
    return absl::ResourceExhaustedError("storage is full; nothing was stored, retry later");
  }
  if (!failure_.ok()) return absl::UnavailableError("storage is failing; nothing was stored, retry later");
  if (low_space_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("storage is nearly full (", free_bytes_ >> 20, " MiB free); nothing was stored, retry later"));
  }
  return absl::OkStatus();
}

bool StorageHealth::healthy() const {
  absl::MutexLock lock(&mu_);
  return failure_.ok() && !low_space_;
}

void StorageHealth::MarkFailed(const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  // A full volume is the more useful thing to tell clients; keep it if a later error is less specific.
  if (failure_.ok() || absl::IsResourceExhausted(error)) failure_ = error;
  ++failures_;
}

bool StorageHealth::Check() {
  absl::StatusOr<std::uint64_t> free = database_->FreeBytes();
  absl::Status failure;
  std::uint64_t failures_seen = 0;
  {
    absl::MutexLock lock(&mu_);
    if (free.ok() && options_.min_free_bytes > 0) {
      const bool low = *free < options_.min_free_bytes;
      if (low != low_space_) {
        if (low) {
          spdlog::error("data volume has {} MiB free, less than the {} MiB kept in reserve; refusing every write",
                        *free >> 20, options_.min_free_bytes >> 20);
        } else {
          spdlog::warn("data volume has {} MiB free again", *free >> 20);
        }
      }
      low_space_ = low;
      free_bytes_ = *free;
    }
    failure = failure_;
    failures_seen = failures_;
    if (failure.ok()) return !low_space_;
  }
  absl::Status recovered = database_->ProbeWritable();
  if (recovered.ok()) recovered = database_->Resume();
  absl::MutexLock lock(&mu_);
  // Cleared only if nothing failed again meanwhile.
  if (recovered.ok() && failures_ == failures_seen) {
    spdlog::warn("storage accepts writes again after: {}", failure_.ToString());
    failure_ = absl::OkStatus();
  }
  return failure_.ok() && !low_space_;
}

void StorageHealth::WatchLoop(bool serving) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Wakes at once when something fails while serving; otherwise every check interval.
      auto wake = [this, serving]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || (serving && !failure_.ok()); };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.check_interval);
      if (stopping_) return;
    }
    bool now = healthy();
    if (now) now = Check();                     // free space
    if (now == serving && !now) now = Check();  // still failing: try to recover
    if (now != serving) {
      serving = now;
      if (!serving) spdlog::error("storage cannot take writes; NOT_SERVING until it recovers");
      on_change_(serving);
    }
  }
}

}  // namespace pumptrack::engine
