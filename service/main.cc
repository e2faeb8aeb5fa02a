// pumptrackd: the pumptrack service.
#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "console/console_server.h"
#include "pumptrack/v1/auth.pb.h"
#include "service/flow_control.h"
#include "service/offline_admin.h"
#include "service/server.h"
#include "spdlog/spdlog.h"
#include "storage/backup.h"

ABSL_FLAG(std::string, data_dir, "", "RocksDB data directory (created if missing). Required.");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051", "host:port for gRPC (agents and people); port 0 picks one.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port for Prometheus /metrics; port 0 picks one; empty disables.");
ABSL_FLAG(std::string, health_listen, "",
          "host:port for a plaintext gRPC server with only grpc.health.v1 (kubelet gRPC probes); empty disables.");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8443",
          "host:port for the web console (HTTPS with --tls_cert/--tls_key; plain HTTP with --insecure); port 0 picks "
          "one; empty disables.");
ABSL_FLAG(int64_t, http_max_body_bytes, 256 << 10, "Web console: largest request body accepted (larger gets 413).");
ABSL_FLAG(double, http_rate_limit, 50,
          "Web console: requests per second per client address (bursts of 4x), beyond which 429.");
ABSL_FLAG(bool, insecure, false, "Serve plaintext gRPC. For local development and tests only.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain of the server.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of the server.");
ABSL_FLAG(std::string, tls_client_ca, "", "PEM CA bundle that signs agents' client certificates.");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(60),
          "How often the TLS files are re-read; rotated certificates take effect without a restart.");
ABSL_FLAG(std::string, role, "", "token create: viewer, transport, asset_manager, auditor, admin or technician.");
ABSL_FLAG(std::string, name, "", "token create: who the token is for.");
ABSL_FLAG(absl::Duration, ttl, absl::ZeroDuration(), "token create: validity; 0 means no expiry.");
ABSL_FLAG(std::string, ready_file, "",
          "When serving, write {\"grpc\": \"host:port\", \"metrics\": \"host:port\", \"http\": \"host:port\"} with "
          "the real ports here (\"\" for a disabled one).");
ABSL_FLAG(int64_t, ingest_queue, 100'000, "Observations that may wait for commit before reports are refused.");
ABSL_FLAG(int64_t, min_free_disk_mb, 64,
          "Free space (MiB) kept in reserve on the data volume: below it, every write (reports and people's audited "
          "changes) is refused with RESOURCE_EXHAUSTED and gRPC health is NOT_SERVING until space is freed; 0 "
          "disables the check.");
ABSL_FLAG(int64_t, max_stream_inflight_observations,
          static_cast<int64_t>(pumptrack::service::kDefaultMaxStreamInflightObservations),
          "Observations one agent stream may have read but not yet acknowledged; beyond it the stream is not read "
          "until acknowledgements catch up, so queries never wait behind one agent's backlog (docs/FLOW_CONTROL.md).");
ABSL_FLAG(int, stream_threads, 2,
          "Threads that parse and validate agents' report batches off gRPC's threads, so people's queries do not wait "
          "behind them; 0: on gRPC's threads (docs/FLOW_CONTROL.md).");
ABSL_FLAG(int, worker_threads, 2, "Threads running blocking request work (RocksDB reads, audited writes).");
ABSL_FLAG(int64_t, block_cache_mb, 64, "RocksDB block cache size in MiB.");
ABSL_FLAG(absl::Duration, history_retention, absl::Hours(24 * 400), "How long device history is kept.");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "Largest gRPC message accepted.");
ABSL_FLAG(std::string, from, "", "restore: the backup directory to restore from.");
ABSL_FLAG(uint32_t, backup_id, 0, "restore: which backup in --from; 0 means the latest intact one.");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error.");
ABSL_FLAG(std::string, policy, "",
          "Site policy in protobuf text format (pumptrack.v1.Policy), re-read on SIGHUP. Empty: the policy last set "
          "with `pumptrack policy set`, else none.");
ABSL_FLAG(absl::Duration, missing_after, absl::ZeroDuration(),
          "When positive, a pump silent this long is MISSING whatever the policy's thresholds say (demos, tests).");
ABSL_FLAG(absl::Duration, maintenance_sweep_interval, absl::Minutes(1),
          "The longest the maintenance sweep sleeps: it wakes at the earliest PM warning or due time (a deadline "
          "queue; a fleet scan only at start-up) and re-evaluates the pumps whose time has come; 0 disables it "
          "(docs/MAINTENANCE.md).");
ABSL_FLAG(std::string, ldap_url, "",
          "People sign in with their directory account: ldaps://HOST:636, or ldap://HOST:389 with StartTLS (a "
          "cleartext bind is refused unless --insecure). Empty: AuthService.SignIn is FAILED_PRECONDITION.");
ABSL_FLAG(std::string, ldap_ca, "", "PEM CA bundle that verifies the directory's certificate; empty: system CAs.");
ABSL_FLAG(std::string, ldap_bind_dn, "", "DN pumptrackd binds as to search for people; empty: anonymous search.");
ABSL_FLAG(std::string, ldap_bind_password_file, "",
          "File holding --ldap_bind_dn's password (one line; a trailing newline is dropped).");
ABSL_FLAG(std::string, ldap_user_base, "", "Search base for people, e.g. OU=Staff,DC=hospital,DC=example.");
ABSL_FLAG(std::string, ldap_user_filter, "(uid={user})",
          "Filter that finds one person; {user} is replaced with the RFC 4515-escaped user name. "
          "Active Directory: (sAMAccountName={user}).");
ABSL_FLAG(std::string, ldap_group_base, "",
          "When set, groups under this base that list the person as member/uniqueMember (OpenLDAP groupOfNames) "
          "count too; memberOf (Active Directory) is always read.");
ABSL_FLAG(std::string, ldap_group_map, "",
          "File mapping directory groups to roles: one 'ROLE GROUP_DN' a line; the highest role of a person's "
          "mapped groups wins; in none, no access. Required with --ldap_url.");
ABSL_FLAG(absl::Duration, ldap_network_timeout, absl::Seconds(3), "Directory connect and TLS handshake timeout.");
ABSL_FLAG(absl::Duration, ldap_timeout, absl::Seconds(5), "Limit on every directory operation (bind, search).");
ABSL_FLAG(absl::Duration, ldap_session_ttl, absl::Hours(8), "Lifetime of a session token from a sign-in (max 24h).");
ABSL_FLAG(absl::Duration, ldap_refresh_interval, absl::Minutes(5),
          "How often signed-in people's groups are re-read; a person in no mapped group (or disabled, removed, or "
          "whose role changed) loses the session then.");
ABSL_FLAG(int, ldap_threads, 4, "Threads waiting on the directory for sign-ins (separate from --worker_threads).");

namespace {

// The host part of a host:port listen address, for the ready file.
std::string HostOf(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

bool WriteReadyFile(const std::string& path, const std::string& grpc, const std::string& metrics,
                    const std::string& http) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "{\"grpc\": \"" << grpc << "\", \"metrics\": \"" << metrics << "\", \"http\": \"" << http << "\"}\n";
    if (!out.flush()) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;  // readers never see a half-written file
}

// `pumptrackd token create`: prints the new token's secret on the last line.
int CreateTokenCommand() {
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty() || absl::GetFlag(FLAGS_role).empty() || absl::GetFlag(FLAGS_name).empty()) {
    std::fprintf(stderr, "pumptrackd: token create needs --data_dir, --role and --name\n");
    return 2;
  }
  absl::StatusOr<pumptrack::storage::CreatedToken> created = pumptrack::service::CreateTokenOffline(
      data_dir, absl::GetFlag(FLAGS_name), absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_ttl));
  if (!created.ok()) {
    std::fprintf(stderr, "pumptrackd: %s\n", std::string(created.status().message()).c_str());
    return 1;
  }
  std::printf("created token %s for %s with role %s; it is shown only once:\n%s\n", created->token.id().c_str(),
              created->token.name().c_str(), pumptrack::storage::RoleName(created->token.role()).c_str(),
              created->secret.c_str());
  return 0;
}

// `pumptrackd restore --from=DIR --data_dir=NEW`: offline; refuses a NEW that exists and is not empty.
int RestoreCommand() {
  const std::string from = absl::GetFlag(FLAGS_from);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (from.empty() || data_dir.empty()) {
    std::fprintf(stderr, "pumptrackd: restore needs --from and --data_dir\n");
    return 2;
  }
  const uint32_t id = absl::GetFlag(FLAGS_backup_id);
  absl::StatusOr<pumptrack::v1::Backup> restored =
      pumptrack::storage::RestoreBackup(from, id == 0 ? std::nullopt : std::optional<uint32_t>(id), data_dir);
  if (!restored.ok()) {
    std::fprintf(stderr, "pumptrackd: %s\n", std::string(restored.status().message()).c_str());
    return 1;
  }
  std::printf("restored backup %u of %s (%u files, %llu bytes, verified) into %s\n", restored->backup_id(),
              from.c_str(), restored->file_count(), static_cast<unsigned long long>(restored->size_bytes()),
              data_dir.c_str());
  return 0;
}

// Abseil's --help lists only the flags of a file named like the program. Every flag of this program is defined in
// this file, so --help and --helpshort list these and none of gRPC's or Abseil's (--helpfull shows everything).
bool IsOwnFlagFile(absl::string_view file) {
  return file == "service/main.cc" || absl::EndsWith(file, "/service/main.cc");
}

}  // namespace

#ifdef PUMPTRACK_JEMALLOC
// pumptrackd is linked with jemalloc (service/CMakeLists.txt): less of the writer's time in the allocator than with
// glibc's (docs/PERFORMANCE.md, "the allocator"). jemalloc reads its settings from this symbol (MALLOC_CONF in the
// environment still wins): a background thread hands memory freed after a burst of reports back to the system within
// about a second, so the resident size follows the fleet, not the largest burst.
extern "C" {
const char* malloc_conf = "background_thread:true,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
// jemalloc's control interface (jemalloc/jemalloc.h, declared here so that no other allocator function is redeclared).
int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen);
}

namespace {
// Purges every arena's unused pages now (after a burst, see IngestOptions::release_memory); 4096 is jemalloc 5's
// MALLCTL_ARENAS_ALL.
void ReleaseFreeMemory() {
  if (const int error = mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0); error != 0) {
    static std::once_flag logged;
    std::call_once(logged, [error] { spdlog::warn("jemalloc did not purge its arenas (error {})", error); });
  }
}
}  // namespace
#endif

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "pumptrackd --data_dir=DIR --tls_cert=PEM --tls_key=PEM --tls_client_ca=PEM [--grpc_listen=HOST:PORT] ...\n"
      "  or: pumptrackd token create --data_dir=DIR --role=ROLE --name=NAME [--ttl=DURATION]   (daemon stopped)\n"
      "  or: pumptrackd restore --from=BACKUP_DIR --data_dir=NEW_EMPTY_DIR [--backup_id=N]       (offline)");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsOwnFlagFile;
  usage_config.contains_helpshort_flags = IsOwnFlagFile;
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built in debug mode, where every Mutex acquisition also updates a process-wide lock graph
  // under a global lock, in the ingest writer and in every gRPC thread. The unit and integration tests keep that
  // check (they run the same code in-process); the daemon turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  if (positional.size() > 1) {
    const std::string verb = absl::StrJoin(positional.begin() + 1, positional.end(), " ");
    if (verb == "token create") return CreateTokenCommand();
    if (verb == "restore") return RestoreCommand();
    std::fprintf(stderr, "pumptrackd: unknown command '%s' (try: pumptrackd token create, pumptrackd restore)\n",
                 verb.c_str());
    return 2;
  }

  // Signals are taken synchronously by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer that closes its socket under a write must give EPIPE, not end the process: libldap writes to the directory
  // without MSG_NOSIGNAL, and a directory restarting under sign-ins killed pumptrackd with SIGPIPE (bench/run-signin).
  std::signal(SIGPIPE, SIG_IGN);

  pumptrack::service::ServerOptions options;
#ifdef PUMPTRACK_JEMALLOC
  options.release_memory = ReleaseFreeMemory;
#endif
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.ingest_queue_capacity = static_cast<std::size_t>(absl::GetFlag(FLAGS_ingest_queue));
  options.storage_min_free_bytes =
      static_cast<std::uint64_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_min_free_disk_mb))) << 20;
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  if (absl::GetFlag(FLAGS_max_stream_inflight_observations) < 1) {
    std::fprintf(stderr, "pumptrackd: --max_stream_inflight_observations must be at least 1\n");
    return 2;
  }
  options.max_stream_inflight_observations =
      static_cast<std::size_t>(absl::GetFlag(FLAGS_max_stream_inflight_observations));
  options.stream_threads = absl::GetFlag(FLAGS_stream_threads);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.tls_reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  options.block_cache_bytes = static_cast<std::size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  options.history_retention = absl::GetFlag(FLAGS_history_retention);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.policy_file = absl::GetFlag(FLAGS_policy);
  options.missing_after = absl::GetFlag(FLAGS_missing_after);
  options.maintenance_sweep_interval = absl::GetFlag(FLAGS_maintenance_sweep_interval);
  options.ldap.url = absl::GetFlag(FLAGS_ldap_url);
  options.ldap.ca_file = absl::GetFlag(FLAGS_ldap_ca);
  options.ldap.bind_dn = absl::GetFlag(FLAGS_ldap_bind_dn);
  options.ldap.user_base = absl::GetFlag(FLAGS_ldap_user_base);
  options.ldap.user_filter = absl::GetFlag(FLAGS_ldap_user_filter);
  options.ldap.group_base = absl::GetFlag(FLAGS_ldap_group_base);
  options.ldap.network_timeout = absl::GetFlag(FLAGS_ldap_network_timeout);
  options.ldap.operation_timeout = absl::GetFlag(FLAGS_ldap_timeout);
  options.ldap_group_map = absl::GetFlag(FLAGS_ldap_group_map);
  options.sessions.ttl = absl::GetFlag(FLAGS_ldap_session_ttl);
  options.sessions.refresh_interval = absl::GetFlag(FLAGS_ldap_refresh_interval);
  options.directory_threads = absl::GetFlag(FLAGS_ldap_threads);
  if (const std::string path = absl::GetFlag(FLAGS_ldap_bind_password_file); !path.empty()) {
    std::ifstream in(path);
    if (!in || !std::getline(in, options.ldap.bind_password)) {
      std::fprintf(stderr, "pumptrackd: --ldap_bind_password_file: cannot read %s\n", path.c_str());
      return 2;
    }
    if (!options.ldap.bind_password.empty() && options.ldap.bind_password.back() == '\r') {
      options.ldap.bind_password.pop_back();
    }
  }
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "pumptrackd: --data_dir is required\n");
    return 2;
  }
  if (options.insecure) {
    spdlog::warn(
        "*** --insecure: gRPC is PLAINTEXT. Reports and queries cross the network unencrypted. "
        "Use only for local development and tests. ***");
  }

  absl::StatusOr<std::unique_ptr<pumptrack::service::Server>> server = pumptrack::service::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "pumptrackd: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }

  // The web console: a second transport over the same gRPC services, through the server's in-process channel.
  std::unique_ptr<pumptrack::console::Console> console;
  const std::string http_listen = absl::GetFlag(FLAGS_http_listen);
  if (!http_listen.empty()) {
    pumptrack::console::ConsoleOptions console_options;
    console_options.listen = http_listen;
    console_options.insecure = options.insecure;
    console_options.tls_cert = options.tls_cert;
    console_options.tls_key = options.tls_key;
    console_options.tls_reload_interval = options.tls_reload_interval;
    console_options.max_body_bytes =
        static_cast<std::size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_http_max_body_bytes)));
    console_options.rate_per_second = absl::GetFlag(FLAGS_http_rate_limit);
    console_options.rate_burst = 4 * console_options.rate_per_second;
    console_options.assets = pumptrack::console::WebAssets();
    pumptrack::service::Server* raw = server->get();
    absl::StatusOr<std::unique_ptr<pumptrack::console::Console>> started = pumptrack::console::Console::Start(
        console_options, raw->InProcessChannel(),
        [raw](absl::string_view secret) -> absl::StatusOr<pumptrack::console::Session> {
          absl::StatusOr<pumptrack::v1::Token> token = raw->AuthenticateToken(secret);
          if (!token.ok()) return token.status();
          return pumptrack::console::Session{token->name(), pumptrack::v1::Role_Name(token->role())};
        });
    if (!started.ok()) {
      std::fprintf(stderr, "pumptrackd: %s\n", std::string(started.status().message()).c_str());
      (*server)->Shutdown(absl::Seconds(1));
      return 1;
    }
    console = std::move(*started);
    if (options.insecure) {
      spdlog::warn("*** --insecure: the web console is PLAIN HTTP; bearer tokens cross the network unencrypted. ***");
    }
  }

  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty()) {
    const std::string grpc = absl::StrCat(HostOf(options.grpc_listen), ":", (*server)->grpc_port());
    const std::string metrics = options.metrics_listen.empty()
                                    ? ""
                                    : absl::StrCat(HostOf(options.metrics_listen), ":", (*server)->metrics_port());
    const std::string http = console ? absl::StrCat(HostOf(http_listen), ":", console->port()) : "";
    if (!WriteReadyFile(ready_file, grpc, metrics, http)) {
      std::fprintf(stderr, "pumptrackd: cannot write --ready_file %s\n", ready_file.c_str());
      return 1;
    }
  }

  int signal_number = 0;
  while (true) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // SIGHUP: re-read the policy; a bad file leaves the current policy in force.
    if (absl::Status reloaded = (*server)->ReloadPolicy(); !reloaded.ok()) {
      spdlog::error("SIGHUP: policy not reloaded: {}", std::string(reloaded.message()));
    } else {
      spdlog::info("SIGHUP: policy reloaded from {}", options.policy_file);
    }
  }
  spdlog::info("received {}, shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  if (console) console->Shutdown();  // ends open event streams first; they hold calls on the gRPC server
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}
