// In-memory TokenService, AgentRegistryService and AuditService for CLI tests, served over real gRPC with TestServer.
// Like the real service, they refuse a call with UNAUTHENTICATED unless its "authorization" metadata is exactly
// "Bearer <the expected token>", and every header they receive is recorded so tests can assert what was sent.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/agent_registry.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/auth.grpc.pb.h"

namespace pumptrack::cli::testing {

// The token every fake accepts unless told otherwise.
inline constexpr char kTestToken[] = "ptk_TestSecret-0123456789_abcdefghijklmnopqrstuvw";

// The authentication and authorization shared by the fakes. Thread-safe.
class FakeAuth {
 public:
  // Accept only "Bearer <token>".
  void ExpectToken(std::string token);
  // Refuse authenticated calls with PERMISSION_DENIED, as for a token whose role does not grant the method.
  void DenyAll(bool deny);
  // Answer UNAUTHENTICATED with this message instead of the real service's (e.g. to check that the CLI hides it).
  void SetUnauthenticatedMessage(std::string message);

  // OK when the call may proceed; records its authorization header.
  grpc::Status Check(const grpc::ServerContext& context);

  // Every call's authorization header, in order ("" for none).
  std::vector<std::string> headers() const;
  int calls() const;

 private:
  mutable std::mutex mutex_;
  std::string expected_ = std::string("Bearer ") + kTestToken;
  std::string unauthenticated_message_ = "missing, unknown, expired or revoked token";
  bool deny_ = false;
  std::vector<std::string> headers_;
};

class FakeTokenService final : public v1::TokenService::Service {
 public:
  explicit FakeTokenService(FakeAuth& auth) : auth_(auth) {}

  // Adds a stored token as is.
  void AddToken(const v1::Token& token);
  std::vector<v1::CreateTokenRequest> create_requests() const;
  std::vector<v1::RevokeTokenRequest> revoke_requests() const;

  // Ids are "tok_000000000000000N", secrets "ptk_CreatedSecretN", created at TestNow() by "root"; names must be
  // non-empty and unique among live tokens, and the role specified.
  grpc::Status CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::Token* response) override;

 private:
  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::map<std::string, v1::Token> tokens_;  // by id
  std::vector<v1::CreateTokenRequest> create_requests_;
  std::vector<v1::RevokeTokenRequest> revoke_requests_;
  int created_ = 0;
};

class FakeAgentRegistryService final : public v1::AgentRegistryService::Service {
 public:
  explicit FakeAgentRegistryService(FakeAuth& auth) : auth_(auth) {}

  void AddAgent(const v1::Agent& agent);
  std::vector<v1::EnrollAgentRequest> enroll_requests() const;

  // Enrolls at TestNow() by "root"; re-enrolling clears the revocation.
  grpc::Status ListAgents(grpc::ServerContext* context, const v1::ListAgentsRequest* request,
                          v1::ListAgentsResponse* response) override;
  grpc::Status EnrollAgent(grpc::ServerContext* context, const v1::EnrollAgentRequest* request,
                           v1::Agent* response) override;
  grpc::Status RevokeAgent(grpc::ServerContext* context, const v1::RevokeAgentRequest* request,
                           v1::Agent* response) override;

 private:
  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::map<std::string, v1::Agent> agents_;  // by agent id
  std::vector<v1::EnrollAgentRequest> enroll_requests_;
};

class FakeAuditService final : public v1::AuditService::Service {
 public:
  explicit FakeAuditService(FakeAuth& auth) : auth_(auth) {}

  // Entries oldest first.
  void SetEntries(std::vector<v1::AuditEntry> entries);
  // Pages hold at most this many entries whatever the request asks for (as a server may return short pages).
  void SetMaxPageSize(int page_size);
  void SetVerdict(const v1::VerifyAuditResponse& verdict);
  std::vector<v1::ListAuditRequest> list_requests() const;

  // Filters by time range and actor; a page_size of 0 means 100; page tokens are the number of matching entries
  // already returned.
  grpc::Status ListAudit(grpc::ServerContext* context, const v1::ListAuditRequest* request,
                         v1::ListAuditResponse* response) override;
  grpc::Status VerifyAudit(grpc::ServerContext* context, const v1::VerifyAuditRequest* request,
                           v1::VerifyAuditResponse* response) override;

 private:
  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::vector<v1::AuditEntry> entries_;
  int max_page_size_ = 1000;
  v1::VerifyAuditResponse verdict_;
  std::vector<v1::ListAuditRequest> list_requests_;
};

// An audit entry at TestNow() - `ago` with a made-up 32-byte hash chain position.
v1::AuditEntry MakeAuditEntry(uint64_t index, absl::Duration ago, v1::ActorKind kind, const std::string& actor,
                              const std::string& action, const std::string& target, const std::string& before,
                              const std::string& after);

}  // namespace pumptrack::cli::testing
