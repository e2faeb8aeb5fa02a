#ifndef PUMPTRACK_TESTS_COMMON_TEST_SUPPORT_H_
#define PUMPTRACK_TESTS_COMMON_TEST_SUPPORT_H_

// Helpers every test folder shares: fixed test times and per-test temporary directories.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace pumptrack::testing_support {

// A fixed, realistic agent-clock origin for observations: 2026-03-02 08:00:00 UTC.
inline absl::Time BaseTime() { return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 8, 0, 0), absl::UTCTimeZone()); }

inline google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts));
}

// Where data directories go: /dev/shm (tmpfs: RocksDB's fsyncs are free, which keeps hundreds of server start-ups
// within the suite's time budget) when usable, else testing::TempDir(). PUMPTRACK_TEST_TMPDIR overrides both.
inline std::filesystem::path TestTempRoot() {
  if (const char* dir = std::getenv("PUMPTRACK_TEST_TMPDIR"); dir != nullptr && *dir != '\0') return dir;
  std::error_code error;
  if (std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  return ::testing::TempDir();
}

// A unique directory under TestTempRoot(), named after the running test, removed recursively on destruction. The
// directory itself is NOT created: path() is fresh, so tests can check that whatever opens it creates it.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : "no-test";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    std::random_device random;
    root_ =
        TestTempRoot() / absl::StrCat("pumptrack-test-", name, "-", getpid(), "-", counter.fetch_add(1), "-", random());
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::string path() const { return root_.string(); }

 private:
  std::filesystem::path root_;
};

}  // namespace pumptrack::testing_support

#endif  // PUMPTRACK_TESTS_COMMON_TEST_SUPPORT_H_
