#include "common/ids.h"
#include "common/status_macros.h"
#include "service/admin_handlers.h"

namespace pumptrack::service {

absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest& /*request*/,
                                                  const storage::AgentRegistry& agents) {
  v1::ListAgentsResponse response;
  for (v1::Agent& agent : agents.List()) *response.add_agents() = std::move(agent);
  return response;
}

absl::StatusOr<v1::Agent> EnrollAgent(const v1::EnrollAgentRequest& request, const engine::Caller& caller,
                                      storage::AgentRegistry& agents, absl::Time now) {
  return agents.Enroll(request.agent_id(), request.note(), caller.actor, now);
}

absl::StatusOr<v1::Agent> RevokeAgent(const v1::RevokeAgentRequest& request, const engine::Caller& caller,
                                      storage::AgentRegistry& agents, absl::Time now) {
  RETURN_IF_ERROR(ids::CheckAgentId("agent_id", request.agent_id()));
  return agents.Revoke(request.agent_id(), caller.actor, now);
}

}  // namespace pumptrack::service
