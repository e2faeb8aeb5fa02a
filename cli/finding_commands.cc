#include "cli/finding_commands.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/csv_columns.h"
#include "cli/errors.h"
#include "cli/finding_format.h"
#include "cli/json.h"
#include "cli/paging.h"
#include "cli/table.h"
#include "common/status_macros.h"
#include "grpc/support/time.h"

namespace pumptrack::cli {

namespace {

std::string FindingSubject(const std::string& id) { return absl::StrCat("finding ", id); }
std::string PolicySubject(const PolicyFile& policy) { return absl::StrCat("policy ", policy.path); }

}  // namespace

absl::StatusOr<std::vector<v1::Finding>> FetchFindings(v1::FindingService::StubInterface& stub,
                                                       const ConnectionOptions& connection,
                                                       const ListFindingsOptions& options) {
  v1::ListFindingsRequest request = options.filter;
  request.set_page_size(PageSizeFor(request.page_size(), options.limit));
  auto fetch_page = [&](const std::string& page_token) -> absl::StatusOr<v1::ListFindingsResponse> {
    request.set_page_token(page_token);
    v1::ListFindingsResponse page;
    const grpc::Status status = stub.ListFindings(NewCallContext(connection).get(), request, &page);
    if (!status.ok()) return FromRpcStatus(status, "finding list", connection);
    return page;
  };
  auto take_findings = [](v1::ListFindingsResponse & page) -> auto& { return *page.mutable_findings(); };
  return CollectPages<v1::Finding, v1::ListFindingsResponse>(options.limit, fetch_page, take_findings);
}

absl::Status ListFindings(const FindingContext& context, const ListFindingsOptions& options) {
  ASSIGN_OR_RETURN(std::vector<v1::Finding> findings, FetchFindings(context.stub, context.connection, options));
  return PrintList(
      context, findings, "No findings.", [&](const auto& items) { PrintFindingTable(items, context.now, context.out); },
      std::span(FindingCsvColumns()));
}

absl::Status GetFinding(const FindingContext& context, const std::string& id) {
  v1::GetFindingRequest request;
  request.set_id(id);
  v1::Finding finding;
  const grpc::Status status = context.stub.GetFinding(NewCallContext(context.connection).get(), request, &finding);
  if (!status.ok()) return FromRpcStatus(status, FindingSubject(id), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(finding, context.out);
  PrintFindingDetails(finding, context.now, context.out);
  return absl::OkStatus();
}

absl::Status AcknowledgeFinding(const FindingContext& context, const std::string& id, const std::string& note) {
  v1::AcknowledgeFindingRequest request;
  request.set_id(id);
  request.set_note(note);
  v1::Finding finding;
  const grpc::Status status =
      context.stub.AcknowledgeFinding(NewCallContext(context.connection).get(), request, &finding);
  if (!status.ok()) return FromRpcStatus(status, FindingSubject(id), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(finding, context.out);
  context.out << FormatAcknowledged(finding) << '\n';
  return absl::OkStatus();
}

absl::Status WatchFindings(const FindingContext& context, v1::FindingKind kind) {
  v1::WatchFindingsRequest request;
  request.set_kind(kind);
  std::unique_ptr<grpc::ClientContext> call = NewCallContext(context.connection);
  // A watch lasts until interrupted: --timeout bounds single calls, not this stream.
  call->set_deadline(gpr_inf_future(GPR_CLOCK_REALTIME));
  std::unique_ptr<grpc::ClientReaderInterface<v1::FindingEvent>> reader =
      context.stub.WatchFindings(call.get(), request);
  v1::FindingEvent event;
  while (reader->Read(&event)) {
    if (context.format == OutputFormat::kJson) {
      absl::StatusOr<std::string> line = ToJsonLine(event);
      if (!line.ok()) {
        call->TryCancel();
        // Finish reports the cancellation; the conversion failure is what went wrong.
        (void)reader->Finish();
        return line.status();
      }
      context.out << *line << '\n' << std::flush;
    } else {
      context.out << FormatFindingEvent(event, absl::Now()) << '\n' << std::flush;
    }
  }
  return FromRpcStatus(reader->Finish(), "finding watch", context.connection);
}

absl::Status ShowRisk(const FindingContext& context, const RiskOptions& options) {
  v1::GetRiskRequest request;
  request.set_group_by(options.group_by);
  if (options.limit) request.set_limit(static_cast<int32_t>(std::min(*options.limit, kMaxPageSize)));
  v1::GetRiskResponse risk;
  const grpc::Status status = context.stub.GetRisk(NewCallContext(context.connection).get(), request, &risk);
  if (!status.ok()) return FromRpcStatus(status, "risk", context.connection);
  const std::vector<v1::RiskGroup> groups(risk.groups().begin(), risk.groups().end());
  return PrintList(
      context, groups, "No devices.", [&](const auto& items) { PrintRiskTable(items, options.group_by, context.out); },
      std::span<const CsvColumn<v1::RiskGroup>>(RiskCsvColumns(options.group_by)));
}

absl::Status GetPolicy(const PolicyContext& context) {
  v1::PolicyInfo info;
  const grpc::Status status =
      context.stub.GetPolicy(NewCallContext(context.connection).get(), v1::GetPolicyRequest(), &info);
  if (!status.ok()) return FromRpcStatus(status, "policy", context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(info, context.out);
  if (info.text().empty()) {
    context.out << "# No policy is applied.\n";
  } else {
    context.out << info.text();
    if (info.text().back() != '\n') context.out << '\n';
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const PolicyContext& context, const PolicyFile& policy) {
  v1::ValidatePolicyRequest request;
  request.set_text(policy.text);
  v1::ValidatePolicyResponse validated;
  const grpc::Status status =
      context.stub.ValidatePolicy(NewCallContext(context.connection).get(), request, &validated);
  if (!status.ok()) return FromRpcStatus(status, PolicySubject(policy), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(validated, context.out);
  context.out << FormatPolicyValidated(policy.path, validated) << '\n';
  return absl::OkStatus();
}

absl::Status SetPolicy(const PolicyContext& context, const PolicyFile& policy) {
  v1::SetPolicyRequest request;
  request.set_text(policy.text);
  v1::PolicyInfo info;
  const grpc::Status status = context.stub.SetPolicy(NewCallContext(context.connection).get(), request, &info);
  if (!status.ok()) return FromRpcStatus(status, PolicySubject(policy), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(info, context.out);
  context.out << FormatPolicyApplied(policy.path, info) << '\n';
  return absl::OkStatus();
}

absl::Status SetDeviceHome(const CommandContext& context, const v1::DeviceKey& device, const std::string& unit) {
  v1::SetHomeRequest request;
  *request.mutable_device() = device;
  request.set_unit(unit);
  v1::Device updated;
  const grpc::Status status = context.stub.SetHome(NewCallContext(context.connection).get(), request, &updated);
  if (!status.ok()) return FromRpcStatus(status, DescribeDevice(device), context.connection);
  if (context.format == OutputFormat::kJson) return PrintJson(updated, context.out);
  context.out << FormatHomeSet(updated) << '\n';
  return absl::OkStatus();
}

}  // namespace pumptrack::cli
