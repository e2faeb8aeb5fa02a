// An in-memory InventoryService for CLI tests, served over real gRPC on 127.0.0.1 (port chosen by the OS).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"

namespace pumptrack::cli::testing {

// Serves canned devices from a std::map keyed by asset tag, pages the way the contract says (asset-tag order, opaque
// page tokens bound to the filters), and records every request. Thread-safe.
class FakeInventoryService final : public v1::InventoryService::Service {
 public:
  void AddDevice(const v1::Device& device);
  // Entries newest first, as the service returns them.
  void SetHistory(const std::string& asset_tag, std::vector<v1::HistoryEntry> entries);
  // Makes every call wait this long before answering.
  void SetDelay(absl::Duration delay);

  std::vector<v1::ListDevicesRequest> list_requests() const;
  std::vector<v1::GetDeviceHistoryRequest> history_requests() const;
  std::vector<v1::SetHomeRequest> set_home_requests() const;
  int calls() const;
  // The "authorization" metadata of every call, in order ("" for a call without one). Not checked: see
  // fake_security_services.h for services that refuse calls like the real one.
  std::vector<std::string> authorization_headers() const;

  grpc::Status GetDevice(grpc::ServerContext* context, const v1::GetDeviceRequest* request,
                         v1::Device* response) override;
  grpc::Status ListDevices(grpc::ServerContext* context, const v1::ListDevicesRequest* request,
                           v1::ListDevicesResponse* response) override;
  grpc::Status Locate(grpc::ServerContext* context, const v1::LocateRequest* request,
                      v1::LocateResponse* response) override;
  grpc::Status GetDeviceHistory(grpc::ServerContext* context, const v1::GetDeviceHistoryRequest* request,
                                v1::GetDeviceHistoryResponse* response) override;
  // Units "5-west" and "icu-1" of facility "general" exist; any other is INVALID_ARGUMENT, like a unit the policy's
  // site lacks.
  grpc::Status SetHome(grpc::ServerContext* context, const v1::SetHomeRequest* request, v1::Device* response) override;

 private:
  // Counts the call, records its authorization header and applies the delay.
  void BeginCall(const grpc::ServerContext& context);
  std::optional<v1::Device> Find(const v1::DeviceKey& key) const;

  mutable std::mutex mutex_;
  std::map<std::string, v1::Device> devices_;
  std::map<std::string, std::vector<v1::HistoryEntry>> history_;
  absl::Duration delay_ = absl::ZeroDuration();
  std::vector<v1::ListDevicesRequest> list_requests_;
  std::vector<v1::GetDeviceHistoryRequest> history_requests_;
  std::vector<v1::SetHomeRequest> set_home_requests_;
  std::vector<std::string> authorization_headers_;
  int calls_ = 0;
};

// The "authorization" metadata a call carried, or "" when it had none.
std::string AuthorizationHeader(const grpc::ServerContext& context);

// Runs `service` (or all of `services`) on 127.0.0.1:0 until destroyed.
class TestServer {
 public:
  explicit TestServer(grpc::Service& service);
  explicit TestServer(std::initializer_list<grpc::Service*> services);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // "127.0.0.1:<port>"
  std::string address() const;
  std::unique_ptr<v1::InventoryService::Stub> NewStub() const;

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The "now" of every test: 2026-11-29 10:05:00Z.
absl::Time TestNow();

// A device with the fields the CLI shows, last seen `last_seen_ago` before TestNow().
v1::Device MakeDevice(const std::string& asset_tag, const std::string& serial, const std::string& model,
                      const std::string& firmware, const std::string& facility, const std::string& unit,
                      const std::string& room, v1::OperatingState state, absl::Duration last_seen_ago);

}  // namespace pumptrack::cli::testing
