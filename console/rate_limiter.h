#ifndef PUMPTRACK_CONSOLE_RATE_LIMITER_H_
#define PUMPTRACK_CONSOLE_RATE_LIMITER_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pumptrack::console {

// A token bucket per client address: `burst` requests at once, refilled at `per_second`. Tracks at most 10,000
// clients (forgets all of them when full, so a flood of addresses costs bounded memory). Thread-safe.
class RateLimiter {
 public:
  RateLimiter(
      double per_second, double burst, std::function<absl::Time()> clock = [] { return absl::Now(); });

  // True when `client` may make one more request now (and counts it).
  bool Admit(absl::string_view client);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  const double per_second_;
  const double burst_;
  const std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::console

#endif  // PUMPTRACK_CONSOLE_RATE_LIMITER_H_
