#ifndef PUMPTRACK_SERVICE_ADMIN_HANDLERS_H_
#define PUMPTRACK_SERVICE_ADMIN_HANDLERS_H_

// Handlers of the token, agent-registry and audit services: functions of a request, the authorised caller and the
// stores, run on the worker pool (their writes sync to disk). Each validates its request first.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/caller.h"
#include "pumptrack/v1/agent_registry.pb.h"
#include "pumptrack/v1/audit.pb.h"
#include "pumptrack/v1/auth.pb.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/token_store.h"

namespace pumptrack::service {

absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& request, const engine::Caller& caller,
                                                    storage::TokenStore& tokens, absl::Time now);
absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest& request,
                                                  const storage::TokenStore& tokens);
absl::StatusOr<v1::Token> RevokeToken(const v1::RevokeTokenRequest& request, const engine::Caller& caller,
                                      storage::TokenStore& tokens, absl::Time now);

absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest& request,
                                                  const storage::AgentRegistry& agents);
absl::StatusOr<v1::Agent> EnrollAgent(const v1::EnrollAgentRequest& request, const engine::Caller& caller,
                                      storage::AgentRegistry& agents, absl::Time now);
absl::StatusOr<v1::Agent> RevokeAgent(const v1::RevokeAgentRequest& request, const engine::Caller& caller,
                                      storage::AgentRegistry& agents, absl::Time now);

absl::StatusOr<v1::ListAuditResponse> ListAudit(const v1::ListAuditRequest& request, const storage::AuditLog& audit);
absl::StatusOr<v1::VerifyAuditResponse> VerifyAudit(const v1::VerifyAuditRequest& request,
                                                    const storage::AuditLog& audit);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_ADMIN_HANDLERS_H_
