// The CLI's commands for the security services: tokens (TokenService), agents (AgentRegistryService) and the audit log
// (AuditService). Like the inventory commands (commands.h), each one calls the service through an injected stub and
// prints its result to an injected stream; on failure it returns the error (see FromRpcStatus) and prints nothing,
// except ExportAudit, which streams.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/errors.h"
#include "pumptrack/v1/agent_registry.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/auth.grpc.pb.h"

namespace pumptrack::cli {

using TokenContext = ServiceContext<v1::TokenService>;
using AgentContext = ServiceContext<v1::AgentRegistryService>;
using AuditContext = ServiceContext<v1::AuditService>;

struct CreateTokenOptions {
  std::string name;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  // Unset: the token never expires.
  std::optional<absl::Duration> ttl = std::nullopt;
};

struct AuditQuery {
  // Inclusive; unset means from the first entry.
  std::optional<absl::Time> start = std::nullopt;
  // Exclusive; unset means up to now.
  std::optional<absl::Time> end = std::nullopt;
  // Exact actor name; empty means everyone.
  std::string actor = "";
  // Stop after this many entries (oldest first); unset means every page.
  std::optional<std::size_t> limit = std::nullopt;
};

// `tokens create`: the token's details with the secret alone on the last line, or the CreateTokenResponse as JSON.
absl::Status CreateToken(const TokenContext& context, const CreateTokenOptions& options);

// `tokens list`: a table, or a JSON array of Token.
absl::Status ListTokens(const TokenContext& context);

// `tokens revoke`: one line, or the revoked Token as JSON. NOT_FOUND reads "token tok_... not found".
absl::Status RevokeToken(const TokenContext& context, const std::string& id);

// `agents list`: a table, or a JSON array of Agent.
absl::Status ListAgents(const AgentContext& context);

// `agents enroll`: one line, or the enrolled Agent as JSON.
absl::Status EnrollAgent(const AgentContext& context, const std::string& agent_id, const std::string& note);

// `agents revoke`: one line, or the revoked Agent as JSON. NOT_FOUND reads "agent gw-1 not found".
absl::Status RevokeAgent(const AgentContext& context, const std::string& agent_id);

// The audit entries matching `query`, oldest first, following next_page_token until the last page or `query.limit`.
absl::StatusOr<std::vector<v1::AuditEntry>> FetchAudit(v1::AuditService::StubInterface& stub,
                                                       const ConnectionOptions& connection, const AuditQuery& query);

// `audit list`: a table, or a JSON array of AuditEntry.
absl::Status ListAudit(const AuditContext& context, const AuditQuery& query);

// `audit verify`: prints "audit log OK: N entries verified" (or the VerifyAuditResponse as JSON) and returns kExitOk,
// or prints "audit log BROKEN at entry N: <reason>" (or the JSON) and returns kExitAuditBroken.
absl::StatusOr<ExitCode> VerifyAudit(const AuditContext& context);

// `audit export`: every matching entry (`query.limit` is ignored) as JSON Lines: one compact AuditEntry per line,
// hashes in base64 as protobuf JSON has them. Prints each page as it arrives, so a failure after the first page leaves
// the earlier lines printed.
absl::Status ExportAudit(const AuditContext& context, const AuditQuery& query);

}  // namespace pumptrack::cli
