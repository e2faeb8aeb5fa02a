#include "service/services.h"

#include <utility>

#include "service/admin_handlers.h"
#include "service/advisory_handlers.h"
#include "service/backup_handlers.h"
#include "service/custody_handlers.h"
#include "service/finding_handlers.h"
#include "service/inventory_handlers.h"
#include "service/maintenance_handlers.h"
#include "service/report_handler.h"
#include "service/report_stream_handler.h"
#include "service/status_mapping.h"
#include "service/utilization_handlers.h"
#include "service/watch_findings_reactor.h"

namespace pumptrack::service {
namespace {

// Authorises a person's call to `method` (on the calling thread: in-memory only), then runs
// `handler(const Caller&)` -> absl::StatusOr<Response> on the worker pool and finishes the call with its outcome.
// Refuses with RESOURCE_EXHAUSTED when the pool's queue is full, and skips work for calls already cancelled or past
// their deadline.
template <typename Response, typename Handler>
grpc::ServerUnaryReactor* RunAuthorized(grpc::CallbackServerContext* context, absl::string_view method,
                                        Response* response, const ServiceContext& service, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<engine::Caller> caller = service.auth->AuthorizePerson(*context, method);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const bool queued = service.workers->TrySubmit(
      [context, reactor, response, caller = *std::move(caller), handler = std::move(handler)] {
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled or past its deadline"));
          return;
        }
        absl::StatusOr<Response> result = handler(caller);
        if (result.ok()) *response = *std::move(result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many requests in progress; retry"));
  }
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AgentServiceImpl::Report(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return HandleReport(context, request, response, context_);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AgentServiceImpl::ReportStream(
    grpc::CallbackServerContext* context) {
  return HandleReportStream(context, context_);
}

grpc::ServerUnaryReactor* InventoryServiceImpl::GetDevice(grpc::CallbackServerContext* context,
                                                          const v1::GetDeviceRequest* request, v1::Device* response) {
  return RunAuthorized(context, "/pumptrack.v1.InventoryService/GetDevice", response, context_,
                       [request, this](const engine::Caller&) -> absl::StatusOr<v1::Device> {
                         absl::StatusOr<v1::Device> device = service::GetDevice(*request, *context_.devices);
                         if (device.ok()) AddComputedFields(*context_.finding_engine, *device);
                         return device;
                       });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::ListDevices(grpc::CallbackServerContext* context,
                                                            const v1::ListDevicesRequest* request,
                                                            v1::ListDevicesResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.InventoryService/ListDevices", response, context_,
      [request, this](const engine::Caller&) { return service::ListDevices(*request, *context_.devices); });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::Locate(grpc::CallbackServerContext* context,
                                                       const v1::LocateRequest* request, v1::LocateResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.InventoryService/Locate", response, context_,
                       [request, this](const engine::Caller&) { return service::Locate(*request, *context_.devices); });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::GetDeviceHistory(grpc::CallbackServerContext* context,
                                                                 const v1::GetDeviceHistoryRequest* request,
                                                                 v1::GetDeviceHistoryResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.InventoryService/GetDeviceHistory", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::GetDeviceHistory(*request, *context_.devices, context_.clock());
                       });
}

grpc::ServerUnaryReactor* InventoryServiceImpl::SetHome(grpc::CallbackServerContext* context,
                                                        const v1::SetHomeRequest* request, v1::Device* response) {
  return RunAuthorized(context, "/pumptrack.v1.InventoryService/SetHome", response, context_,
                       [request, this](const engine::Caller& caller) -> absl::StatusOr<v1::Device> {
                         absl::StatusOr<v1::Device> device =
                             service::SetHome(*request, caller, *context_.devices, *context_.findings_runtime);
                         if (device.ok()) AddComputedFields(*context_.finding_engine, *device);
                         return device;
                       });
}

grpc::ServerUnaryReactor* FindingServiceImpl::ListFindings(grpc::CallbackServerContext* context,
                                                           const v1::ListFindingsRequest* request,
                                                           v1::ListFindingsResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.FindingService/ListFindings", response, context_,
      [request, this](const engine::Caller&) { return service::ListFindings(*request, *context_.findings); });
}

grpc::ServerUnaryReactor* FindingServiceImpl::GetFinding(grpc::CallbackServerContext* context,
                                                         const v1::GetFindingRequest* request, v1::Finding* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.FindingService/GetFinding", response, context_,
      [request, this](const engine::Caller&) { return service::GetFinding(*request, *context_.findings); });
}

grpc::ServerUnaryReactor* FindingServiceImpl::AcknowledgeFinding(grpc::CallbackServerContext* context,
                                                                 const v1::AcknowledgeFindingRequest* request,
                                                                 v1::Finding* response) {
  return RunAuthorized(context, "/pumptrack.v1.FindingService/AcknowledgeFinding", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::AcknowledgeFinding(*request, caller, *context_.findings_runtime);
                       });
}

grpc::ServerWriteReactor<v1::FindingEvent>* FindingServiceImpl::WatchFindings(grpc::CallbackServerContext* context,
                                                                              const v1::WatchFindingsRequest* request) {
  absl::StatusOr<engine::Caller> caller =
      context_.auth->AuthorizePerson(*context, "/pumptrack.v1.FindingService/WatchFindings");
  absl::Status allowed = caller.ok() ? ValidateWatchFindings(*request) : caller.status();
  return StartWatchFindings(context_.finding_engine->events(), *request, ToGrpcStatus(allowed));
}

grpc::ServerUnaryReactor* FindingServiceImpl::GetRisk(grpc::CallbackServerContext* context,
                                                      const v1::GetRiskRequest* request,
                                                      v1::GetRiskResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.FindingService/GetRisk", response, context_,
      [request, this](const engine::Caller&) { return service::GetRisk(*request, *context_.finding_engine); });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::GetPolicy(grpc::CallbackServerContext* context,
                                                       const v1::GetPolicyRequest* request, v1::PolicyInfo* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.PolicyService/GetPolicy", response, context_,
      [request, this](const engine::Caller&) { return service::GetPolicy(*request, *context_.finding_engine); });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::ValidatePolicy(grpc::CallbackServerContext* context,
                                                            const v1::ValidatePolicyRequest* request,
                                                            v1::ValidatePolicyResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.PolicyService/ValidatePolicy", response, context_,
                       [request](const engine::Caller&) { return service::ValidatePolicy(*request); });
}

grpc::ServerUnaryReactor* PolicyServiceImpl::SetPolicy(grpc::CallbackServerContext* context,
                                                       const v1::SetPolicyRequest* request, v1::PolicyInfo* response) {
  return RunAuthorized(context, "/pumptrack.v1.PolicyService/SetPolicy", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::SetPolicy(*request, caller, *context_.findings_runtime);
                       });
}

grpc::ServerUnaryReactor* TokenServiceImpl::CreateToken(grpc::CallbackServerContext* context,
                                                        const v1::CreateTokenRequest* request,
                                                        v1::CreateTokenResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.TokenService/CreateToken", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::CreateToken(*request, caller, *context_.tokens, context_.clock());
                       });
}

grpc::ServerUnaryReactor* TokenServiceImpl::ListTokens(grpc::CallbackServerContext* context,
                                                       const v1::ListTokensRequest* request,
                                                       v1::ListTokensResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.TokenService/ListTokens", response, context_,
      [request, this](const engine::Caller&) { return service::ListTokens(*request, *context_.tokens); });
}

grpc::ServerUnaryReactor* TokenServiceImpl::RevokeToken(grpc::CallbackServerContext* context,
                                                        const v1::RevokeTokenRequest* request, v1::Token* response) {
  return RunAuthorized(context, "/pumptrack.v1.TokenService/RevokeToken", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::RevokeToken(*request, caller, *context_.tokens, context_.clock());
                       });
}

grpc::ServerUnaryReactor* AgentRegistryServiceImpl::ListAgents(grpc::CallbackServerContext* context,
                                                               const v1::ListAgentsRequest* request,
                                                               v1::ListAgentsResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.AgentRegistryService/ListAgents", response, context_,
      [request, this](const engine::Caller&) { return service::ListAgents(*request, *context_.agents); });
}

grpc::ServerUnaryReactor* AgentRegistryServiceImpl::EnrollAgent(grpc::CallbackServerContext* context,
                                                                const v1::EnrollAgentRequest* request,
                                                                v1::Agent* response) {
  return RunAuthorized(context, "/pumptrack.v1.AgentRegistryService/EnrollAgent", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::EnrollAgent(*request, caller, *context_.agents, context_.clock());
                       });
}

grpc::ServerUnaryReactor* AgentRegistryServiceImpl::RevokeAgent(grpc::CallbackServerContext* context,
                                                                const v1::RevokeAgentRequest* request,
                                                                v1::Agent* response) {
  return RunAuthorized(context, "/pumptrack.v1.AgentRegistryService/RevokeAgent", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::RevokeAgent(*request, caller, *context_.agents, context_.clock());
                       });
}

grpc::ServerUnaryReactor* AuditServiceImpl::ListAudit(grpc::CallbackServerContext* context,
                                                      const v1::ListAuditRequest* request,
                                                      v1::ListAuditResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.AuditService/ListAudit", response, context_,
      [request, this](const engine::Caller&) { return service::ListAudit(*request, *context_.audit); });
}

grpc::ServerUnaryReactor* AuditServiceImpl::VerifyAudit(grpc::CallbackServerContext* context,
                                                        const v1::VerifyAuditRequest* request,
                                                        v1::VerifyAuditResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.AuditService/VerifyAudit", response, context_,
      [request, this](const engine::Caller&) { return service::VerifyAudit(*request, *context_.audit); });
}

grpc::ServerUnaryReactor* BackupServiceImpl::CreateBackup(grpc::CallbackServerContext* context,
                                                          const v1::CreateBackupRequest* request,
                                                          v1::Backup* response) {
  return RunAuthorized(context, "/pumptrack.v1.BackupService/CreateBackup", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::CreateBackup(*request, caller, *database_, *context_.audit, context_.clock());
                       });
}

grpc::ServerUnaryReactor* BackupServiceImpl::ListBackups(grpc::CallbackServerContext* context,
                                                         const v1::ListBackupsRequest* request,
                                                         v1::ListBackupsResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.BackupService/ListBackups", response, context_,
                       [request, this](const engine::Caller&) { return service::ListBackups(*request, *database_); });
}

grpc::ServerUnaryReactor* BackupServiceImpl::VerifyBackup(grpc::CallbackServerContext* context,
                                                          const v1::VerifyBackupRequest* request,
                                                          v1::Backup* response) {
  return RunAuthorized(context, "/pumptrack.v1.BackupService/VerifyBackup", response, context_,
                       [request, this](const engine::Caller&) { return service::VerifyBackup(*request, *database_); });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::CheckOut(grpc::CallbackServerContext* context,
                                                       const v1::CheckOutRequest* request,
                                                       v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/CheckOut", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::CheckOut(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::CheckIn(grpc::CallbackServerContext* context,
                                                      const v1::CheckInRequest* request, v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/CheckIn", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::CheckIn(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::Quarantine(grpc::CallbackServerContext* context,
                                                         const v1::QuarantineRequest* request,
                                                         v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/Quarantine", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::Quarantine(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::Release(grpc::CallbackServerContext* context,
                                                      const v1::ReleaseRequest* request, v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/Release", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::Release(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::SetMaintenance(grpc::CallbackServerContext* context,
                                                             const v1::SetMaintenanceRequest* request,
                                                             v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/SetMaintenance", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::SetMaintenance(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::Retire(grpc::CallbackServerContext* context,
                                                     const v1::RetireRequest* request, v1::CustodyResult* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/Retire", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::Retire(*request, caller, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::GetCustodyHistory(grpc::CallbackServerContext* context,
                                                                const v1::GetCustodyHistoryRequest* request,
                                                                v1::GetCustodyHistoryResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.CustodyService/GetCustodyHistory", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::GetCustodyHistory(*request, *context_.custody_runtime);
                       });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::ListCustody(grpc::CallbackServerContext* context,
                                                          const v1::ListCustodyRequest* request,
                                                          v1::ListCustodyResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.CustodyService/ListCustody", response, context_,
      [request, this](const engine::Caller&) { return service::ListCustody(*request, *context_.custody_runtime); });
}

grpc::ServerUnaryReactor* CustodyServiceImpl::FindAvailable(grpc::CallbackServerContext* context,
                                                            const v1::FindAvailableRequest* request,
                                                            v1::FindAvailableResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.CustodyService/FindAvailable", response, context_,
      [request, this](const engine::Caller&) { return service::FindAvailable(*request, *context_.custody_runtime); });
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::RecordMaintenance(grpc::CallbackServerContext* context,
                                                                    const v1::RecordMaintenanceRequest* request,
                                                                    v1::RecordMaintenanceResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.MaintenanceService/RecordMaintenance", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::RecordMaintenance(*request, caller, *context_.maintenance_runtime);
                       });
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::ImportMaintenance(grpc::CallbackServerContext* context,
                                                                    const v1::ImportMaintenanceRequest* request,
                                                                    v1::ImportMaintenanceResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.MaintenanceService/ImportMaintenance", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::ImportMaintenance(*request, caller, *context_.maintenance_runtime);
                       });
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::ListMaintenance(grpc::CallbackServerContext* context,
                                                                  const v1::ListMaintenanceRequest* request,
                                                                  v1::ListMaintenanceResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.MaintenanceService/ListMaintenance", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::ListMaintenance(*request, *context_.maintenance_runtime);
                       });
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::ListDue(grpc::CallbackServerContext* context,
                                                          const v1::ListDueRequest* request,
                                                          v1::ListDueResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.MaintenanceService/ListDue", response, context_,
      [request, this](const engine::Caller&) { return service::ListDue(*request, *context_.maintenance_runtime); });
}

grpc::ServerUnaryReactor* ReportServiceImpl::GetUtilization(grpc::CallbackServerContext* context,
                                                            const v1::GetUtilizationRequest* request,
                                                            v1::GetUtilizationResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.ReportService/GetUtilization", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::GetUtilization(*request, *context_.utilization, context_.clock());
                       });
}

grpc::ServerUnaryReactor* AdvisoryServiceImpl::ImportAdvisories(grpc::CallbackServerContext* context,
                                                                const v1::ImportAdvisoriesRequest* request,
                                                                v1::ImportAdvisoriesResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.AdvisoryService/ImportAdvisories", response, context_,
                       [request, this](const engine::Caller& caller) {
                         return service::ImportAdvisories(*request, caller, *context_.advisory_runtime,
                                                          context_.clock());
                       });
}

grpc::ServerUnaryReactor* AdvisoryServiceImpl::ListAdvisories(grpc::CallbackServerContext* context,
                                                              const v1::ListAdvisoriesRequest* request,
                                                              v1::ListAdvisoriesResponse* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.AdvisoryService/ListAdvisories", response, context_,
      [request, this](const engine::Caller&) { return service::ListAdvisories(*request, *context_.advisory_runtime); });
}

grpc::ServerUnaryReactor* AdvisoryServiceImpl::GetAdvisory(grpc::CallbackServerContext* context,
                                                           const v1::GetAdvisoryRequest* request,
                                                           v1::Advisory* response) {
  return RunAuthorized(
      context, "/pumptrack.v1.AdvisoryService/GetAdvisory", response, context_,
      [request, this](const engine::Caller&) { return service::GetAdvisory(*request, *context_.advisory_runtime); });
}

grpc::ServerUnaryReactor* AdvisoryServiceImpl::ListAffectedDevices(grpc::CallbackServerContext* context,
                                                                   const v1::ListAffectedDevicesRequest* request,
                                                                   v1::ListAffectedDevicesResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.AdvisoryService/ListAffectedDevices", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::ListAffectedDevices(*request, *context_.advisory_runtime);
                       });
}

grpc::ServerUnaryReactor* AdvisoryServiceImpl::ListUnmappedProducts(grpc::CallbackServerContext* context,
                                                                    const v1::ListUnmappedProductsRequest* request,
                                                                    v1::ListUnmappedProductsResponse* response) {
  return RunAuthorized(context, "/pumptrack.v1.AdvisoryService/ListUnmappedProducts", response, context_,
                       [request, this](const engine::Caller&) {
                         return service::ListUnmappedProducts(*request, *context_.advisory_runtime);
                       });
}

}  // namespace pumptrack::service
