#include "console/rate_limiter.h"

#include <algorithm>
#include <utility>

namespace pumptrack::console {

RateLimiter::RateLimiter(double per_second, double burst, std::function<absl::Time()> clock)
    : per_second_(per_second), burst_(burst), clock_(std::move(clock)) {}

bool RateLimiter::Admit(absl::string_view client) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() >= 10'000 && !buckets_.contains(client)) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(std::string(client), Bucket{burst_, now});
  Bucket& bucket = it->second;
  bucket.tokens = std::min(burst_, bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) * per_second_);
  bucket.updated = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace pumptrack::console
