#ifndef PUMPTRACK_SERVICE_SIGN_IN_LIMITER_H_
#define PUMPTRACK_SERVICE_SIGN_IN_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pumptrack::service {

struct SignInLimits {
  // Failed sign-ins for one user name (whether or not it exists) within `window` before further attempts for it are
  // refused outright, and the same from one source address.
  int max_failures_per_user = 5;
  int max_failures_per_source = 20;
  absl::Duration window = absl::Minutes(5);
};

// Counts failed sign-ins per user name (ASCII case folded) and per source address in fixed windows. In memory only;
// bounded (beyond 10,000 keys per table, the oldest windows are forgotten wholesale). Thread-safe.
class SignInLimiter {
 public:
  explicit SignInLimiter(SignInLimits limits) : limits_(limits) {}

  // True when `user` or `source` has used up its failures in the current window.
  bool Throttled(absl::string_view user, absl::string_view source, absl::Time now);
  void RecordFailure(absl::string_view user, absl::string_view source, absl::Time now);

 private:
  struct Window {
    absl::Time start;
    int failures = 0;
  };
  using Table = absl::flat_hash_map<std::string, Window>;
  bool Exhausted(const Table& table, const std::string& key, int limit, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Count(Table& table, const std::string& key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SignInLimits limits_;
  absl::Mutex mu_;
  Table users_ ABSL_GUARDED_BY(mu_);
  Table sources_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SIGN_IN_LIMITER_H_
