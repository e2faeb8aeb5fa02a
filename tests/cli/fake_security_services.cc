#include "tests/cli/fake_security_services.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/format.h"
#include "tests/cli/fake_inventory_service.h"

namespace pumptrack::cli::testing {

namespace {

bool InRange(const v1::ListAuditRequest& request, const v1::AuditEntry& entry) {
  const absl::Time time = ToAbslTime(entry.time());
  return (!request.has_start_time() || time >= ToAbslTime(request.start_time())) &&
         (!request.has_end_time() || time < ToAbslTime(request.end_time())) &&
         (request.actor().empty() || request.actor() == entry.actor());
}

}  // namespace

// --- FakeAuth --------------------------------------------------------------------------------------------------------

void FakeAuth::ExpectToken(std::string token) {
  std::lock_guard lock(mutex_);
  expected_ = absl::StrCat("Bearer ", token);
}

void FakeAuth::DenyAll(bool deny) {
  std::lock_guard lock(mutex_);
  deny_ = deny;
}

void FakeAuth::SetUnauthenticatedMessage(std::string message) {
  std::lock_guard lock(mutex_);
  unauthenticated_message_ = std::move(message);
}

grpc::Status FakeAuth::Check(const grpc::ServerContext& context) {
  const std::string header = AuthorizationHeader(context);
  std::lock_guard lock(mutex_);
  headers_.push_back(header);
  if (header != expected_) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, unauthenticated_message_);
  if (deny_) return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "the caller may not use this method");
  return grpc::Status::OK;
}

std::vector<std::string> FakeAuth::headers() const {
  std::lock_guard lock(mutex_);
  return headers_;
}

int FakeAuth::calls() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(headers_.size());
}

// --- FakeTokenService ------------------------------------------------------------------------------------------------

void FakeTokenService::AddToken(const v1::Token& token) {
  std::lock_guard lock(mutex_);
  tokens_[token.id()] = token;
}

std::vector<v1::CreateTokenRequest> FakeTokenService::create_requests() const {
  std::lock_guard lock(mutex_);
  return create_requests_;
}

std::vector<v1::RevokeTokenRequest> FakeTokenService::revoke_requests() const {
  std::lock_guard lock(mutex_);
  return revoke_requests_;
}

grpc::Status FakeTokenService::CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                                           v1::CreateTokenResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  create_requests_.push_back(*request);
  if (request->name().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name: is required");
  if (request->role() == v1::ROLE_UNSPECIFIED)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "role: is required");
  for (const auto& [id, token] : tokens_) {
    if (token.name() == request->name() && !token.has_revoked_at()) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "a live token has this name");
    }
  }
  ++created_;
  v1::Token& token = *response->mutable_token();
  token.set_id(absl::StrFormat("tok_%016d", created_));
  token.set_name(request->name());
  token.set_role(request->role());
  *token.mutable_created_at() = ToProtoTimestamp(TestNow());
  if (request->has_ttl()) *token.mutable_expires_at() = ToProtoTimestamp(TestNow() + ToAbslDuration(request->ttl()));
  token.set_created_by("root");
  response->set_secret(absl::StrCat("ptk_CreatedSecret", created_));
  tokens_[token.id()] = token;
  return grpc::Status::OK;
}

grpc::Status FakeTokenService::ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest*,
                                          v1::ListTokensResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  for (const auto& [id, token] : tokens_) *response->add_tokens() = token;
  return grpc::Status::OK;
}

grpc::Status FakeTokenService::RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                                           v1::Token* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  revoke_requests_.push_back(*request);
  auto it = tokens_.find(request->id());
  if (it == tokens_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such token");
  if (!it->second.has_revoked_at()) *it->second.mutable_revoked_at() = ToProtoTimestamp(TestNow());
  *response = it->second;
  return grpc::Status::OK;
}

// --- FakeAgentRegistryService ----------------------------------------------------------------------------------------

void FakeAgentRegistryService::AddAgent(const v1::Agent& agent) {
  std::lock_guard lock(mutex_);
  agents_[agent.agent_id()] = agent;
}

std::vector<v1::EnrollAgentRequest> FakeAgentRegistryService::enroll_requests() const {
  std::lock_guard lock(mutex_);
  return enroll_requests_;
}

grpc::Status FakeAgentRegistryService::ListAgents(grpc::ServerContext* context, const v1::ListAgentsRequest*,
                                                  v1::ListAgentsResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  for (const auto& [id, agent] : agents_) *response->add_agents() = agent;
  return grpc::Status::OK;
}

grpc::Status FakeAgentRegistryService::EnrollAgent(grpc::ServerContext* context, const v1::EnrollAgentRequest* request,
                                                   v1::Agent* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  enroll_requests_.push_back(*request);
  v1::Agent& agent = agents_[request->agent_id()];
  if (agent.state() != v1::AGENT_STATE_ENROLLED) {
    agent.set_agent_id(request->agent_id());
    agent.set_state(v1::AGENT_STATE_ENROLLED);
    *agent.mutable_enrolled_at() = ToProtoTimestamp(TestNow());
    agent.set_enrolled_by("root");
    agent.clear_revoked_at();
    agent.clear_revoked_by();
  }
  agent.set_note(request->note());
  *response = agent;
  return grpc::Status::OK;
}

grpc::Status FakeAgentRegistryService::RevokeAgent(grpc::ServerContext* context, const v1::RevokeAgentRequest* request,
                                                   v1::Agent* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  auto it = agents_.find(request->agent_id());
  if (it == agents_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such agent");
  v1::Agent& agent = it->second;
  if (agent.state() != v1::AGENT_STATE_REVOKED) {
    agent.set_state(v1::AGENT_STATE_REVOKED);
    *agent.mutable_revoked_at() = ToProtoTimestamp(TestNow());
    agent.set_revoked_by("root");
  }
  *response = agent;
  return grpc::Status::OK;
}

// --- FakeAuditService ------------------------------------------------------------------------------------------------

void FakeAuditService::SetEntries(std::vector<v1::AuditEntry> entries) {
  std::lock_guard lock(mutex_);
  entries_ = std::move(entries);
}

void FakeAuditService::SetMaxPageSize(int page_size) {
  std::lock_guard lock(mutex_);
  max_page_size_ = page_size;
}

void FakeAuditService::SetVerdict(const v1::VerifyAuditResponse& verdict) {
  std::lock_guard lock(mutex_);
  verdict_ = verdict;
}

std::vector<v1::ListAuditRequest> FakeAuditService::list_requests() const {
  std::lock_guard lock(mutex_);
  return list_requests_;
}

grpc::Status FakeAuditService::ListAudit(grpc::ServerContext* context, const v1::ListAuditRequest* request,
                                         v1::ListAuditResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  list_requests_.push_back(*request);
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size: must be 0-1000");
  }
  std::vector<const v1::AuditEntry*> matching;
  for (const v1::AuditEntry& entry : entries_) {
    if (InRange(*request, entry)) matching.push_back(&entry);
  }
  std::size_t first = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
  }
  const int page_size = std::min(request->page_size() == 0 ? 100 : request->page_size(), max_page_size_);
  const std::size_t end = std::min(matching.size(), first + page_size);
  for (std::size_t i = first; i < end; ++i) *response->add_entries() = *matching[i];
  if (end < matching.size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status FakeAuditService::VerifyAudit(grpc::ServerContext* context, const v1::VerifyAuditRequest*,
                                           v1::VerifyAuditResponse* response) {
  if (grpc::Status auth = auth_.Check(*context); !auth.ok()) return auth;
  std::lock_guard lock(mutex_);
  *response = verdict_;
  return grpc::Status::OK;
}

v1::AuditEntry MakeAuditEntry(uint64_t index, absl::Duration ago, v1::ActorKind kind, const std::string& actor,
                              const std::string& action, const std::string& target, const std::string& before,
                              const std::string& after) {
  v1::AuditEntry entry;
  entry.set_index(index);
  *entry.mutable_time() = ToProtoTimestamp(TestNow() - ago);
  entry.set_actor_kind(kind);
  entry.set_actor(actor);
  entry.set_action(action);
  entry.set_target(target);
  entry.set_before(before);
  entry.set_after(after);
  entry.set_previous_hash(std::string(32, static_cast<char>(index - 1)));
  entry.set_hash(std::string(32, static_cast<char>(index)));
  return entry;
}

}  // namespace pumptrack::cli::testing
