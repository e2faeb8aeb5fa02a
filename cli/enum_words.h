#ifndef PUMPTRACK_CLI_ENUM_WORDS_H_
#define PUMPTRACK_CLI_ENUM_WORDS_H_

// The one place where the CLI turns enum values into the words people use, for every table and detail block of every
// command. The convention: lower case, words separated by spaces ("unauthorized move", "in transit", "first seen");
// names and acronyms keep their usual spelling ("RTLS", "Wi-Fi AP", "WPA2-Enterprise"). Roles are the one exception:
// they are names people type and read in permissions ("asset_manager"), shown as typed.
// Unspecified or unknown values read "unknown" (an unspecified custody state reads "available": a pump nobody has
// recorded anything for is AVAILABLE, device.proto). `--output=json` never uses these: it keeps the proto's enum
// names. Flags that take a finding kind, severity or state accept these words with '_', '-' or a space between them
// (`--kind=unauthorized_move`, `--kind="unauthorized move"`).

#include "absl/strings/string_view.h"
#include "pumptrack/v1/agent_registry.pb.h"
#include "pumptrack/v1/audit.pb.h"
#include "pumptrack/v1/auth.pb.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"

namespace pumptrack::cli {

// Devices.
absl::string_view OperatingStateName(v1::OperatingState state);
absl::string_view LocationSourceName(v1::LocationSource source);
absl::string_view WifiSecurityName(v1::WifiSecurity security);
absl::string_view SealStateName(v1::SealState state);
absl::string_view CaseStateName(v1::CaseState state);
absl::string_view PowerSourceName(v1::PowerSource source);
absl::string_view ServiceKindName(v1::ServiceKind kind);
absl::string_view ChangeKindName(v1::ChangeKind kind);
absl::string_view HomeSourceName(v1::HomeSource source);
// Findings.
absl::string_view FindingKindName(v1::FindingKind kind);
absl::string_view SeverityName(v1::Severity severity);
absl::string_view FindingStateName(v1::FindingState state);
absl::string_view FindingEventTypeName(v1::FindingEvent::Type type);
// Custody.
absl::string_view CustodyStateName(v1::CustodyState state);
absl::string_view CustodyActionName(v1::CustodyAction action);
absl::string_view ProximityName(v1::Proximity proximity);
// People and agents.
absl::string_view RoleName(v1::Role role);
absl::string_view AgentStateName(v1::AgentState state);
absl::string_view ActorKindName(v1::ActorKind kind);

}  // namespace pumptrack::cli

#endif  // PUMPTRACK_CLI_ENUM_WORDS_H_
