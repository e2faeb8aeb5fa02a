// Human-readable rendering of findings, finding events, risk groups and policies.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/enum_words.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/policy.pb.h"

namespace pumptrack::cli {

// Enum values in people's words: cli/enum_words.h.

// --- Findings --------------------------------------------------------------------------------------------------------

// "general/5-west"; just the facility or the unit when only one is known; "-" when neither is.
std::string FormatFacilityUnit(absl::string_view facility, absl::string_view unit);

// The `findings list` table: ID, TAG, KIND, SEVERITY, STATE, WHERE, RULE, LAST SEEN (relative to `now`), REASON.
void PrintFindingTable(std::span<const v1::Finding> findings, absl::Time now, std::ostream& out);

// The `findings get` block: one aligned "Key: value" line per fact; acknowledgement and resolution only when set.
void PrintFindingDetails(const v1::Finding& finding, absl::Time now, std::ostream& out);

// "Acknowledged F-12 (PT-00042, firmware.blocked) as alice.biomed: <note>", with "and resolved" when acknowledging
// resolved it (a one-off event).
std::string FormatAcknowledged(const v1::Finding& finding);

// One `findings watch` line: "<time> opened F-12 PT-00042 misconfigured high firmware.blocked: <reason>", the time
// being when the finding was resolved (for "resolved") or last seen. A RESYNC event reads "<now> resync: events were
// dropped; run `pumptrack findings list` to catch up".
std::string FormatFindingEvent(const v1::FindingEvent& event, absl::Time now);

// --- Risk ------------------------------------------------------------------------------------------------------------

// The `risk` table. By unit or facility: UNIT (or FACILITY), DEVICES, AT RISK, MAX SCORE, MEAN SCORE, OPEN FINDINGS.
// By device: DEVICE, SCORE, OPEN FINDINGS.
void PrintRiskTable(std::span<const v1::RiskGroup> groups, v1::GetRiskRequest::GroupBy group_by, std::ostream& out);

// --- Policy ----------------------------------------------------------------------------------------------------------

// "Policy hospital.textproto is valid: 9 units, 3 models (sha256:...)."
std::string FormatPolicyValidated(absl::string_view path, const v1::ValidatePolicyResponse& validated);

// "Applied policy hospital.textproto (sha256:...): 9 units, 3 models, applied 2026-11-29 10:05:00Z by admin."
std::string FormatPolicyApplied(absl::string_view path, const v1::PolicyInfo& info);

// --- Devices ---------------------------------------------------------------------------------------------------------

// "general/5-west (assigned)", "general/5-west (first seen)"; "none" when the device has no home unit.
std::string FormatHome(const v1::Device& device);

// "PT-00042's home unit is now general/5-west (assigned)."
std::string FormatHomeSet(const v1::Device& device);

}  // namespace pumptrack::cli
