#include "service/sign_in_limiter.h"

#include "absl/strings/ascii.h"

namespace pumptrack::service {
namespace {
constexpr std::size_t kMaxKeys = 10'000;
}  // namespace

bool SignInLimiter::Exhausted(const Table& table, const std::string& key, int limit, absl::Time now) const {
  auto it = table.find(key);
  return it != table.end() && now - it->second.start < limits_.window && it->second.failures >= limit;
}

void SignInLimiter::Count(Table& table, const std::string& key, absl::Time now) {
  if (table.size() >= kMaxKeys && !table.contains(key)) table.clear();
  Window& window = table[key];
  if (now - window.start >= limits_.window) window = Window{now, 0};
  ++window.failures;
}

bool SignInLimiter::Throttled(absl::string_view user, absl::string_view source, absl::Time now) {
  const std::string user_key = absl::AsciiStrToLower(user);
  absl::MutexLock lock(&mu_);
  return Exhausted(users_, user_key, limits_.max_failures_per_user, now) ||
         Exhausted(sources_, std::string(source), limits_.max_failures_per_source, now);
}

void SignInLimiter::RecordFailure(absl::string_view user, absl::string_view source, absl::Time now) {
  const std::string user_key = absl::AsciiStrToLower(user);
  absl::MutexLock lock(&mu_);
  Count(users_, user_key, now);
  Count(sources_, std::string(source), now);
}

}  // namespace pumptrack::service
