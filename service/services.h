#ifndef PUMPTRACK_SERVICE_SERVICES_H_
#define PUMPTRACK_SERVICE_SERVICES_H_

#include "pumptrack/v1/advisory.grpc.pb.h"
#include "pumptrack/v1/agent_registry.grpc.pb.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/auth.grpc.pb.h"
#include "pumptrack/v1/backup.grpc.pb.h"
#include "pumptrack/v1/custody.grpc.pb.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "pumptrack/v1/maintenance.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"
#include "pumptrack/v1/report.grpc.pb.h"
#include "service/service_context.h"
#include "storage/database.h"

namespace pumptrack::service {

// The gRPC services: thin routing from each RPC to its authorisation and handler.

// Raw (ByteBuffer) methods: the handlers parse requests themselves, so that a request protobuf refuses (invalid
// UTF-8) gets INVALID_ARGUMENT naming the field (see wire.h).
using RawAgentService = v1::AgentService::WithRawCallbackMethod_Report<
    v1::AgentService::WithRawCallbackMethod_ReportStream<v1::AgentService::Service>>;

class AgentServiceImpl final : public RawAgentService {
 public:
  explicit AgentServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ReportStream(
      grpc::CallbackServerContext* context) override;

 private:
  const ServiceContext& context_;
};

class InventoryServiceImpl final : public v1::InventoryService::CallbackService {
 public:
  explicit InventoryServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* GetDevice(grpc::CallbackServerContext* context, const v1::GetDeviceRequest* request,
                                      v1::Device* response) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* context, const v1::ListDevicesRequest* request,
                                        v1::ListDevicesResponse* response) override;
  grpc::ServerUnaryReactor* Locate(grpc::CallbackServerContext* context, const v1::LocateRequest* request,
                                   v1::LocateResponse* response) override;
  grpc::ServerUnaryReactor* GetDeviceHistory(grpc::CallbackServerContext* context,
                                             const v1::GetDeviceHistoryRequest* request,
                                             v1::GetDeviceHistoryResponse* response) override;
  grpc::ServerUnaryReactor* SetHome(grpc::CallbackServerContext* context, const v1::SetHomeRequest* request,
                                    v1::Device* response) override;

 private:
  const ServiceContext& context_;
};

class FindingServiceImpl final : public v1::FindingService::CallbackService {
 public:
  explicit FindingServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* ListFindings(grpc::CallbackServerContext* context, const v1::ListFindingsRequest* request,
                                         v1::ListFindingsResponse* response) override;
  grpc::ServerUnaryReactor* GetFinding(grpc::CallbackServerContext* context, const v1::GetFindingRequest* request,
                                       v1::Finding* response) override;
  grpc::ServerUnaryReactor* AcknowledgeFinding(grpc::CallbackServerContext* context,
                                               const v1::AcknowledgeFindingRequest* request,
                                               v1::Finding* response) override;
  grpc::ServerWriteReactor<v1::FindingEvent>* WatchFindings(grpc::CallbackServerContext* context,
                                                            const v1::WatchFindingsRequest* request) override;
  grpc::ServerUnaryReactor* GetRisk(grpc::CallbackServerContext* context, const v1::GetRiskRequest* request,
                                    v1::GetRiskResponse* response) override;

 private:
  const ServiceContext& context_;
};

class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  explicit PolicyServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* GetPolicy(grpc::CallbackServerContext* context, const v1::GetPolicyRequest* request,
                                      v1::PolicyInfo* response) override;
  grpc::ServerUnaryReactor* ValidatePolicy(grpc::CallbackServerContext* context,
                                           const v1::ValidatePolicyRequest* request,
                                           v1::ValidatePolicyResponse* response) override;
  grpc::ServerUnaryReactor* SetPolicy(grpc::CallbackServerContext* context, const v1::SetPolicyRequest* request,
                                      v1::PolicyInfo* response) override;

 private:
  const ServiceContext& context_;
};

class TokenServiceImpl final : public v1::TokenService::CallbackService {
 public:
  explicit TokenServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context, const v1::CreateTokenRequest* request,
                                        v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context, const v1::ListTokensRequest* request,
                                       v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context, const v1::RevokeTokenRequest* request,
                                        v1::Token* response) override;

 private:
  const ServiceContext& context_;
};

class AgentRegistryServiceImpl final : public v1::AgentRegistryService::CallbackService {
 public:
  explicit AgentRegistryServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* ListAgents(grpc::CallbackServerContext* context, const v1::ListAgentsRequest* request,
                                       v1::ListAgentsResponse* response) override;
  grpc::ServerUnaryReactor* EnrollAgent(grpc::CallbackServerContext* context, const v1::EnrollAgentRequest* request,
                                        v1::Agent* response) override;
  grpc::ServerUnaryReactor* RevokeAgent(grpc::CallbackServerContext* context, const v1::RevokeAgentRequest* request,
                                        v1::Agent* response) override;

 private:
  const ServiceContext& context_;
};

class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  explicit AuditServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* context, const v1::ListAuditRequest* request,
                                      v1::ListAuditResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAudit(grpc::CallbackServerContext* context, const v1::VerifyAuditRequest* request,
                                        v1::VerifyAuditResponse* response) override;

 private:
  const ServiceContext& context_;
};

// Backups need the database itself, which the other services reach only through its stores.
class BackupServiceImpl final : public v1::BackupService::CallbackService {
 public:
  BackupServiceImpl(const ServiceContext& context, storage::Database* database)
      : context_(context), database_(database) {}

  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context, const v1::CreateBackupRequest* request,
                                         v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context, const v1::ListBackupsRequest* request,
                                        v1::ListBackupsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyBackup(grpc::CallbackServerContext* context, const v1::VerifyBackupRequest* request,
                                         v1::Backup* response) override;

 private:
  const ServiceContext& context_;
  storage::Database* const database_;
};

class CustodyServiceImpl final : public v1::CustodyService::CallbackService {
 public:
  explicit CustodyServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* CheckOut(grpc::CallbackServerContext* context, const v1::CheckOutRequest* request,
                                     v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context, const v1::CheckInRequest* request,
                                    v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* Quarantine(grpc::CallbackServerContext* context, const v1::QuarantineRequest* request,
                                       v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* Release(grpc::CallbackServerContext* context, const v1::ReleaseRequest* request,
                                    v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* SetMaintenance(grpc::CallbackServerContext* context,
                                           const v1::SetMaintenanceRequest* request,
                                           v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* Retire(grpc::CallbackServerContext* context, const v1::RetireRequest* request,
                                   v1::CustodyResult* response) override;
  grpc::ServerUnaryReactor* GetCustodyHistory(grpc::CallbackServerContext* context,
                                              const v1::GetCustodyHistoryRequest* request,
                                              v1::GetCustodyHistoryResponse* response) override;
  grpc::ServerUnaryReactor* ListCustody(grpc::CallbackServerContext* context, const v1::ListCustodyRequest* request,
                                        v1::ListCustodyResponse* response) override;
  grpc::ServerUnaryReactor* FindAvailable(grpc::CallbackServerContext* context, const v1::FindAvailableRequest* request,
                                          v1::FindAvailableResponse* response) override;

 private:
  const ServiceContext& context_;
};

class MaintenanceServiceImpl final : public v1::MaintenanceService::CallbackService {
 public:
  explicit MaintenanceServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* RecordMaintenance(grpc::CallbackServerContext* context,
                                              const v1::RecordMaintenanceRequest* request,
                                              v1::RecordMaintenanceResponse* response) override;
  grpc::ServerUnaryReactor* ImportMaintenance(grpc::CallbackServerContext* context,
                                              const v1::ImportMaintenanceRequest* request,
                                              v1::ImportMaintenanceResponse* response) override;
  grpc::ServerUnaryReactor* ListMaintenance(grpc::CallbackServerContext* context,
                                            const v1::ListMaintenanceRequest* request,
                                            v1::ListMaintenanceResponse* response) override;
  grpc::ServerUnaryReactor* ListDue(grpc::CallbackServerContext* context, const v1::ListDueRequest* request,
                                    v1::ListDueResponse* response) override;

 private:
  const ServiceContext& context_;
};

class ReportServiceImpl final : public v1::ReportService::CallbackService {
 public:
  explicit ReportServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* GetUtilization(grpc::CallbackServerContext* context,
                                           const v1::GetUtilizationRequest* request,
                                           v1::GetUtilizationResponse* response) override;

 private:
  const ServiceContext& context_;
};

class AdvisoryServiceImpl final : public v1::AdvisoryService::CallbackService {
 public:
  explicit AdvisoryServiceImpl(const ServiceContext& context) : context_(context) {}

  grpc::ServerUnaryReactor* ImportAdvisories(grpc::CallbackServerContext* context,
                                             const v1::ImportAdvisoriesRequest* request,
                                             v1::ImportAdvisoriesResponse* response) override;
  grpc::ServerUnaryReactor* ListAdvisories(grpc::CallbackServerContext* context,
                                           const v1::ListAdvisoriesRequest* request,
                                           v1::ListAdvisoriesResponse* response) override;
  grpc::ServerUnaryReactor* GetAdvisory(grpc::CallbackServerContext* context, const v1::GetAdvisoryRequest* request,
                                        v1::Advisory* response) override;
  grpc::ServerUnaryReactor* ListAffectedDevices(grpc::CallbackServerContext* context,
                                                const v1::ListAffectedDevicesRequest* request,
                                                v1::ListAffectedDevicesResponse* response) override;
  grpc::ServerUnaryReactor* ListUnmappedProducts(grpc::CallbackServerContext* context,
                                                 const v1::ListUnmappedProductsRequest* request,
                                                 v1::ListUnmappedProductsResponse* response) override;

 private:
  const ServiceContext& context_;
};

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_SERVICES_H_
