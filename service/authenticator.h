#ifndef PUMPTRACK_SERVICE_AUTHENTICATOR_H_
#define PUMPTRACK_SERVICE_AUTHENTICATOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/caller.h"
#include "grpcpp/server_context.h"
#include "service/authz.h"
#include "service/worker_pool.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/token_store.h"

namespace pumptrack::service {

struct AuthenticatorOptions {
  // True when the port is TLS: agents are identified by their verified client certificate. False with --insecure:
  // agents are identified by the agent_id they claim (development only).
  bool tls = false;
  // Failed attempts per peer address within `failure_window` before further attempts are refused outright.
  int max_failures = 20;
  absl::Duration failure_window = absl::Minutes(1);
  std::function<absl::Time()> clock;
};

// Decides, from a call's metadata and transport, who is calling and whether they may. Uses only in-memory state, so
// it is safe on gRPC reactor threads. Refusals are uniform: UNAUTHENTICATED for a missing, unknown, expired or
// revoked token, PERMISSION_DENIED for a role that does not grant the method, and nothing about which part failed.
// Repeated failures from one peer address are refused with RESOURCE_EXHAUSTED. Never logs a token. Thread-safe.
class Authenticator {
 public:
  // The stores and `workers` (which runs denial audits off the caller's thread) must outlive the authenticator.
  Authenticator(const storage::TokenStore* tokens, storage::AgentRegistry* agents, WorkerPool* workers,
                AuthenticatorOptions options);

  // A person's call to `method` (full gRPC method name): bearer token in the "authorization" metadata.
  absl::StatusOr<engine::Caller> AuthorizePerson(const grpc::ServerContextBase& context, absl::string_view method);

  // An agent's call. With TLS, the identity is the client certificate's subject (first SAN, else CN) and
  // `claimed_agent_id`, if not empty, must equal it; with --insecure it is `claimed_agent_id`. The agent must be
  // enrolled and not revoked; refusals of a known identity are audited.
  absl::StatusOr<engine::Caller> AuthorizeAgent(const grpc::ServerContextBase& context,
                                                absl::string_view claimed_agent_id);

  // Refusals of known agents whose audit entry was dropped because the worker queue was full (each is also logged).
  std::uint64_t unaudited_refusals() const { return unaudited_refusals_.load(std::memory_order_relaxed); }

 private:
  // The peer's address without its port ("ipv4:127.0.0.1").
  static std::string PeerAddress(const grpc::ServerContextBase& context);
  bool Throttled(const std::string& peer, absl::Time now);
  void RecordFailure(const std::string& peer, absl::Time now);
  absl::Status RefuseAgent(absl::string_view agent_id, absl::Status refusal, absl::string_view why);

  const storage::TokenStore* const tokens_;
  storage::AgentRegistry* const agents_;
  WorkerPool* const workers_;
  const AuthenticatorOptions options_;

  struct Failures {
    absl::Time window_start;
    int count = 0;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Failures> failures_ ABSL_GUARDED_BY(mu_);
  std::atomic<std::uint64_t> unaudited_refusals_{0};
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_AUTHENTICATOR_H_
