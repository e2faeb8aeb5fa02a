// In-memory FindingService and PolicyService for CLI tests, served over real gRPC with TestServer. Like the security
// fakes, they check the bearer token through a FakeAuth (PERMISSION_DENIED with DenyAll, as for a viewer's token).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"
#include "tests/cli/fake_security_services.h"

namespace pumptrack::cli::testing {

// The name the fakes record as the caller (acknowledged_by, applied_by).
inline constexpr char kCallerName[] = "alice.biomed";

class FakeFindingService final : public v1::FindingService::Service {
 public:
  explicit FakeFindingService(FakeAuth& auth) : auth_(auth) {}

  // Findings newest first, as the service returns them.
  void SetFindings(std::vector<v1::Finding> findings);
  // Events WatchFindings sends (those of the requested kind, and RESYNC) before ending the stream with `end`.
  void SetEvents(std::vector<v1::FindingEvent> events, grpc::Status end = grpc::Status::OK);
  void SetRisk(const v1::GetRiskResponse& risk);

  std::vector<v1::ListFindingsRequest> list_requests() const;
  std::vector<v1::AcknowledgeFindingRequest> ack_requests() const;
  std::vector<v1::WatchFindingsRequest> watch_requests() const;
  std::vector<v1::GetRiskRequest> risk_requests() const;

  // Filters like the service (without `state`: open and acknowledged); page_size 0 means 100; page tokens are the
  // number of matching findings already returned.
  grpc::Status ListFindings(grpc::ServerContext* context, const v1::ListFindingsRequest* request,
                            v1::ListFindingsResponse* response) override;
  grpc::Status GetFinding(grpc::ServerContext* context, const v1::GetFindingRequest* request,
                          v1::Finding* response) override;
  // Needs a note; records kCallerName at TestNow(); a "tamper.sequence_gap" finding is resolved by it.
  grpc::Status AcknowledgeFinding(grpc::ServerContext* context, const v1::AcknowledgeFindingRequest* request,
                                  v1::Finding* response) override;
  grpc::Status WatchFindings(grpc::ServerContext* context, const v1::WatchFindingsRequest* request,
                             grpc::ServerWriter<v1::FindingEvent>* writer) override;
  grpc::Status GetRisk(grpc::ServerContext* context, const v1::GetRiskRequest* request,
                       v1::GetRiskResponse* response) override;

 private:
  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::vector<v1::Finding> findings_;
  std::vector<v1::FindingEvent> events_;
  grpc::Status events_end_;
  v1::GetRiskResponse risk_;
  std::vector<v1::ListFindingsRequest> list_requests_;
  std::vector<v1::AcknowledgeFindingRequest> ack_requests_;
  std::vector<v1::WatchFindingsRequest> watch_requests_;
  std::vector<v1::GetRiskRequest> risk_requests_;
};

// Parses policies with protobuf's real TextFormat parser: a parse error is INVALID_ARGUMENT "line L, column C: ...".
class FakePolicyService final : public v1::PolicyService::Service {
 public:
  explicit FakePolicyService(FakeAuth& auth) : auth_(auth) {}

  // The text of the last SetPolicy, if any.
  std::optional<std::string> applied_text() const;

  grpc::Status GetPolicy(grpc::ServerContext* context, const v1::GetPolicyRequest* request,
                         v1::PolicyInfo* response) override;
  // Digest "sha256:fake-<bytes>"; counts units and models.
  grpc::Status ValidatePolicy(grpc::ServerContext* context, const v1::ValidatePolicyRequest* request,
                              v1::ValidatePolicyResponse* response) override;
  // Applied at TestNow() by kCallerName.
  grpc::Status SetPolicy(grpc::ServerContext* context, const v1::SetPolicyRequest* request,
                         v1::PolicyInfo* response) override;

 private:
  FakeAuth& auth_;
  mutable std::mutex mutex_;
  std::optional<v1::PolicyInfo> applied_;
};

// A finding with the fields the CLI shows, last seen `last_seen_ago` before TestNow().
v1::Finding MakeFinding(const std::string& id, const std::string& asset_tag, v1::FindingKind kind,
                        const std::string& rule, v1::Severity severity, v1::FindingState state, const std::string& unit,
                        absl::Duration last_seen_ago);

}  // namespace pumptrack::cli::testing
