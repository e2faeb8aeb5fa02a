#include "engine/active_policy.h"

#include <utility>

#include "engine/fleet_metrics.h"

namespace pumptrack::engine {

ActivePolicy::ActivePolicy(FleetMetrics* metrics) : metrics_(metrics), policy_(rules::CompiledPolicy::Empty()) {}

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

void ActivePolicy::Install(std::shared_ptr<const rules::CompiledPolicy> policy, const v1::PolicyInfo& provenance) {
  absl::MutexLock lock(&mu_);
  policy_ = std::move(policy);
  info_.Clear();
  *info_.mutable_applied_at() = provenance.applied_at();
  info_.set_applied_by(provenance.applied_by());
  info_.set_source(provenance.source());
  if (metrics_ != nullptr) metrics_->SetParLevels(policy_->proto().site());
}

}  // namespace pumptrack::engine
