#ifndef PUMPTRACK_COMMON_IDS_H_
#define PUMPTRACK_COMMON_IDS_H_

// The one home of pumptrack's identifier grammars, role names and paging limits. Every layer (the service's edge
// validation, storage's invariant checks, the agent's and the CLI's flags) uses these, so they cannot drift apart.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/auth.pb.h"

namespace pumptrack::ids {

// --- Agent ids: 1-64 characters from [A-Za-z0-9._:-] (a certificate subject such as "gw-3.icu:east" fits) ---
inline constexpr std::size_t kMaxAgentIdLength = 64;
inline constexpr absl::string_view kAgentIdRule = "must be 1-64 characters from [A-Za-z0-9._:-]";
bool IsValidAgentId(absl::string_view agent_id);
// OK, or INVALID_ARGUMENT "<field>: must be 1-64 characters from [A-Za-z0-9._:-]".
absl::Status CheckAgentId(absl::string_view field, absl::string_view agent_id);

// --- Asset tags, and the policy's unit, facility and model ids: 1-64 characters from [A-Za-z0-9._-] ---
inline constexpr std::size_t kMaxAssetTagLength = 64;
inline constexpr absl::string_view kAssetTagRule = "must be 1-64 characters from [A-Za-z0-9._-]";
bool IsValidAssetTag(absl::string_view asset_tag);
// The policy's ids (units, facilities, models) follow the asset-tag grammar.
inline bool IsValidPolicyId(absl::string_view id) { return IsValidAssetTag(id); }

// --- Roles: "viewer", "transport", "asset_manager", "auditor", "admin", "technician" ---
// The role as lower-case text ("asset_manager"); "unspecified" for ROLE_UNSPECIFIED.
std::string RoleName(v1::Role role);
// A role's name in any case, with '-' for '_' ("Asset-Manager"). INVALID_ARGUMENT naming the five roles otherwise
// (ROLE_UNSPECIFIED is not a role one can ask for).
absl::StatusOr<v1::Role> ParseRole(absl::string_view text);

// --- Paging: list RPCs return kDefaultPageSize items when page_size is 0, and at most kMaxPageSize ---
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

}  // namespace pumptrack::ids

#endif  // PUMPTRACK_COMMON_IDS_H_
