// Shared helpers for the service tests: a self-deleting temporary directory, an injectable (and gateable) service
// clock, a builder for realistic pumptrack.v1.Observation messages, and TestServer, an RAII wrapper that starts the
// real pumptrack::service::Server in-process on 127.0.0.1:0 and talks to it over a real gRPC channel.
#ifndef PUMPTRACK_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
#define PUMPTRACK_TESTS_SERVICE_SERVICE_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/thread_name.h"
#include "engine/ingest_pipeline.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/client_interceptor.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "service/flow_control.h"
#include "service/server.h"
#include "storage/agent_registry.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/token_store.h"
#include "tests/common/observation_builder.h"
#include "tests/common/test_support.h"

namespace pumptrack::service::testing_util {

using ::pumptrack::testing_support::BaseTime;
using ::pumptrack::testing_support::FromTimestamp;
using ::pumptrack::testing_support::ScopedTempDir;
using ::pumptrack::testing_support::TestTempRoot;
using ::pumptrack::testing_support::ToTimestamp;

// The service clock handed to ServerOptions::clock / IngestOptions::clock. Settable, and with a one-shot gate that
// holds the group-commit writer's next read (it reads the clock once per commit), so the ingest queue fills up
// deterministically.
class TestClock {
 public:
  explicit TestClock(absl::Time now) : now_(now) {}

  absl::Time Now() {
    const std::string thread = ThisThreadName();
    absl::MutexLock lock(&mu_);
    if (!absl::StartsWith(thread, "pt-")) ++calls_;
    if (armed_ && thread == engine::IngestPipeline::kWriterThreadName) {
      armed_ = false;  // only this call is held; later calls pass
      blocked_ = true;
      mu_.Await(absl::Condition(&released_));
      blocked_ = false;
    }
    return now_;
  }

  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

  // Holds the ingest writer's next read of the clock (it reads it once per commit, so the next commit waits) until
  // Release(). Reads on other threads (request handlers, the missing detector, the custody sweeper) pass: which
  // thread reads first does not matter, however slowly the server runs (e.g. under ThreadSanitizer).
  void HoldNextWriterRead() {
    absl::MutexLock lock(&mu_);
    armed_ = true;
    released_ = false;
  }

  // True once a call is being held.
  bool WaitUntilHeld(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&blocked_), timeout);
  }

  // Lets a held call (if any) return, and disarms the gate.
  void Release() {
    absl::MutexLock lock(&mu_);
    armed_ = false;
    released_ = true;
  }

  // Reads by threads that handle requests (gRPC's, the worker pools'): pumptrack's background threads ("pt-*": the
  // writer, the missing detector, the sweepers) are not counted, so a count tells how many reports were validated.
  std::int64_t calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  // True once the clock has been read at least `calls` times in all (the reactor reads it once per batch it
  // validates, so this tells that queued batches have been taken in).
  bool WaitUntilCalls(std::int64_t calls, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, calls]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ >= calls; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = true;
  std::int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

using ::pumptrack::testing_support::Obs;
using ::pumptrack::testing_support::ObservationBuilder;

inline constexpr absl::string_view kAgentId = "gw-5west-01";

inline v1::AgentInfo Agent(absl::string_view agent_id = kAgentId) {
  v1::AgentInfo agent;
  agent.set_agent_id(std::string(agent_id));
  agent.set_agent_version("0.1.0");
  return agent;
}

inline v1::ReportBatch MakeBatch(std::uint64_t batch_id, const std::vector<v1::Observation>& observations,
                                 std::optional<v1::AgentInfo> agent = std::nullopt) {
  v1::ReportBatch batch;
  batch.set_batch_id(batch_id);
  if (agent) *batch.mutable_agent() = *agent;
  for (const v1::Observation& o : observations) *batch.add_observations() = o;
  return batch;
}

inline v1::DeviceKey TagKey(absl::string_view tag) {
  v1::DeviceKey key;
  key.set_asset_tag(std::string(tag));
  return key;
}

inline v1::DeviceKey SerialKey(absl::string_view serial) {
  v1::DeviceKey key;
  key.set_serial_number(std::string(serial));
  return key;
}

// A client context with a deadline, so a misbehaving server fails a test instead of hanging it.
inline std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

// A minimal HTTP/1.0 GET against 127.0.0.1:port; the response body, or an error.
inline absl::StatusOr<std::string> HttpGet(int port, absl::string_view path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string response;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return absl::InternalError(absl::StrCat("malformed HTTP response: ", response.substr(0, 200)));
  }
  if (response.find(" 200 ") == std::string::npos || response.find(" 200 ") > body) {
    return absl::InternalError(absl::StrCat("HTTP status not 200: ", response.substr(0, response.find("\r\n"))));
  }
  return response.substr(body + 4);
}

// The value of the series named exactly `series` (e.g. `pumptrack_reports_total{result="accepted"}`) in a Prometheus
// text exposition, or nullopt if absent.
inline std::optional<double> MetricValue(absl::string_view exposition, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.size() <= series.size() || line.substr(0, series.size()) != series || line[series.size()] != ' ') {
      continue;
    }
    absl::string_view rest = line.substr(series.size() + 1);
    rest = rest.substr(0, rest.find(' '));  // drop an optional timestamp
    double value = 0;
    if (absl::SimpleAtod(rest, &value)) return value;
  }
  return std::nullopt;
}

// The real service, in-process, on a fresh data directory, with a real channel and generated stubs. The data
// directory and clock survive Shutdown/Restart; the directory is removed when the TestServer is destroyed.
struct TestServerConfig {
  std::size_t ingest_queue_capacity = 100'000;
  bool metrics = false;
  // Also serve the plaintext health-only port (ServerOptions::health_listen).
  bool health = false;
  // ServerOptions::storage_env, storage_check_interval and storage_min_free_bytes (disk-fault tests).
  rocksdb::Env* storage_env = nullptr;
  absl::Duration storage_check_interval = absl::Seconds(1);
  std::uint64_t storage_min_free_bytes = 0;
  // ServerOptions::max_stream_inflight_observations (flow-control tests).
  std::size_t max_stream_inflight_observations = kDefaultMaxStreamInflightObservations;
};

// Adds "authorization: Bearer <token>" to every call on a channel, the way a person's client does.
class BearerTokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(std::string header) : header_(std::move(header)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    methods->Proceed();
  }

 private:
  std::string header_;
};

class BearerTokenInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(std::string token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo*) override {
    return new BearerTokenInterceptor(header_);
  }

 private:
  std::string header_;
};

// The agent ids the service tests report as; enrolled before the first start.
inline const std::vector<std::string>& EnrolledTestAgents() {
  static const auto* agents = new std::vector<std::string>{"gw-5west-01", "gw-a", "gw-b", "urn:gw:5west.01_a"};
  return *agents;
}

// Makes an admin token and enrols the test agents directly in a stopped data directory, as an operator would
// (`pumptrackd token create`, `pumptrack agents enroll`). Returns the token.
inline absl::StatusOr<std::string> ProvisionDataDir(const std::string& data_dir) {
  storage::DatabaseOptions options;
  options.path = data_dir;
  absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
  if (!database.ok()) return database.status();
  absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit = storage::AuditLog::Open(database->get());
  if (!audit.ok()) return audit.status();
  absl::StatusOr<std::unique_ptr<storage::TokenStore>> tokens =
      storage::TokenStore::Open(database->get(), audit->get());
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<std::unique_ptr<storage::AgentRegistry>> agents =
      storage::AgentRegistry::Open(database->get(), audit->get());
  if (!agents.ok()) return agents.status();
  const storage::Actor operator_actor{v1::ACTOR_KIND_OPERATOR, "operator"};
  absl::StatusOr<storage::CreatedToken> token =
      (*tokens)->Create("service-tests", v1::ROLE_ADMIN, absl::ZeroDuration(), operator_actor, absl::Now());
  if (!token.ok()) return token.status();
  for (const std::string& agent : EnrolledTestAgents()) {
    if (absl::StatusOr<v1::Agent> enrolled = (*agents)->Enroll(agent, "", operator_actor, absl::Now());
        !enrolled.ok()) {
      return enrolled.status();
    }
  }
  return token->secret;
}

class TestServer {
 public:
  using Config = TestServerConfig;

  explicit TestServer(Config config = {})
      : dir_(std::make_unique<ScopedTempDir>()),
        clock_(std::make_shared<TestClock>(BaseTime() + absl::Minutes(1))),
        config_(config) {}

  ~TestServer() {
    clock_->Release();  // never leave the writer held on the way out
    Shutdown();
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  ServerOptions Options() const {
    ServerOptions options;
    options.data_dir = dir_->path();
    options.grpc_listen = "127.0.0.1:0";
    options.metrics_listen = config_.metrics ? "127.0.0.1:0" : "";
    options.insecure = true;
    options.ingest_queue_capacity = config_.ingest_queue_capacity;
    options.health_listen = config_.health ? "127.0.0.1:0" : "";
    options.storage_env = config_.storage_env;
    options.storage_check_interval = config_.storage_check_interval;
    options.storage_min_free_bytes = config_.storage_min_free_bytes;
    options.worker_threads = 2;
    options.max_stream_inflight_observations = config_.max_stream_inflight_observations;
    options.block_cache_bytes = 1 << 20;
    std::shared_ptr<TestClock> clock = clock_;
    options.clock = [clock] { return clock->Now(); };
    return options;
  }

  absl::Status Start() {
    if (token_.empty()) {
      absl::StatusOr<std::string> token = ProvisionDataDir(dir_->path());
      if (!token.ok()) return token.status();
      token_ = *std::move(token);
    }
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(Options());
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(std::make_unique<BearerTokenInterceptorFactory>(token_));
    channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
        absl::StrCat("127.0.0.1:", server_->grpc_port()), grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
        std::move(interceptors));
    agent_ = v1::AgentService::NewStub(channel_);
    inventory_ = v1::InventoryService::NewStub(channel_);
    return absl::OkStatus();
  }

  void Shutdown(absl::Duration grace = absl::Seconds(2)) {
    if (server_) server_->Shutdown(grace);
    agent_.reset();
    inventory_.reset();
    channel_.reset();
    server_.reset();
  }

  absl::Status Restart() {
    Shutdown();
    return Start();
  }

  Server& server() { return *server_; }
  TestClock& clock() { return *clock_; }
  std::string data_dir() const { return dir_->path(); }
  // The admin token every call on channel() carries.
  const std::string& token() const { return token_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  v1::AgentService::Stub& agent() { return *agent_; }
  v1::InventoryService::Stub& inventory() { return *inventory_; }

  // --- AgentService -------------------------------------------------------------------------------------------------

  grpc::Status Report(const v1::Observation& observation, v1::ReportResponse* response,
                      const v1::AgentInfo& agent = Agent()) {
    v1::ReportRequest request;
    *request.mutable_agent() = agent;
    *request.mutable_observation() = observation;
    return agent_->Report(Context().get(), request, response);
  }

  // Reports and expects OK; the result (UNSPECIFIED on failure).
  v1::ReportResult MustReport(const v1::Observation& observation, const v1::AgentInfo& agent = Agent()) {
    v1::ReportResponse response;
    grpc::Status status = Report(observation, &response, agent);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return status.ok() ? response.result() : v1::REPORT_RESULT_UNSPECIFIED;
  }

  // --- InventoryService ---------------------------------------------------------------------------------------------

  grpc::Status GetDevice(const v1::DeviceKey& key, v1::Device* device) {
    v1::GetDeviceRequest request;
    *request.mutable_device() = key;
    return inventory_->GetDevice(Context().get(), request, device);
  }

  v1::Device MustGetDevice(absl::string_view tag) {
    v1::Device device;
    grpc::Status status = GetDevice(TagKey(tag), &device);
    EXPECT_TRUE(status.ok()) << tag << ": " << status.error_code() << ": " << status.error_message();
    return device;
  }

  grpc::Status ListDevices(const v1::ListDevicesRequest& request, v1::ListDevicesResponse* response) {
    return inventory_->ListDevices(Context().get(), request, response);
  }

  // Every device matching `request`'s filters, following page tokens to the end (asset tags, in returned order).
  std::vector<std::string> ListAllTags(v1::ListDevicesRequest request, int* pages = nullptr) {
    std::vector<std::string> tags;
    request.clear_page_token();
    int count = 0;
    for (; count < 1000; ++count) {
      v1::ListDevicesResponse response;
      grpc::Status status = ListDevices(request, &response);
      EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      if (!status.ok()) break;
      for (const v1::Device& device : response.devices()) tags.push_back(device.identity().asset_tag());
      if (response.next_page_token().empty()) {
        ++count;
        break;
      }
      request.set_page_token(response.next_page_token());
    }
    if (pages != nullptr) *pages = count;
    return tags;
  }

  grpc::Status Locate(const v1::DeviceKey& key, v1::LocateResponse* response) {
    v1::LocateRequest request;
    *request.mutable_device() = key;
    return inventory_->Locate(Context().get(), request, response);
  }

  grpc::Status History(const v1::GetDeviceHistoryRequest& request, v1::GetDeviceHistoryResponse* response) {
    return inventory_->GetDeviceHistory(Context().get(), request, response);
  }

  // --- Metrics ------------------------------------------------------------------------------------------------------

  absl::StatusOr<std::string> Metrics() { return HttpGet(server_->metrics_port(), "/metrics"); }

 private:
  std::unique_ptr<ScopedTempDir> dir_;  // declared first: removed last
  std::shared_ptr<TestClock> clock_;
  Config config_;
  std::string token_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentService::Stub> agent_;
  std::unique_ptr<v1::InventoryService::Stub> inventory_;
};

// Every history entry of a device (all time, one large page), newest first; empty on error.
inline std::vector<v1::HistoryEntry> GetAllHistory(TestServer& server, absl::string_view tag) {
  v1::GetDeviceHistoryRequest request;
  *request.mutable_device() = TagKey(tag);
  request.set_page_size(1000);
  v1::GetDeviceHistoryResponse response;
  grpc::Status status = server.History(request, &response);
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_TRUE(response.next_page_token().empty());
  return {response.entries().begin(), response.entries().end()};
}

// One ReportStream call, owned together with its context.
class StreamCall {
 public:
  explicit StreamCall(v1::AgentService::Stub& stub, absl::Duration timeout = absl::Seconds(20))
      : context_(Context(timeout)), stream_(stub.ReportStream(context_.get())) {}

  bool Write(const v1::ReportBatch& batch) { return stream_->Write(batch); }
  bool WritesDone() { return stream_->WritesDone(); }
  bool Read(v1::ReportBatchAck* ack) { return stream_->Read(ack); }
  // Reads every remaining ack until the server ends the stream.
  std::vector<v1::ReportBatchAck> ReadAll() {
    std::vector<v1::ReportBatchAck> acks;
    v1::ReportBatchAck ack;
    while (stream_->Read(&ack)) acks.push_back(ack);
    return acks;
  }
  grpc::Status Finish() { return stream_->Finish(); }
  grpc::ClientContext& context() { return *context_; }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ReportBatch, v1::ReportBatchAck>> stream_;
};

// Fixture: one fresh TestServer per test. Subclasses may override Config() before SetUp runs.
class ServiceTest : public ::testing::Test {
 protected:
  virtual TestServer::Config Config() const { return {}; }

  void SetUp() override {
    server_ = std::make_unique<TestServer>(Config());
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override { server_.reset(); }

  TestServer& server() { return *server_; }

  std::unique_ptr<TestServer> server_;
};

}  // namespace pumptrack::service::testing_util

#endif  // PUMPTRACK_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
