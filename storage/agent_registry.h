#ifndef PUMPTRACK_STORAGE_AGENT_REGISTRY_H_
#define PUMPTRACK_STORAGE_AGENT_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pumptrack/v1/agent_registry.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace pumptrack::storage {

// The agents allowed to report. Every change is audited in the same write. Held in memory as well, so checking an
// agent on each call never touches disk. Thread-safe.
class AgentRegistry {
 public:
  static absl::StatusOr<std::unique_ptr<AgentRegistry>> Open(Database* database, AuditLog* audit);

  // Enrolls `agent_id` (re-enrolling a revoked agent). Idempotent for an enrolled agent (no new audit entry).
  absl::StatusOr<v1::Agent> Enroll(absl::string_view agent_id, absl::string_view note, const Actor& actor,
                                   absl::Time now);
  // NOT_FOUND for an unknown agent; idempotent for a revoked one.
  absl::StatusOr<v1::Agent> Revoke(absl::string_view agent_id, const Actor& actor, absl::Time now);

  // The agent's record, or nullopt if it was never enrolled.
  std::optional<v1::Agent> Get(absl::string_view agent_id) const;
  // Every agent, ordered by id.
  std::vector<v1::Agent> List() const;

  // Audits a refused call by an agent (revoked or never enrolled). Rate-limited per agent to one entry a minute so a
  // misbehaving agent cannot flood the log.
  absl::Status AuditDenied(absl::string_view agent_id, absl::string_view why, absl::Time now);

 private:
  AgentRegistry(Database* database, AuditLog* audit) : database_(database), audit_(audit) {}
  absl::StatusOr<v1::Agent> Put(const v1::Agent& agent, std::string action, std::string before, const Actor& actor,
                                absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Database* const database_;
  AuditLog* const audit_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, v1::Agent> agents_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> last_denial_audited_ ABSL_GUARDED_BY(mu_);
};

// One-line description of an agent for audit entries.
std::string DescribeAgent(const v1::Agent& agent);

}  // namespace pumptrack::storage

#endif  // PUMPTRACK_STORAGE_AGENT_REGISTRY_H_
