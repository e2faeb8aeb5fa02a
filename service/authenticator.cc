#include "service/authenticator.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "spdlog/spdlog.h"

namespace pumptrack::service {
namespace {

constexpr absl::string_view kBearerPrefix = "Bearer ";
// Bounds the failure table; beyond it, the oldest windows are forgotten wholesale.
constexpr std::size_t kMaxTrackedPeers = 10'000;

const absl::Status& Unauthenticated() {
  static const absl::Status* status =
      new absl::Status(absl::UnauthenticatedError("missing, unknown, expired or revoked token"));
  return *status;
}

const absl::Status& PermissionDenied() {
  static const absl::Status* status =
      new absl::Status(absl::PermissionDeniedError("the caller may not use this method"));
  return *status;
}

// The verified client certificate's identity: its first DNS subject alternative name, else its common name; empty
// when the peer presented no certificate.
std::string CertificateIdentity(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return "";
  for (const char* property : {GRPC_PEER_DNS_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
    std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
    if (!values.empty()) return std::string(values.front().data(), values.front().size());
  }
  return "";
}

}  // namespace

Authenticator::Authenticator(const storage::TokenStore* tokens, storage::AgentRegistry* agents, WorkerPool* workers,
                             AuthenticatorOptions options)
    : tokens_(tokens), agents_(agents), workers_(workers), options_(std::move(options)) {}

std::string Authenticator::PeerAddress(const grpc::ServerContextBase& context) {
  std::string peer = context.peer();
  // The web console's bridge calls over the in-process channel on behalf of HTTP clients and names each one; only
  // the in-process transport is trusted to do so.
  if (absl::StartsWith(peer, "inproc") || peer == "unknown") {
    const auto& metadata = context.client_metadata();
    auto client = metadata.find("x-pumptrack-console-client");
    if (client != metadata.end())
      return absl::StrCat("console:", absl::string_view(client->second.data(), client->second.size()));
    return peer;
  }
  const std::size_t colon = peer.rfind(':');
  // "ipv4:1.2.3.4:567" and "ipv6:[::1]:567" lose the port; anything else is kept whole.
  if (colon != std::string::npos && colon > peer.find(':')) peer.resize(colon);
  return peer;
}

bool Authenticator::Throttled(const std::string& peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(peer);
  return it != failures_.end() && now - it->second.window_start < options_.failure_window &&
         it->second.count >= options_.max_failures;
}

void Authenticator::RecordFailure(const std::string& peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (failures_.size() >= kMaxTrackedPeers && !failures_.contains(peer)) failures_.clear();
  Failures& failures = failures_[peer];
  if (now - failures.window_start >= options_.failure_window) failures = Failures{now, 0};
  ++failures.count;
}

absl::StatusOr<engine::Caller> Authenticator::AuthorizePerson(const grpc::ServerContextBase& context,
                                                              absl::string_view method) {
  const absl::Time now = options_.clock();
  const std::string peer = PeerAddress(context);
  if (Throttled(peer, now)) return absl::ResourceExhaustedError("too many failed attempts; retry later");

  ASSIGN_OR_RETURN(Permission permission, PermissionFor(method));

  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  absl::StatusOr<v1::Token> token = Unauthenticated();
  if (header != metadata.end()) {
    absl::string_view value(header->second.data(), header->second.size());
    if (absl::StartsWith(value, kBearerPrefix)) {
      value.remove_prefix(kBearerPrefix.size());
      token = tokens_->Authenticate(value, now);
    }
  }
  if (!token.ok()) {
    RecordFailure(peer, now);
    spdlog::info("refused {} from {}: no valid token", std::string(method), peer);
    return Unauthenticated();
  }
  if (!RoleGrants(token->role(), permission)) {
    RecordFailure(peer, now);
    spdlog::info("refused {} from {} for token {}: role {} does not grant it", std::string(method), peer, token->name(),
                 ids::RoleName(token->role()));
    return PermissionDenied();
  }
  return engine::Caller{{v1::ACTOR_KIND_TOKEN, token->name()}, token->role()};
}

absl::StatusOr<engine::Caller> Authenticator::AuthorizeAgent(const grpc::ServerContextBase& context,
                                                             absl::string_view claimed_agent_id) {
  const absl::Time now = options_.clock();
  const std::string peer = PeerAddress(context);
  if (Throttled(peer, now)) return absl::ResourceExhaustedError("too many failed attempts; retry later");

  std::string agent_id;
  if (options_.tls) {
    agent_id = CertificateIdentity(context);
    if (agent_id.empty()) {
      RecordFailure(peer, now);
      return absl::UnauthenticatedError("agents must present a client certificate signed by the agents' CA");
    }
    if (!ids::IsValidAgentId(agent_id)) {
      RecordFailure(peer, now);
      return absl::UnauthenticatedError("the client certificate's subject is not a valid agent id");
    }
    if (!claimed_agent_id.empty() && !ids::IsValidAgentId(claimed_agent_id)) {
      RecordFailure(peer, now);
      return ids::CheckAgentId("agent.agent_id", claimed_agent_id);
    }
    if (!claimed_agent_id.empty() && claimed_agent_id != agent_id) {
      RecordFailure(peer, now);
      return RefuseAgent(agent_id, absl::PermissionDeniedError("agent_id does not match the client certificate"),
                         absl::StrCat("claimed to be ", claimed_agent_id));
    }
  } else {
    agent_id = std::string(claimed_agent_id);
    if (!ids::IsValidAgentId(agent_id)) {
      RecordFailure(peer, now);
      return ids::CheckAgentId("agent.agent_id", agent_id);
    }
  }

  std::optional<v1::Agent> agent = agents_->Get(agent_id);
  if (!agent) {
    RecordFailure(peer, now);
    return RefuseAgent(agent_id, absl::PermissionDeniedError("this agent is not enrolled"), "not enrolled");
  }
  if (agent->state() != v1::AGENT_STATE_ENROLLED) {
    RecordFailure(peer, now);
    return RefuseAgent(agent_id, absl::PermissionDeniedError("this agent is not enrolled"), "revoked");
  }
  return engine::Caller{{v1::ACTOR_KIND_AGENT, agent_id}, v1::ROLE_UNSPECIFIED};
}

absl::Status Authenticator::RefuseAgent(absl::string_view agent_id, absl::Status refusal, absl::string_view why) {
  spdlog::warn("refused agent {}: {}", std::string(agent_id), std::string(why));
  // The audit write syncs to disk: never on the caller's (reactor) thread.
  const bool queued = workers_->TrySubmit(
      [agents = agents_, id = std::string(agent_id), why = std::string(why), now = options_.clock()] {
        if (absl::Status audited = agents->AuditDenied(id, why, now); !audited.ok()) {
          spdlog::error("could not audit refusal of agent {}: {}", id, audited.ToString());
        }
      });
  if (!queued) {
    // The worker queue is full (or shutting down): the refusal stands, but its audit entry is lost. Say so.
    const std::uint64_t lost = unaudited_refusals_.fetch_add(1, std::memory_order_relaxed) + 1;
    spdlog::error("refusal of agent {} ({}) not audited: the worker queue is full ({} refusals unaudited so far)",
                  std::string(agent_id), std::string(why), lost);
  }
  return refusal;
}

}  // namespace pumptrack::service
