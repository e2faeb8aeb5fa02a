// Parsing of the findings, policy and risk commands' flag values. Enum values are given by their short names in any
// case, with '-' or '_' between words ("missing", "HIGH", "unauthorized-move"); each parser fails with
// INVALID_ARGUMENT and a message that lists the accepted names.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"

namespace pumptrack::cli {

// "missing", "misconfigured", "insecure", "tampered", "unauthorized_move", "misrouted", "overdue" or "par_low".
absl::StatusOr<v1::FindingKind> ParseFindingKind(absl::string_view text);

// "low", "medium", "high" or "critical".
absl::StatusOr<v1::Severity> ParseSeverity(absl::string_view text);

// "open", "acknowledged" or "resolved".
absl::StatusOr<v1::FindingState> ParseFindingState(absl::string_view text);

// "unit", "facility" or "device".
absl::StatusOr<v1::GetRiskRequest::GroupBy> ParseRiskGroupBy(absl::string_view text);

// The largest policy text the service accepts.
inline constexpr std::size_t kMaxPolicyBytes = 1 << 20;

// The contents of a policy file. Fails with NOT_FOUND / PERMISSION_DENIED / ... (from errno) naming the file when it
// cannot be read, and INVALID_ARGUMENT when it is empty or larger than kMaxPolicyBytes.
absl::StatusOr<std::string> ReadPolicyFile(const std::string& path);

}  // namespace pumptrack::cli
