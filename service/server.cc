#include "service/server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "service/ingest_pipeline.h"
#include "service/metrics.h"
#include "service/services.h"
#include "service/worker_pool.h"
#include "spdlog/spdlog.h"
#include "storage/database.h"
#include "storage/device_store.h"

namespace pumptrack::service {

// Members are declared in construction order and destroyed in reverse: the gRPC server is shut down explicitly
// before any of them goes away.
struct Server::State {
  ServerOptions options;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  std::unique_ptr<ServiceMetrics> metrics;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::DeviceStore> devices;
  std::unique_ptr<IngestPipeline> ingest;
  std::unique_ptr<WorkerPool> queries;
  ServiceContext context;
  std::unique_ptr<AgentServiceImpl> agent_service;
  std::unique_ptr<InventoryServiceImpl> inventory_service;
  std::unique_ptr<grpc::Server> grpc_server;
  int grpc_port = 0;
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

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  if (!options.insecure) {
    return absl::InvalidArgumentError("TLS is not configured: pass --insecure for plaintext development use");
  }
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir: is required");
  if (!options.clock) options.clock = [] { return absl::Now(); };

  auto state = std::make_unique<State>();
  state->options = options;
  state->metrics = std::make_unique<ServiceMetrics>(*state->registry);
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<prometheus::Exposer>> exposer = StartExposer(options.metrics_listen);
    if (!exposer.ok()) return exposer.status();
    state->exposer = *std::move(exposer);
    state->exposer->RegisterCollectable(state->registry);
    std::vector<int> ports = state->exposer->GetListeningPorts();
    state->metrics_port = ports.empty() ? 0 : ports.front();
  }

  storage::DatabaseOptions database_options;
  database_options.path = options.data_dir;
  database_options.block_cache_bytes = options.block_cache_bytes;
  database_options.history_retention = options.history_retention;
  database_options.clock = options.clock;
  absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(database_options);
  if (!database.ok()) return database.status();
  state->database = *std::move(database);
  state->devices = std::make_unique<storage::DeviceStore>(state->database.get());

  IngestOptions ingest_options;
  ingest_options.queue_capacity = options.ingest_queue_capacity;
  ingest_options.clock = options.clock;
  state->ingest = std::make_unique<IngestPipeline>(state->devices.get(), state->metrics.get(), ingest_options);
  state->queries = std::make_unique<WorkerPool>(options.query_threads, /*capacity=*/4096);
  state->context = ServiceContext{state->devices.get(), state->ingest.get(), state->queries.get(),
                                  state->metrics.get(), options.clock};
  state->agent_service = std::make_unique<AgentServiceImpl>(state->context);
  state->inventory_service = std::make_unique<InventoryServiceImpl>(state->context);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_listen, grpc::InsecureServerCredentials(), &state->grpc_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // Agents keep long-lived streams open; accept their keepalive pings (at most one per 10 s, even when idle).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(state->agent_service.get());
  builder.RegisterService(state->inventory_service.get());
  state->grpc_server = builder.BuildAndStart();
  if (!state->grpc_server || state->grpc_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", options.grpc_listen));
  }
  state->grpc_server->GetHealthCheckService()->SetServingStatus(true);
  spdlog::info("pumptrackd serving gRPC on port {} (metrics on port {}), data in {}", state->grpc_port,
               state->metrics_port, options.data_dir);
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Shutdown(); }

int Server::grpc_port() const { return state_->grpc_port; }
int Server::metrics_port() const { return state_->metrics_port; }

void Server::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->shut_down) return;
    state_->shut_down = true;
  }
  state_->grpc_server->GetHealthCheckService()->SetServingStatus(false);
  // In-flight calls may still be waiting for commits, so the ingest pipeline keeps running until gRPC is done.
  state_->grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  state_->ingest.reset();   // commits everything still queued
  state_->queries.reset();  // runs every queued query
  state_->grpc_server->Wait();
  state_->devices.reset();
  state_->database.reset();
  spdlog::info("pumptrackd stopped");
  state_->stopped.Notify();
}

void Server::Wait() { state_->stopped.WaitForNotification(); }

}  // namespace pumptrack::service
