#include "cli/security_commands.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/csv_columns.h"
#include "cli/json.h"
#include "cli/paging.h"
#include "cli/security_format.h"
#include "common/status_macros.h"

namespace pumptrack::cli {

namespace {

std::string TokenSubject(const std::string& id) { return absl::StrCat("token ", id); }
std::string AgentSubject(const std::string& agent_id) { return absl::StrCat("agent ", agent_id); }

v1::ListAuditRequest AuditRequest(const AuditQuery& query) {
  v1::ListAuditRequest request;
  if (query.start) *request.mutable_start_time() = ToProtoTimestamp(*query.start);
  if (query.end) *request.mutable_end_time() = ToProtoTimestamp(*query.end);
  request.set_actor(query.actor);
  return request;
}

// Fetches one page of the audit log for `request` at `page_token`.
absl::StatusOr<v1::ListAuditResponse> FetchAuditPage(v1::AuditService::StubInterface& stub,
                                                     const ConnectionOptions& connection, v1::ListAuditRequest& request,
                                                     const std::string& page_token) {
  request.set_page_token(page_token);
  v1::ListAuditResponse page;
  const grpc::Status status = stub.ListAudit(NewCallContext(connection).get(), request, &page);
  if (!status.ok()) return FromRpcStatus(status, "audit log", connection);
  return page;
}

}  // namespace

absl::Status CreateToken(const TokenContext& context, const CreateTokenOptions& options) {
  v1::CreateTokenRequest request;
  request.set_name(options.name);
  request.set_role(options.role);
  if (options.ttl) *request.mutable_ttl() = ToProtoDuration(*options.ttl);
  v1::CreateTokenResponse created;
  const grpc::Status status = context.stub.CreateToken(NewCallContext(context.connection).get(), request, &created);
  if (!status.ok()) return FromRpcStatus(status, absl::StrCat("token ", options.name), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(created, context.out);
  PrintCreatedToken(created, context.now, context.out);
  return absl::OkStatus();
}

absl::Status ListTokens(const TokenContext& context) {
  v1::ListTokensResponse listed;
  const grpc::Status status =
      context.stub.ListTokens(NewCallContext(context.connection).get(), v1::ListTokensRequest(), &listed);
  if (!status.ok()) return FromRpcStatus(status, "token list", context.connection);
  const std::vector<v1::Token> tokens(listed.tokens().begin(), listed.tokens().end());
  return PrintList(
      context, tokens, "No tokens found.", [&](const auto& items) { PrintTokenTable(items, context.now, context.out); },
      std::span(TokenCsvColumns()));
}

absl::Status RevokeToken(const TokenContext& context, const std::string& id) {
  v1::RevokeTokenRequest request;
  request.set_id(id);
  v1::Token revoked;
  const grpc::Status status = context.stub.RevokeToken(NewCallContext(context.connection).get(), request, &revoked);
  if (!status.ok()) return FromRpcStatus(status, TokenSubject(id), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(revoked, context.out);
  context.out << FormatRevokedToken(revoked) << '\n';
  return absl::OkStatus();
}

absl::Status ListAgents(const AgentContext& context) {
  v1::ListAgentsResponse listed;
  const grpc::Status status =
      context.stub.ListAgents(NewCallContext(context.connection).get(), v1::ListAgentsRequest(), &listed);
  if (!status.ok()) return FromRpcStatus(status, "agent list", context.connection);
  const std::vector<v1::Agent> agents(listed.agents().begin(), listed.agents().end());
  return PrintList(
      context, agents, "No agents enrolled.", [&](const auto& items) { PrintAgentTable(items, context.out); },
      std::span(AgentCsvColumns()));
}

absl::Status EnrollAgent(const AgentContext& context, const std::string& agent_id, const std::string& note) {
  v1::EnrollAgentRequest request;
  request.set_agent_id(agent_id);
  request.set_note(note);
  v1::Agent enrolled;
  const grpc::Status status = context.stub.EnrollAgent(NewCallContext(context.connection).get(), request, &enrolled);
  if (!status.ok()) return FromRpcStatus(status, AgentSubject(agent_id), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(enrolled, context.out);
  context.out << FormatEnrolledAgent(enrolled) << '\n';
  return absl::OkStatus();
}

absl::Status RevokeAgent(const AgentContext& context, const std::string& agent_id) {
  v1::RevokeAgentRequest request;
  request.set_agent_id(agent_id);
  v1::Agent revoked;
  const grpc::Status status = context.stub.RevokeAgent(NewCallContext(context.connection).get(), request, &revoked);
  if (!status.ok()) return FromRpcStatus(status, AgentSubject(agent_id), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(revoked, context.out);
  context.out << FormatRevokedAgent(revoked) << '\n';
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::AuditEntry>> FetchAudit(v1::AuditService::StubInterface& stub,
                                                       const ConnectionOptions& connection, const AuditQuery& query) {
  v1::ListAuditRequest request = AuditRequest(query);
  request.set_page_size(PageSizeFor(0, query.limit));
  auto fetch_page = [&](const std::string& page_token) {
    return FetchAuditPage(stub, connection, request, page_token);
  };
  auto take_entries = [](v1::ListAuditResponse & page) -> auto& { return *page.mutable_entries(); };
  return CollectPages<v1::AuditEntry, v1::ListAuditResponse>(query.limit, fetch_page, take_entries);
}

absl::Status ListAudit(const AuditContext& context, const AuditQuery& query) {
  ASSIGN_OR_RETURN(std::vector<v1::AuditEntry> entries, FetchAudit(context.stub, context.connection, query));
  return PrintList(
      context, entries, "No audit entries found.", [&](const auto& items) { PrintAuditTable(items, context.out); },
      std::span(AuditCsvColumns()));
}

absl::StatusOr<ExitCode> VerifyAudit(const AuditContext& context) {
  v1::VerifyAuditResponse verdict;
  const grpc::Status status =
      context.stub.VerifyAudit(NewCallContext(context.connection).get(), v1::VerifyAuditRequest(), &verdict);
  if (!status.ok()) return FromRpcStatus(status, "audit log", context.connection);
  if (context.format == OutputFormat::kJson) {
    RETURN_IF_ERROR(PrintJson(verdict, context.out));
  } else {
    context.out << FormatVerifyLine(verdict) << '\n';
  }
  return verdict.ok() ? kExitOk : kExitAuditBroken;
}

absl::Status ExportAudit(const AuditContext& context, const AuditQuery& query) {
  v1::ListAuditRequest request = AuditRequest(query);
  request.set_page_size(static_cast<int32_t>(kMaxPageSize));
  auto fetch_page = [&](const std::string& page_token) {
    return FetchAuditPage(context.stub, context.connection, request, page_token);
  };
  absl::Status printed = absl::OkStatus();
  auto print_page = [&](const v1::ListAuditResponse& page) {
    // Build the whole page first so that a conversion failure never leaves half a page printed.
    std::string lines;
    for (const v1::AuditEntry& entry : page.entries()) {
      absl::StatusOr<std::string> line = ToJsonLine(entry);
      if (!line.ok()) {
        printed = line.status();
        return false;
      }
      absl::StrAppend(&lines, *line, "\n");
    }
    context.out << lines << std::flush;
    return true;
  };
  absl::Status status = ForEachPage<v1::ListAuditResponse>(fetch_page, print_page);
  return status.ok() ? printed : status;
}

}  // namespace pumptrack::cli
