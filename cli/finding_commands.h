// The CLI's findings, risk and policy commands (FindingService, PolicyService) and `devices set-home`
// (InventoryService.SetHome). Like the inventory commands (commands.h), each one calls the service through an injected
// stub and prints its result to an injected stream; on failure it returns the error (see FromRpcStatus) and prints
// nothing, except WatchFindings, which streams.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"

namespace pumptrack::cli {

using FindingContext = ServiceContext<v1::FindingService>;
using PolicyContext = ServiceContext<v1::PolicyService>;

struct ListFindingsOptions {
  // The filters and page size to send; the page token is managed by the command.
  v1::ListFindingsRequest filter;
  // Stop after this many findings; unset means every page.
  std::optional<std::size_t> limit = std::nullopt;
};

struct RiskOptions {
  v1::GetRiskRequest::GroupBy group_by = v1::GetRiskRequest::GROUP_BY_UNIT;
  // For GROUP_BY_DEVICE: the riskiest N; unset means the server's default (100).
  std::optional<std::size_t> limit = std::nullopt;
};

// A policy file as read from disk: the path (for messages) and its text.
struct PolicyFile {
  std::string path;
  std::string text;
};

// Every matching finding, newest first, following next_page_token until the last page or `options.limit`. Fails with
// the first failed page's error, or INTERNAL if the server repeats a page token.
absl::StatusOr<std::vector<v1::Finding>> FetchFindings(v1::FindingService::StubInterface& stub,
                                                       const ConnectionOptions& connection,
                                                       const ListFindingsOptions& options);

// `findings list`: a table, or a JSON array of Finding.
absl::Status ListFindings(const FindingContext& context, const ListFindingsOptions& options);

// `findings get`: a key: value block, or one Finding as JSON. NOT_FOUND reads "finding F-9 not found".
absl::Status GetFinding(const FindingContext& context, const std::string& id);

// `findings ack`: one line, or the acknowledged Finding as JSON.
absl::Status AcknowledgeFinding(const FindingContext& context, const std::string& id, const std::string& note);

// `findings watch`: one line per event (JSON Lines of FindingEvent with --output=json), flushed as each arrives, until
// the server ends the stream (OK) or the call fails. The call has no deadline: it runs until interrupted. `kind`
// UNSPECIFIED means every kind.
absl::Status WatchFindings(const FindingContext& context, v1::FindingKind kind);

// `risk`: a table, or a JSON array of RiskGroup.
absl::Status ShowRisk(const FindingContext& context, const RiskOptions& options);

// `policy get`: the policy's text form exactly as applied (so it can be saved and set again), or the PolicyInfo as
// JSON. With no policy applied, prints one comment line saying so.
absl::Status GetPolicy(const PolicyContext& context);

// `policy validate`: one line with the unit and model counts, or the ValidatePolicyResponse as JSON. An invalid policy
// fails with INVALID_ARGUMENT: "policy <path>: <the service's reason, naming the line or field>".
absl::Status ValidatePolicy(const PolicyContext& context, const PolicyFile& policy);

// `policy set`: one line, or the applied PolicyInfo as JSON; fails like ValidatePolicy.
absl::Status SetPolicy(const PolicyContext& context, const PolicyFile& policy);

// `devices set-home`: one line, or the updated Device as JSON.
absl::Status SetDeviceHome(const CommandContext& context, const v1::DeviceKey& device, const std::string& unit);

}  // namespace pumptrack::cli
