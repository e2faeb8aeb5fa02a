#ifndef PUMPTRACK_SERVICE_SERVER_H_
#define PUMPTRACK_SERVICE_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "directory/ldap_directory.h"
#include "service/flow_control.h"
#include "service/session_manager.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace grpc {
class Channel;
}  // namespace grpc

namespace pumptrack::v1 {
class Token;
}  // namespace pumptrack::v1

namespace pumptrack::engine {
class CustodyRuntime;
class MaintenanceRuntime;
class FindingsRuntime;
}  // namespace pumptrack::engine

namespace pumptrack::service {

struct ServerOptions {
  // RocksDB data directory; created if missing.
  std::string data_dir;
  // host:port for gRPC; port 0 picks a free port (see Server::grpc_port).
  std::string grpc_listen = "127.0.0.1:50051";
  // host:port for Prometheus' /metrics; port 0 picks a free port; empty disables metrics.
  std::string metrics_listen = "127.0.0.1:9464";
  // host:port for a second, always-plaintext gRPC server that serves only grpc.health.v1 (for kubelet's native gRPC
  // probes, which cannot speak TLS); port 0 picks a free port (see Server::health_port); empty (default) disables it.
  std::string health_listen;
  // Plaintext gRPC, for local development and tests only. Without it, all three TLS files are required.
  bool insecure = false;
  // PEM files: the server's certificate chain and private key, and the CA bundle that signs agents' client
  // certificates. Re-read every `tls_reload_interval`, so rotated files take effect without a restart.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  absl::Duration tls_reload_interval = absl::Seconds(60);
  // Largest gRPC message accepted.
  int max_receive_message_bytes = 4 << 20;
  // Observations that may wait for the group-commit writer before reports are refused with RESOURCE_EXHAUSTED.
  std::size_t ingest_queue_capacity = 100'000;
  // Observations one ReportStream may have read but not yet acknowledged; beyond it the service stops reading that
  // stream (HTTP/2 flow control then holds the agent back), so no agent's backlog queues ahead of everyone else's
  // work. A stream always has at least one batch read. docs/FLOW_CONTROL.md.
  std::size_t max_stream_inflight_observations = kDefaultMaxStreamInflightObservations;
  // Threads that parse and validate ReportStream batches, so gRPC's threads stay free for queries; 0 does it on
  // gRPC's threads. docs/FLOW_CONTROL.md.
  int stream_threads = 2;
  // Threads running blocking request work (RocksDB reads, audited writes).
  int worker_threads = 2;
  std::size_t block_cache_bytes = 64 << 20;
  absl::Duration history_retention = absl::Hours(24 * 400);
  // Policy file in protobuf text format (pumptrack.v1.Policy); empty = the policy last set through PolicyService,
  // else none.
  std::string policy_file;
  // When positive, replaces every missing threshold of the policy (demos and tests).
  absl::Duration missing_after = absl::ZeroDuration();
  // How often overdue check-outs and PAR levels are checked; 0 disables the sweeper (tests call Sweep).
  absl::Duration custody_sweep_interval = absl::Milliseconds(500);
  // How often pumps whose PM fell due or overdue with time alone are re-evaluated (a fleet scan); 0 disables the
  // sweeper (tests call Sweep).
  absl::Duration maintenance_sweep_interval = absl::Minutes(1);
  // The service clock; absl::Now when unset. Injected by tests.
  std::function<absl::Time()> clock;
  // Gives free heap memory back to the system after a burst of reports (IngestOptions::release_memory): pumptrackd
  // sets it for the allocator it is linked with; glibc's malloc_trim when unset.
  std::function<void()> release_memory;
  // RocksDB's environment for the data directory; the default one when null. Injected by tests (a file system that
  // fails writes on demand); must outlive the server.
  rocksdb::Env* storage_env = nullptr;
  // How often free space is checked and, while storage refuses writes, recovery attempted (see StorageHealth).
  absl::Duration storage_check_interval = absl::Seconds(1);
  // Free bytes kept in reserve on the data volume: below this, reports are refused and health is NOT_SERVING.
  std::uint64_t storage_min_free_bytes = 64 << 20;
  // People's sign-in with a directory account (AuthService); disabled while ldap.url is empty. allow_cleartext is
  // taken from `insecure`.
  directory::LdapOptions ldap;
  // The group -> role map file (see directory::RoleMap); required with ldap.url.
  std::string ldap_group_map;
  SessionOptions sessions;
  // Threads that wait on the directory (sign-ins); separate from worker_threads.
  int directory_threads = 4;
};

// A running pumptrack service: storage, group-commit ingest, gRPC services (agents, inventory, tokens, agent
// registry, audit, health, reflection) on one port, and the metrics endpoint. gRPC health (on both the main port and
// --health_listen) is SERVING exactly while storage accepts writes and the server is not shutting down.
class Server {
 public:
  // Opens the data directory and starts serving. Fails with the storage error (e.g. FAILED_PRECONDITION for a data
  // directory of another format, UNAVAILABLE when it is locked), UNAVAILABLE when a port cannot be bound, or
  // INVALID_ARGUMENT for unusable options (naming the missing TLS flags, or an unreadable file).
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);

  // Shuts down (see Shutdown) if still running.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int grpc_port() const;
  // 0 when metrics are disabled.
  int metrics_port() const;
  // 0 when the health port is disabled.
  int health_port() const;

  // Stops accepting calls, lets in-flight calls finish for up to `grace` (then cancels them), commits every queued
  // report, and closes storage. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // Blocks until Shutdown has completed.
  void Wait();

  // Re-reads the policy file (SIGHUP). An invalid file is refused and the current policy stays. FAILED_PRECONDITION
  // when the server was started without --policy.
  absl::Status ReloadPolicy();

  // A channel to this server that never leaves the process (the web console's bridge calls through it, so every call
  // meets the same authentication, permission table, validation and audit as one over the network). Its calls fail
  // with UNAVAILABLE once Shutdown has begun.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // The token a bearer secret belongs to (the console's GET /api/v1/session); UNAUTHENTICATED for a missing,
  // unknown, expired or revoked one. FAILED_PRECONDITION after Shutdown.
  absl::StatusOr<v1::Token> AuthenticateToken(absl::string_view secret);

  // Missing detection, re-evaluation and other finding work; for tests and tools.
  engine::FindingsRuntime& findings();
  engine::CustodyRuntime& custody();
  engine::MaintenanceRuntime& maintenance();
  // Directory sign-in sessions; for tests and tools.
  SessionManager& sessions();

 private:
  struct State;
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SERVER_H_
