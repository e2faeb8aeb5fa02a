#include "storage/agent_registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "storage/keys.h"
#include "storage/proto_time.h"
#include "storage/rocksdb_status.h"

namespace pumptrack::storage {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kDenialAuditInterval = absl::Minutes(1);
constexpr std::size_t kMaxNoteLength = 256;

}  // namespace

std::string DescribeAgent(const v1::Agent& agent) {
  return absl::StrCat("agent=", agent.agent_id(), " state=", v1::AgentState_Name(agent.state()));
}

absl::StatusOr<std::unique_ptr<AgentRegistry>> AgentRegistry::Open(Database* database, AuditLog* audit) {
  auto registry = std::unique_ptr<AgentRegistry>(new AgentRegistry(database, audit));
  std::unique_ptr<rocksdb::Iterator> it = database->NewIterator(ColumnFamily::kAgents, rocksdb::ReadOptions());
  absl::MutexLock lock(&registry->mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Agent agent;
    if (!agent.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a stored agent does not parse");
    }
    std::string id = agent.agent_id();
    registry->agents_.emplace(std::move(id), std::move(agent));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "load agents"));
  return registry;
}

absl::StatusOr<v1::Agent> AgentRegistry::Put(const v1::Agent& agent, std::string action, std::string before,
                                             const Actor& actor, absl::Time now) {
  rocksdb::WriteBatch batch;
  rocksdb::Status staged =
      batch.Put(database_->Handle(ColumnFamily::kAgents), keys::AgentKey(agent.agent_id()), agent.SerializeAsString());
  if (!staged.ok()) return FromRocksDb(staged, "stage agent");
  RETURN_IF_ERROR(audit_->Commit(
      batch, {actor, std::move(action), agent.agent_id(), std::move(before), DescribeAgent(agent)}, now));
  agents_[agent.agent_id()] = agent;
  return agent;
}

absl::StatusOr<v1::Agent> AgentRegistry::Enroll(absl::string_view agent_id, absl::string_view note, const Actor& actor,
                                                absl::Time now) {
  RETURN_IF_ERROR(ids::CheckAgentId("agent_id", agent_id));
  if (note.size() > kMaxNoteLength) return absl::InvalidArgumentError("note: must be at most 256 bytes");
  absl::MutexLock lock(&mu_);
  auto it = agents_.find(agent_id);
  if (it != agents_.end() && it->second.state() == v1::AGENT_STATE_ENROLLED) return it->second;
  v1::Agent agent;
  std::string before;
  if (it != agents_.end()) {
    agent = it->second;
    before = DescribeAgent(agent);
  }
  agent.set_agent_id(std::string(agent_id));
  agent.set_state(v1::AGENT_STATE_ENROLLED);
  *agent.mutable_enrolled_at() = ToProtoTimestamp(now);
  agent.set_enrolled_by(actor.name);
  agent.clear_revoked_at();
  agent.clear_revoked_by();
  agent.set_note(std::string(note));
  return Put(agent, "agent.enroll", std::move(before), actor, now);
}

absl::StatusOr<v1::Agent> AgentRegistry::Revoke(absl::string_view agent_id, const Actor& actor, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return absl::NotFoundError(absl::StrCat("agent_id: no agent ", agent_id));
  if (it->second.state() == v1::AGENT_STATE_REVOKED) return it->second;
  v1::Agent agent = it->second;
  agent.set_state(v1::AGENT_STATE_REVOKED);
  *agent.mutable_revoked_at() = ToProtoTimestamp(now);
  agent.set_revoked_by(actor.name);
  return Put(agent, "agent.revoke", DescribeAgent(it->second), actor, now);
}

std::optional<v1::Agent> AgentRegistry::Get(absl::string_view agent_id) const {
  absl::MutexLock lock(&mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return std::nullopt;
  return it->second;
}

std::vector<v1::Agent> AgentRegistry::List() const {
  std::vector<v1::Agent> agents;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [unused, agent] : agents_) agents.push_back(agent);
  }
  std::sort(agents.begin(), agents.end(),
            [](const v1::Agent& a, const v1::Agent& b) { return a.agent_id() < b.agent_id(); });
  return agents;
}

absl::Status AgentRegistry::AuditDenied(absl::string_view agent_id, absl::string_view why, absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    // Bounded: a flood of invented ids (possible with --insecure) forgets old entries instead of growing.
    if (last_denial_audited_.size() >= 10'000 && !last_denial_audited_.contains(agent_id)) {
      last_denial_audited_.clear();
    }
    auto [it, inserted] = last_denial_audited_.try_emplace(agent_id, now);
    if (!inserted) {
      if (now - it->second < kDenialAuditInterval) return absl::OkStatus();
      it->second = now;
    }
  }
  rocksdb::WriteBatch batch;
  absl::StatusOr<v1::AuditEntry> audited = audit_->Commit(
      batch,
      {{v1::ACTOR_KIND_AGENT, std::string(agent_id)}, "agent.denied", std::string(agent_id), "", std::string(why)},
      now);
  return audited.status();
}

}  // namespace pumptrack::storage
