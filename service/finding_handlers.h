#ifndef PUMPTRACK_SERVICE_FINDING_HANDLERS_H_
#define PUMPTRACK_SERVICE_FINDING_HANDLERS_H_

// Handlers of the finding and policy services and of InventoryService.SetHome: functions of a request, the
// authorised caller and the finding engine, run on the worker pool. Each validates its request first.

#include "absl/status/statusor.h"
#include "engine/caller.h"
#include "engine/finding_engine.h"
#include "engine/findings_runtime.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/inventory_service.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "storage/device_store.h"
#include "storage/finding_store.h"

namespace pumptrack::service {

absl::StatusOr<v1::ListFindingsResponse> ListFindings(const v1::ListFindingsRequest& request,
                                                      const storage::FindingStore& findings);
absl::StatusOr<v1::Finding> GetFinding(const v1::GetFindingRequest& request, const storage::FindingStore& findings);
absl::StatusOr<v1::Finding> AcknowledgeFinding(const v1::AcknowledgeFindingRequest& request,
                                               const engine::Caller& caller, engine::FindingsRuntime& runtime);
absl::StatusOr<v1::GetRiskResponse> GetRisk(const v1::GetRiskRequest& request,
                                            const engine::FindingEngine& finding_engine);

// Validates WatchFindingsRequest; the stream itself is in watch_findings_reactor.
absl::Status ValidateWatchFindings(const v1::WatchFindingsRequest& request);

absl::StatusOr<v1::PolicyInfo> GetPolicy(const v1::GetPolicyRequest& request,
                                         const engine::FindingEngine& finding_engine);
absl::StatusOr<v1::ValidatePolicyResponse> ValidatePolicy(const v1::ValidatePolicyRequest& request);
absl::StatusOr<v1::PolicyInfo> SetPolicy(const v1::SetPolicyRequest& request, const engine::Caller& caller,
                                         engine::FindingsRuntime& runtime);

absl::StatusOr<v1::Device> SetHome(const v1::SetHomeRequest& request, const engine::Caller& caller,
                                   const storage::DeviceStore& devices, engine::FindingsRuntime& runtime);

// Fills the computed fields of a device read from storage: its home under the policy's asset register, risk score
// and open findings.
void AddComputedFields(const engine::FindingEngine& finding_engine, v1::Device& device);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_FINDING_HANDLERS_H_
