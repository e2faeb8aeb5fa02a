#include "service/finding_handlers.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "rules/checks.h"
#include "rules/policy.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"
#include "service/validation.h"

namespace pumptrack::service {
namespace {

constexpr std::size_t kMaxNoteBytes = 1024;

absl::Status CheckLabel(absl::string_view field, absl::string_view value) {
  if (value.size() > 64) return absl::InvalidArgumentError(absl::StrCat(field, ": must be at most 64 characters"));
  if (!IsCleanText(value)) return absl::InvalidArgumentError(absl::StrCat(field, ": must be printable text"));
  return absl::OkStatus();
}

absl::Status CheckPolicyText(absl::string_view text) {
  if (text.size() > rules::kMaxPolicyTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat("text: at most ", rules::kMaxPolicyTextBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ListFindingsResponse> ListFindings(const v1::ListFindingsRequest& request,
                                                      const storage::FindingStore& findings) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  if (!v1::FindingKind_IsValid(request.kind())) return absl::InvalidArgumentError("kind: unknown value");
  if (!v1::Severity_IsValid(request.severity())) return absl::InvalidArgumentError("severity: unknown value");
  if (!v1::FindingState_IsValid(request.state())) return absl::InvalidArgumentError("state: unknown value");
  RETURN_IF_ERROR(CheckLabel("facility", request.facility()));
  RETURN_IF_ERROR(CheckLabel("unit", request.unit()));
  if (!request.asset_tag().empty() && !IsValidAssetTag(request.asset_tag())) {
    return absl::InvalidArgumentError(absl::StrCat("asset_tag: ", ids::kAssetTagRule));
  }
  const std::uint64_t fingerprint =
      FilterFingerprint({absl::StrCat(request.kind()), absl::StrCat(request.severity()), absl::StrCat(request.state()),
                         request.facility(), request.unit(), request.asset_tag()});
  ASSIGN_OR_RETURN(std::uint64_t below, DecodeNumericPageToken(request.page_token(), fingerprint));
  storage::FindingFilter filter;
  filter.kind = request.kind();
  filter.severity = request.severity();
  filter.state = request.state();
  filter.facility = request.facility();
  filter.unit = request.unit();
  filter.asset_tag = request.asset_tag();
  ASSIGN_OR_RETURN(storage::FindingPage page, findings.List(filter, below, page_size));
  v1::ListFindingsResponse response;
  for (v1::Finding& finding : page.findings) *response.add_findings() = std::move(finding);
  if (page.next_below != 0) {
    response.set_next_page_token(EncodePageToken(fingerprint, absl::StrCat(page.next_below)));
  }
  return response;
}

absl::StatusOr<v1::Finding> GetFinding(const v1::GetFindingRequest& request, const storage::FindingStore& findings) {
  return findings.Get(request.id());
}

absl::StatusOr<v1::Finding> AcknowledgeFinding(const v1::AcknowledgeFindingRequest& request,
                                               const engine::Caller& caller, engine::FindingsRuntime& runtime) {
  if (absl::StatusOr<std::uint64_t> number = storage::ParseFindingId(request.id()); !number.ok()) {
    return number.status();
  }
  if (request.note().empty() || request.note().size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError(absl::StrCat("note: must be 1-", kMaxNoteBytes, " bytes"));
  }
  if (!IsCleanText(request.note())) return absl::InvalidArgumentError("note: must be printable text");
  return runtime.Acknowledge(request.id(), request.note(), caller.actor);
}

absl::StatusOr<v1::GetRiskResponse> GetRisk(const v1::GetRiskRequest& request,
                                            const engine::FindingEngine& finding_engine) {
  if (!v1::GetRiskRequest::GroupBy_IsValid(request.group_by())) {
    return absl::InvalidArgumentError("group_by: unknown value");
  }
  absl::StatusOr<int> limit = ResolvePageSize(request.limit());
  if (!limit.ok()) return absl::InvalidArgumentError(absl::StrCat("limit: must be within 0-", kMaxPageSize));
  const v1::GetRiskRequest::GroupBy group_by = request.group_by() == v1::GetRiskRequest::GROUP_BY_UNSPECIFIED
                                                   ? v1::GetRiskRequest::GROUP_BY_UNIT
                                                   : request.group_by();
  v1::GetRiskResponse response;
  for (const engine::RiskGroupSummary& group : finding_engine.Risk(group_by, *limit)) {
    v1::RiskGroup* out = response.add_groups();
    out->set_key(group.key);
    out->set_devices(group.devices);
    out->set_devices_at_risk(group.devices_at_risk);
    out->set_max_score(group.max_score);
    out->set_mean_score(group.mean_score);
    out->set_open_findings(group.open_findings);
  }
  return response;
}

absl::Status ValidateWatchFindings(const v1::WatchFindingsRequest& request) {
  if (!v1::FindingKind_IsValid(request.kind())) return absl::InvalidArgumentError("kind: unknown value");
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyInfo> GetPolicy(const v1::GetPolicyRequest& /*request*/,
                                         const engine::FindingEngine& finding_engine) {
  return finding_engine.policy_info();
}

absl::StatusOr<v1::ValidatePolicyResponse> ValidatePolicy(const v1::ValidatePolicyRequest& request) {
  RETURN_IF_ERROR(CheckPolicyText(request.text()));
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::CompiledPolicy> policy,
                   rules::CompiledPolicy::FromText(request.text()));
  v1::ValidatePolicyResponse response;
  response.set_digest(policy->digest());
  response.set_units(static_cast<std::uint32_t>(policy->proto().site().units_size()));
  response.set_models(static_cast<std::uint32_t>(policy->proto().models_size()));
  return response;
}

absl::StatusOr<v1::PolicyInfo> SetPolicy(const v1::SetPolicyRequest& request, const engine::Caller& caller,
                                         engine::FindingsRuntime& runtime) {
  RETURN_IF_ERROR(CheckPolicyText(request.text()));
  return runtime.SetPolicy(request.text(), caller.actor);
}

absl::StatusOr<v1::Device> SetHome(const v1::SetHomeRequest& request, const engine::Caller& caller,
                                   const storage::DeviceStore& devices, engine::FindingsRuntime& runtime) {
  if (request.unit().empty()) return absl::InvalidArgumentError("unit: required");
  RETURN_IF_ERROR(CheckLabel("unit", request.unit()));
  ASSIGN_OR_RETURN(v1::Device device, LookUpDevice(request.device(), devices));
  return runtime.SetHome(device.identity().asset_tag(), request.unit(), caller.actor);
}

void AddComputedFields(const engine::FindingEngine& finding_engine, v1::Device& device) {
  rules::ResolveHome(*finding_engine.policy(), device);
  const auto [score, open] = finding_engine.RiskOf(device.identity().asset_tag());
  device.set_risk_score(score);
  device.set_open_findings(open);
  // A pump nobody has recorded custody for is AVAILABLE; say so rather than leave the state unset.
  if (device.custody().state() == v1::CUSTODY_STATE_UNSPECIFIED) {
    device.mutable_custody()->set_state(v1::CUSTODY_STATE_AVAILABLE);
  }
}

}  // namespace pumptrack::service
