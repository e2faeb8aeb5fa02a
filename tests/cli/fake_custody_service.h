// An in-memory CustodyService for CLI tests, served over real gRPC with TestServer. It keeps each pump's custody and
// chain of custody, refuses transitions the way custody.proto describes (FAILED_PRECONDITION), checks the bearer token
// through a FakeAuth (PERMISSION_DENIED with DenyAll, as for a viewer's token) and records every request.
#pragma once

#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/custody.grpc.pb.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/fake_security_services.h"

namespace pumptrack::cli::testing {

// The name the fake records as the actor of every action.
inline constexpr char kTransportName[] = "bob.transport";

class FakeCustodyService final : public v1::CustodyService::Service {
 public:
  explicit FakeCustodyService(FakeAuth& auth) : auth_(auth) {}

  // A pump AVAILABLE in `unit` of facility "general", carrying seal `seal_id`, with no custody events yet.
  void AddPump(const std::string& asset_tag, const std::string& unit, const std::string& seal_id);
  // Reasons the check-in gate gives for this pump besides a seal that differs from the one recorded at check-out.
  void SetGateFailures(const std::string& asset_tag, std::vector<std::string> failures);
  // History pages hold at most this many events whatever the request asks for (as a server may return short pages).
  void SetMaxHistoryPageSize(int page_size);
  // The time ListCustody judges check-outs overdue by (TestNow() unless set).
  void SetNow(absl::Time now);
  // What FindAvailable answers for a known unit.
  void SetAvailable(const v1::FindAvailableResponse& response);

  std::vector<v1::CheckOutRequest> checkout_requests() const;
  std::vector<v1::CheckInRequest> checkin_requests() const;
  std::vector<v1::QuarantineRequest> quarantine_requests() const;
  std::vector<v1::ReleaseRequest> release_requests() const;
  std::vector<v1::SetMaintenanceRequest> maintenance_requests() const;
  std::vector<v1::RetireRequest> retire_requests() const;
  std::vector<v1::GetCustodyHistoryRequest> history_requests() const;
  std::vector<v1::ListCustodyRequest> list_requests() const;
  std::vector<v1::FindAvailableRequest> find_requests() const;
  // Every call of any method, refused ones included.
  int calls() const;

  // Units "5-west" and "icu-1" exist; any other is INVALID_ARGUMENT. An unknown tag is NOT_FOUND. Each action is
  // recorded at TestNow() by kTransportName.
  grpc::Status CheckOut(grpc::ServerContext* context, const v1::CheckOutRequest* request,
                        v1::CustodyResult* response) override;
  grpc::Status CheckIn(grpc::ServerContext* context, const v1::CheckInRequest* request,
                       v1::CustodyResult* response) override;
  grpc::Status Quarantine(grpc::ServerContext* context, const v1::QuarantineRequest* request,
                          v1::CustodyResult* response) override;
  grpc::Status Release(grpc::ServerContext* context, const v1::ReleaseRequest* request,
                       v1::CustodyResult* response) override;
  grpc::Status SetMaintenance(grpc::ServerContext* context, const v1::SetMaintenanceRequest* request,
                              v1::CustodyResult* response) override;
  grpc::Status Retire(grpc::ServerContext* context, const v1::RetireRequest* request,
                      v1::CustodyResult* response) override;
  // page_size 0 means 100; page tokens are the number of events already returned.
  grpc::Status GetCustodyHistory(grpc::ServerContext* context, const v1::GetCustodyHistoryRequest* request,
                                 v1::GetCustodyHistoryResponse* response) override;
  // Pumps in transit, soonest due first; overdue when due before SetNow's time.
  grpc::Status ListCustody(grpc::ServerContext* context, const v1::ListCustodyRequest* request,
                           v1::ListCustodyResponse* response) override;
  grpc::Status FindAvailable(grpc::ServerContext* context, const v1::FindAvailableRequest* request,
                             v1::FindAvailableResponse* response) override;

 private:
  struct Pump {
    std::string unit;
    std::string seal_id;
    v1::Custody custody;
    std::vector<std::string> gate_failures;
    std::vector<v1::CustodyEvent> events;
  };

  // Counts the call, records `request` in `log` and checks the caller. Call with mutex_ held.
  template <typename Request>
  grpc::Status Record(const grpc::ServerContext& context, const Request& request, std::vector<Request>& log);
  // Record, then finds the request's pump (NOT_FOUND when unknown). Call with mutex_ held.
  template <typename Request>
  grpc::Status Begin(const grpc::ServerContext& context, const Request& request, std::vector<Request>& log,
                     Pump*& pump);
  // Moves `pump` to `to` if its state is one of `from` (else FAILED_PRECONDITION), records the event and answers.
  grpc::Status Apply(const std::string& asset_tag, Pump& pump, std::initializer_list<v1::CustodyState> from,
                     v1::CustodyState to, v1::CustodyEvent event, v1::CustodyResult& response);

  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::map<std::string, Pump> pumps_;
  int max_history_page_size_ = 1000;
  v1::FindAvailableResponse available_;
  absl::Time now_ = TestNow();
  int calls_ = 0;
  std::vector<v1::CheckOutRequest> checkout_requests_;
  std::vector<v1::CheckInRequest> checkin_requests_;
  std::vector<v1::QuarantineRequest> quarantine_requests_;
  std::vector<v1::ReleaseRequest> release_requests_;
  std::vector<v1::SetMaintenanceRequest> maintenance_requests_;
  std::vector<v1::RetireRequest> retire_requests_;
  std::vector<v1::GetCustodyHistoryRequest> history_requests_;
  std::vector<v1::ListCustodyRequest> list_requests_;
  std::vector<v1::FindAvailableRequest> find_requests_;
};

}  // namespace pumptrack::cli::testing
