#include "service/server.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "engine/advisory_runtime.h"
#include "engine/custody_runtime.h"
#include "engine/finding_engine.h"
#include "engine/findings_runtime.h"
#include "engine/fleet_metrics.h"
#include "engine/ingest_metrics.h"
#include "engine/ingest_pipeline.h"
#include "engine/maintenance_runtime.h"
#include "engine/storage_health.h"
#include "engine/utilization_rollup.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "service/auth_service.h"
#include "service/authenticator.h"
#include "service/grpc_metrics.h"
#include "service/services.h"
#include "service/storage_metrics.h"
#include "service/worker_pool.h"
#include "spdlog/spdlog.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"
#include "storage/token_store.h"
#include "storage/utilization_store.h"

namespace pumptrack::service {

// Members are declared in construction order and destroyed in reverse: the gRPC server is shut down explicitly
// before any of them goes away.
struct Server::State {
  ServerOptions options;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  std::unique_ptr<engine::IngestMetrics> metrics;
  std::unique_ptr<GrpcMetrics> grpc_metrics;
  // Registered with the exposer once serving; detached in Shutdown before storage closes.
  std::shared_ptr<StorageMetrics> storage_metrics;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<engine::StorageHealth> storage_health;  // flips gRPC health; stopped first in Shutdown
  std::unique_ptr<storage::DeviceStore> devices;
  std::unique_ptr<storage::AuditLog> audit;
  std::unique_ptr<storage::TokenStore> tokens;
  std::unique_ptr<storage::AgentRegistry> agents;
  std::unique_ptr<engine::FleetMetrics> fleet_metrics;
  std::unique_ptr<storage::FindingStore> findings;
  std::unique_ptr<engine::FindingEngine> finding_engine;
  std::unique_ptr<storage::UtilizationStore> utilization_store;
  std::unique_ptr<engine::UtilizationRollup> utilization;
  std::unique_ptr<engine::IngestPipeline> ingest;
  std::unique_ptr<engine::FindingsRuntime> findings_runtime;
  std::unique_ptr<storage::CustodyStore> custody;
  std::unique_ptr<engine::CustodyRuntime> custody_runtime;
  std::unique_ptr<storage::MaintenanceStore> maintenance;
  std::unique_ptr<engine::MaintenanceRuntime> maintenance_runtime;
  std::unique_ptr<engine::AdvisoryRuntime> advisory_runtime;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<WorkerPool> stream_workers;  // ReportStream batches; emptied in Shutdown before the ingest pipeline
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<directory::LdapDirectory> directory;
  std::unique_ptr<SessionManager> sessions;
  std::unique_ptr<WorkerPool> directory_workers;
  ServiceContext context;
  std::unique_ptr<AgentServiceImpl> agent_service;
  std::unique_ptr<InventoryServiceImpl> inventory_service;
  std::unique_ptr<TokenServiceImpl> token_service;
  std::unique_ptr<AgentRegistryServiceImpl> agent_registry_service;
  std::unique_ptr<AuditServiceImpl> audit_service;
  std::unique_ptr<FindingServiceImpl> finding_service;
  std::unique_ptr<PolicyServiceImpl> policy_service;
  std::unique_ptr<BackupServiceImpl> backup_service;
  std::unique_ptr<CustodyServiceImpl> custody_service;
  std::unique_ptr<MaintenanceServiceImpl> maintenance_service;
  std::unique_ptr<AdvisoryServiceImpl> advisory_service;
  std::unique_ptr<ReportServiceImpl> report_service;
  std::unique_ptr<AuthServiceImpl> auth_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<grpc::Server> health_server;  // plaintext, grpc.health.v1 only; null unless health_listen is set
  int grpc_port = 0;
  int health_port = 0;
  int metrics_port = 0;

  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
  absl::Notification stopped;
};

namespace {

absl::StatusOr<std::unique_ptr<prometheus::Exposer>> StartExposer(const std::string& listen) {
  // prometheus-cpp reports bind failures by throwing; keep that inside start-up.
  try {
    return std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
}

// Checks that a PEM file is readable and holds at least one PEM block, so a typo fails start-up instead of
// leaving the file watcher without credentials.
absl::Status CheckPemFile(const std::string& path, absl::string_view flag) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path, " (not a regular file)"));
  }
  std::ifstream in(path);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  if (contents.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " is not a readable PEM file"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(const ServerOptions& options) {
  if (options.insecure) return grpc::InsecureServerCredentials();
  std::vector<std::string> missing;
  if (options.tls_cert.empty()) missing.push_back("--tls_cert");
  if (options.tls_key.empty()) missing.push_back("--tls_key");
  if (options.tls_client_ca.empty()) missing.push_back("--tls_client_ca");
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS is required: missing ", absl::StrJoin(missing, ", "),
                                                   " (or pass --insecure for local development only)"));
  }
  for (const auto& [path, flag] : {std::pair{options.tls_cert, "tls_cert"}, std::pair{options.tls_key, "tls_key"},
                                   std::pair{options.tls_client_ca, "tls_client_ca"}}) {
    RETURN_IF_ERROR(CheckPemFile(path, flag));
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.tls_key, options.tls_cert, options.tls_client_ca,
      static_cast<unsigned int>(std::max<std::int64_t>(1, absl::ToInt64Seconds(options.tls_reload_interval))));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  // One port for agents and people: a client certificate is requested and, when presented, must verify against the
  // agents' CA. People authenticate with tokens instead; AgentService insists on the certificate.
  tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(tls);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir: is required");
  if (options.worker_threads < 1) return absl::InvalidArgumentError("worker_threads: must be at least 1");
  if (options.stream_threads < 0) return absl::InvalidArgumentError("stream_threads: must be at least 0");
  if (options.max_stream_inflight_observations < 1) {
    return absl::InvalidArgumentError("max_stream_inflight_observations: must be at least 1");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, MakeCredentials(options));
  if (!options.clock) options.clock = [] { return absl::Now(); };
  if (options.directory_threads < 1) return absl::InvalidArgumentError("directory_threads: must be at least 1");
  // The directory settings are checked before anything is opened.
  std::unique_ptr<directory::LdapDirectory> directory;
  directory::RoleMap roles;
  if (!options.ldap.url.empty()) {
    if (options.ldap_group_map.empty())
      return absl::InvalidArgumentError("ldap_group_map: is required with --ldap_url");
    ASSIGN_OR_RETURN(roles, directory::RoleMap::Load(options.ldap_group_map));
    directory::LdapOptions ldap = options.ldap;
    ldap.allow_cleartext = options.insecure;
    ASSIGN_OR_RETURN(directory, directory::LdapDirectory::Create(std::move(ldap)));
  }

  auto state = std::make_unique<State>();
  state->options = options;
  state->metrics = std::make_unique<engine::IngestMetrics>(*state->registry);
  RegisterBuildInfo(*state->registry);
  if (!options.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<prometheus::Exposer> exposer, StartExposer(options.metrics_listen));
    state->exposer = std::move(exposer);
    state->exposer->RegisterCollectable(state->registry);
    std::vector<int> ports = state->exposer->GetListeningPorts();
    state->metrics_port = ports.empty() ? 0 : ports.front();
  }

  storage::DatabaseOptions database_options;
  database_options.path = options.data_dir;
  database_options.block_cache_bytes = options.block_cache_bytes;
  database_options.history_retention = options.history_retention;
  database_options.clock = options.clock;
  database_options.env = options.storage_env;
  // RocksDB's own log goes to the service's log, never to a LOG file on the data volume (see DatabaseOptions).
  database_options.info_log_sink = [](rocksdb::InfoLogLevel level, absl::string_view message) {
    const spdlog::level::level_enum spd_level = level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? spdlog::level::err
                                                : level >= rocksdb::InfoLogLevel::WARN_LEVEL ? spdlog::level::warn
                                                : level >= rocksdb::InfoLogLevel::INFO_LEVEL ? spdlog::level::debug
                                                                                             : spdlog::level::trace;
    spdlog::log(spd_level, "rocksdb: {}", std::string_view(message.data(), message.size()));
  };
  const absl::Time open_started = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Database> database, storage::Database::Open(database_options));
  state->database = std::move(database);
  spdlog::info("data directory {} opened in {:.2f} s", options.data_dir,
               absl::ToDoubleSeconds(absl::Now() - open_started));
  state->storage_health = std::make_unique<engine::StorageHealth>(
      state->database.get(), engine::StorageHealthOptions{.check_interval = options.storage_check_interval,
                                                          .min_free_bytes = options.storage_min_free_bytes});
  state->devices = std::make_unique<storage::DeviceStore>(state->database.get());
  ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditLog> audit, storage::AuditLog::Open(state->database.get()));
  state->audit = std::move(audit);
  ASSIGN_OR_RETURN(std::unique_ptr<storage::TokenStore> tokens,
                   storage::TokenStore::Open(state->database.get(), state->audit.get()));
  state->tokens = std::move(tokens);
  ASSIGN_OR_RETURN(std::unique_ptr<storage::AgentRegistry> agents,
                   storage::AgentRegistry::Open(state->database.get(), state->audit.get()));
  state->agents = std::move(agents);

  state->fleet_metrics = std::make_unique<engine::FleetMetrics>(*state->registry);
  state->findings = std::make_unique<storage::FindingStore>(state->database.get());
  engine::FindingEngineOptions engine_options;
  engine_options.missing_after_override = options.missing_after;
  engine_options.clock = options.clock;
  // The fleet index and the utilization roll-up's checkpoints are read from different column families, side by side:
  // each was about half of a restart at 1M pumps.
  state->utilization_store = std::make_unique<storage::UtilizationStore>(state->database.get());
  state->utilization = std::make_unique<engine::UtilizationRollup>(
      state->utilization_store.get(), [engine = &state->finding_engine] { return (*engine)->policy(); },
      state->registry.get());
  absl::Status utilization_loaded;
  std::thread utilization_loader(
      [&utilization = *state->utilization, &utilization_loaded, expected_devices = state->devices->EstimatedDevices()] {
        const absl::Time started = absl::Now();
        utilization_loaded = utilization.Load(expected_devices);
        spdlog::info("utilization roll-up loaded in {:.2f} s", absl::ToDoubleSeconds(absl::Now() - started));
      });
  const absl::Time index_started = absl::Now();
  absl::StatusOr<std::unique_ptr<engine::FindingEngine>> created = engine::FindingEngine::Create(
      state->devices.get(), state->findings.get(), state->fleet_metrics.get(), engine_options);
  if (created.ok()) {
    spdlog::info("fleet index of {} devices loaded in {:.2f} s", (*created)->tracked_devices(),
                 absl::ToDoubleSeconds(absl::Now() - index_started));
  }
  utilization_loader.join();
  RETURN_IF_ERROR(created.status());
  state->finding_engine = *std::move(created);
  RETURN_IF_ERROR(utilization_loaded);

  engine::IngestOptions ingest_options;
  ingest_options.utilization = state->utilization.get();
  ingest_options.queue_capacity = options.ingest_queue_capacity;
  ingest_options.clock = options.clock;
  ingest_options.release_memory = options.release_memory;
  ingest_options.storage_health = state->storage_health.get();
  state->ingest = std::make_unique<engine::IngestPipeline>(state->devices.get(), state->metrics.get(), ingest_options,
                                                           state->finding_engine.get());
  // Advisories are in force before the policy is loaded and the fleet re-evaluated under it.
  state->advisory_runtime =
      std::make_unique<engine::AdvisoryRuntime>(state->database.get(), state->devices.get(), state->audit.get(),
                                                state->finding_engine.get(), state->ingest.get());
  RETURN_IF_ERROR(state->advisory_runtime->Load());
  state->findings_runtime =
      std::make_unique<engine::FindingsRuntime>(state->database.get(), state->devices.get(), state->audit.get(),
                                                state->finding_engine.get(), state->ingest.get());
  const absl::Time policy_started = absl::Now();
  if (absl::Status loaded = state->findings_runtime->LoadInitialPolicy(options.policy_file); !loaded.ok()) {
    return loaded;
  }
  spdlog::info("policy loaded and in force in {:.2f} s", absl::ToDoubleSeconds(absl::Now() - policy_started));
  state->advisory_runtime->Resume();  // an import's re-evaluation a stop or crash left unfinished
  state->custody = std::make_unique<storage::CustodyStore>(state->database.get());
  state->custody_runtime = std::make_unique<engine::CustodyRuntime>(
      state->database.get(), state->devices.get(), state->custody.get(), state->audit.get(),
      state->finding_engine.get(), state->ingest.get(), state->fleet_metrics.get());
  if (absl::Status loaded = state->custody_runtime->Load(options.custody_sweep_interval); !loaded.ok()) {
    return loaded;
  }
  state->maintenance = std::make_unique<storage::MaintenanceStore>(state->database.get());
  state->maintenance_runtime = std::make_unique<engine::MaintenanceRuntime>(
      state->database.get(), state->devices.get(), state->maintenance.get(), state->audit.get(),
      state->finding_engine.get(), state->ingest.get());
  state->maintenance_runtime->Start(options.maintenance_sweep_interval);
  state->workers = std::make_unique<WorkerPool>(options.worker_threads, /*capacity=*/4096);
  AuthenticatorOptions auth_options;
  auth_options.tls = !options.insecure;
  auth_options.clock = options.clock;
  state->auth =
      std::make_unique<Authenticator>(state->tokens.get(), state->agents.get(), state->workers.get(), auth_options);
  state->directory = std::move(directory);
  state->directory_workers = std::make_unique<WorkerPool>(options.directory_threads, /*capacity=*/256);
  SessionOptions session_options = options.sessions;
  session_options.clock = options.clock;
  state->sessions = std::make_unique<SessionManager>(state->directory.get(), std::move(roles), state->tokens.get(),
                                                     state->audit.get(), session_options);
  state->sessions->Start();
  state->context = ServiceContext{state->devices.get(),
                                  state->tokens.get(),
                                  state->agents.get(),
                                  state->audit.get(),
                                  state->ingest.get(),
                                  state->workers.get(),
                                  state->auth.get(),
                                  state->metrics.get(),
                                  options.clock,
                                  state->findings.get(),
                                  state->finding_engine.get(),
                                  state->findings_runtime.get(),
                                  state->custody_runtime.get(),
                                  state->maintenance_runtime.get()};
  state->context.advisory_runtime = state->advisory_runtime.get();
  state->context.sessions = state->sessions.get();
  state->context.directory_workers = state->directory_workers.get();
  state->context.utilization = state->utilization.get();
  state->context.max_stream_inflight_observations = options.max_stream_inflight_observations;
  if (options.stream_threads > 0) {
    state->stream_workers = std::make_unique<WorkerPool>(options.stream_threads, /*capacity=*/4096);
    state->context.stream_workers = state->stream_workers.get();
  }
  state->agent_service = std::make_unique<AgentServiceImpl>(state->context);
  state->inventory_service = std::make_unique<InventoryServiceImpl>(state->context);
  state->token_service = std::make_unique<TokenServiceImpl>(state->context);
  state->agent_registry_service = std::make_unique<AgentRegistryServiceImpl>(state->context);
  state->audit_service = std::make_unique<AuditServiceImpl>(state->context);
  state->finding_service = std::make_unique<FindingServiceImpl>(state->context);
  state->policy_service = std::make_unique<PolicyServiceImpl>(state->context);
  state->backup_service = std::make_unique<BackupServiceImpl>(state->context, state->database.get());
  state->custody_service = std::make_unique<CustodyServiceImpl>(state->context);
  state->maintenance_service = std::make_unique<MaintenanceServiceImpl>(state->context);
  state->advisory_service = std::make_unique<AdvisoryServiceImpl>(state->context);
  state->report_service = std::make_unique<ReportServiceImpl>(state->context);
  state->auth_service = std::make_unique<AuthServiceImpl>(state->context);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_listen, credentials, &state->grpc_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // Agents keep long-lived streams open; accept their keepalive pings (at most one per 10 s, even when idle).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(state->agent_service.get());
  builder.RegisterService(state->inventory_service.get());
  builder.RegisterService(state->token_service.get());
  builder.RegisterService(state->agent_registry_service.get());
  builder.RegisterService(state->audit_service.get());
  builder.RegisterService(state->finding_service.get());
  builder.RegisterService(state->policy_service.get());
  builder.RegisterService(state->backup_service.get());
  builder.RegisterService(state->custody_service.get());
  builder.RegisterService(state->maintenance_service.get());
  builder.RegisterService(state->advisory_service.get());
  builder.RegisterService(state->report_service.get());
  builder.RegisterService(state->auth_service.get());
  // The method label is bounded by the methods served here; gRPC's health service is not in the descriptor pool.
  std::vector<std::string> methods = GrpcMetrics::MethodsOfServices(
      {v1::AgentService::service_full_name(), v1::InventoryService::service_full_name(),
       v1::TokenService::service_full_name(), v1::AgentRegistryService::service_full_name(),
       v1::AuditService::service_full_name(), v1::FindingService::service_full_name(),
       v1::PolicyService::service_full_name(), v1::BackupService::service_full_name(),
       v1::CustodyService::service_full_name(), v1::MaintenanceService::service_full_name(),
       v1::AdvisoryService::service_full_name(), v1::AuthService::service_full_name(),
       v1::ReportService::service_full_name(), "grpc.reflection.v1alpha.ServerReflection"});
  methods.insert(methods.end(), {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"});
  state->grpc_metrics = std::make_unique<GrpcMetrics>(*state->registry, methods);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeGrpcMetricsInterceptorFactory(state->grpc_metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  state->grpc_server = builder.BuildAndStart();
  if (!state->grpc_server || state->grpc_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", options.grpc_listen));
  }
  if (!options.health_listen.empty()) {
    // Its own default health service, serving exactly while the main server does (see Shutdown).
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(), &state->health_port);
    state->health_server = health_builder.BuildAndStart();
    if (!state->health_server || state->health_port == 0) {
      state->grpc_server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot serve gRPC health on ", options.health_listen));
    }
  }
  // Health follows storage from here until Shutdown (which stops the watcher before going NOT_SERVING).
  state->storage_health->Start(
      [grpc_server = state->grpc_server.get(), health_server = state->health_server.get()](bool serving) {
        grpc_server->GetHealthCheckService()->SetServingStatus(serving);
        if (health_server != nullptr) health_server->GetHealthCheckService()->SetServingStatus(serving);
      });
  state->storage_metrics =
      std::make_shared<StorageMetrics>(state->database.get(), state->audit.get(), state->agents.get());
  if (state->exposer) state->exposer->RegisterCollectable(state->storage_metrics);
  spdlog::info("pumptrackd serving gRPC ({}) on port {} (metrics on port {}), data in {}",
               options.insecure ? "PLAINTEXT" : "TLS", state->grpc_port, state->metrics_port, options.data_dir);
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Shutdown(); }

int Server::grpc_port() const { return state_->grpc_port; }
int Server::metrics_port() const { return state_->metrics_port; }
int Server::health_port() const { return state_->health_port; }

void Server::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->shut_down) return;
    state_->shut_down = true;
  }
  state_->storage_health->Stop();
  state_->grpc_server->GetHealthCheckService()->SetServingStatus(false);
  state_->finding_engine->events().CloseAll();  // ends WatchFindings streams
  if (state_->health_server) {
    state_->health_server->GetHealthCheckService()->SetServingStatus(false);
    state_->health_server->Shutdown(absl::ToChronoTime(absl::Now()));
  }
  // In-flight calls may still be waiting for commits, so the ingest pipeline keeps running until gRPC is done.
  state_->grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  state_->findings_runtime->Stop();
  state_->custody_runtime->Stop();
  state_->maintenance_runtime->Stop();
  state_->advisory_runtime->Stop();  // its background re-evaluation runs on the ingest writer
  state_->stream_workers.reset();    // takes every batch already read (into the ingest queue)
  state_->ingest.reset();            // commits everything still queued
  state_->workers.reset();           // runs every queued request
  state_->directory_workers.reset();
  state_->grpc_server->Wait();
  state_->storage_metrics->Detach();
  state_->auth.reset();
  state_->sessions.reset();  // stops the refresh thread
  state_->directory.reset();
  state_->findings_runtime.reset();
  state_->custody_runtime.reset();
  state_->maintenance_runtime.reset();
  state_->advisory_runtime.reset();
  state_->utilization.reset();
  state_->utilization_store.reset();
  state_->finding_engine.reset();
  state_->agents.reset();
  state_->tokens.reset();
  state_->audit.reset();
  state_->devices.reset();
  state_->storage_health.reset();  // unregisters from the database
  state_->database.reset();
  spdlog::info("pumptrackd stopped");
  state_->stopped.Notify();
}

void Server::Wait() { state_->stopped.WaitForNotification(); }

absl::Status Server::ReloadPolicy() {
  if (state_->options.policy_file.empty()) {
    return absl::FailedPreconditionError("no --policy file to reload");
  }
  return state_->findings_runtime->ReloadPolicyFile(state_->options.policy_file).status();
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  return state_->grpc_server->InProcessChannel(grpc::ChannelArguments());
}

absl::StatusOr<v1::Token> Server::AuthenticateToken(absl::string_view secret) {
  absl::MutexLock lock(&state_->mu);
  if (state_->shut_down) return absl::FailedPreconditionError("the server is shutting down");
  absl::StatusOr<v1::Token> token = state_->tokens->Authenticate(secret, state_->options.clock());
  if (!token.ok()) return absl::UnauthenticatedError("missing, unknown, expired or revoked token");
  return token;
}

engine::FindingsRuntime& Server::findings() { return *state_->findings_runtime; }

engine::CustodyRuntime& Server::custody() { return *state_->custody_runtime; }
engine::MaintenanceRuntime& Server::maintenance() { return *state_->maintenance_runtime; }

SessionManager& Server::sessions() { return *state_->sessions; }

}  // namespace pumptrack::service
