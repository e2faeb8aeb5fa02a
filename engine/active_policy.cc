#include "engine/active_policy.h"

#include <utility>

#include "engine/fleet_metrics.h"
#include "storage/proto_time.h"

namespace pumptrack::engine {

ActivePolicy::ActivePolicy(FleetMetrics* metrics, std::function<absl::Time()> clock)
    : metrics_(metrics), clock_(std::move(clock)), policy_(rules::CompiledPolicy::Empty()) {}

std::shared_ptr<const rules::CompiledPolicy> ActivePolicy::get() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

v1::PolicyInfo ActivePolicy::info() const {
  absl::MutexLock lock(&mu_);
  v1::PolicyInfo info = info_;
  *info.mutable_policy() = policy_->proto();
  info.set_text(policy_->text());
  info.set_digest(policy_->digest());
  return info;
}

void ActivePolicy::Install(std::shared_ptr<const rules::CompiledPolicy> policy, std::string applied_by) {
  absl::MutexLock lock(&mu_);
  policy_ = std::move(policy);
  *info_.mutable_applied_at() = storage::ToProtoTimestamp(clock_());
  info_.set_applied_by(std::move(applied_by));
  if (metrics_ != nullptr) metrics_->SetParLevels(policy_->proto().site());
}

}  // namespace pumptrack::engine
