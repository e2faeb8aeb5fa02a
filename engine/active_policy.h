#ifndef PUMPTRACK_ENGINE_ACTIVE_POLICY_H_
#define PUMPTRACK_ENGINE_ACTIVE_POLICY_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "pumptrack/v1/policy.pb.h"
#include "rules/policy.h"

namespace pumptrack::engine {

class FleetMetrics;

// The policy in force and where it came from. Starts with the empty policy. Thread-safe: readers get a shared
// pointer to an immutable compiled policy, so a policy change never disturbs an evaluation in progress.
class ActivePolicy {
 public:
  // `metrics` (which may be null) gets the PAR levels of every policy installed.
  explicit ActivePolicy(FleetMetrics* metrics);

  std::shared_ptr<const rules::CompiledPolicy> get() const;
  // The policy, its text and digest, and when and by whom it was applied.
  v1::PolicyInfo info() const;
  // Puts `policy` in force with its provenance (applied_by, applied_at and source of `provenance`).
  void Install(std::shared_ptr<const rules::CompiledPolicy> policy, const v1::PolicyInfo& provenance);

 private:
  FleetMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const rules::CompiledPolicy> policy_ ABSL_GUARDED_BY(mu_);
  v1::PolicyInfo info_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pumptrack::engine

#endif  // PUMPTRACK_ENGINE_ACTIVE_POLICY_H_
