// Human-readable rendering of custody: states, events, check-outs, available pumps and the results of custody actions.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/enum_words.h"
#include "cli/table.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"

namespace pumptrack::cli {

// Enum values in people's words: cli/enum_words.h.

// --- Devices ---------------------------------------------------------------------------------------------------------

// The custody lines of `devices get`: "Custody" (the state), and while IN_TRANSIT "Holder", "Checked out from",
// "Destination" (with "(permanent transfer)"), "Due" (time and age, "OVERDUE" once past `now`) and "Reason"; while
// QUARANTINED "Quarantined for" (every reason, "; "-separated); when retired "Credentials wiped"; and "Custody updated"
// (when and by whom) once anyone recorded anything.
void AddCustodyDetails(const v1::Custody& custody, absl::Time now, DetailBlock& block);

// --- Results of actions ----------------------------------------------------------------------------------------------

// "Checked out PT-00042 from general/5-west to general/icu-1 (bob.transport), due 2026-11-29 14:05:00Z (in 4h)", with
// ", permanent transfer" when it is one.
std::string FormatCheckedOut(absl::string_view asset_tag, const v1::CustodyResult& result, absl::Time now);

// The check-in outcome, one line per item. Passed: "PASSED the check-in gate: PT-00042 is AVAILABLE at
// general/icu-1." Refused: "FAILED the check-in gate: PT-00042 is QUARANTINED at general/icu-1.", then "  - <reason>"
// for every gate failure (the pump's quarantine reasons when the event lists none), then how to release it.
void PrintCheckInOutcome(absl::string_view asset_tag, const v1::CustodyResult& result, std::ostream& out);

// Quarantine, Release, SetMaintenance: "PT-00042 is now quarantined (by carol.am): <reason>", the reason part only
// when the event carries one.
std::string FormatCustodyChanged(absl::string_view asset_tag, const v1::CustodyResult& result);

// Retire: FormatCustodyChanged's line, then "Recorded that PT-00042's network credentials were wiped (Wi-Fi keys,
// certificates, server addresses) before it left service." or, should the service not have recorded it, a line that
// says so.
void PrintRetired(absl::string_view asset_tag, const v1::CustodyResult& result, std::ostream& out);

// --- Lists -----------------------------------------------------------------------------------------------------------

// The `custody history` table: #, AT, ACTION, STATE (from -> to), ACTOR, WHERE, DETAILS (destination, due time,
// permanent transfer, observed seal, gate failures, credentials wiped, reason).
void PrintCustodyHistoryTable(std::span<const v1::CustodyEvent> events, std::ostream& out);

// The `custody list` table: TAG, HOLDER, FROM, TO, CHECKED OUT, DUE ("in 3h", or "OVERDUE 2h"), LAST SEEN AT, REASON.
void PrintCheckoutTable(std::span<const v1::CheckedOutPump> checkouts, absl::Time now, std::ostream& out);

// The `find-available` table: TAG, MODEL, PROXIMITY, FACILITY/UNIT/ROOM, LAST SEEN.
void PrintAvailableTable(std::span<const v1::AvailablePump> pumps, absl::Time now, std::ostream& out);

// The PAR line under it: "icu-1: 2 available, PAR level 4 (below PAR)" or "icu-1: 2 available, no PAR level".
std::string FormatParLevel(absl::string_view unit, const v1::FindAvailableResponse& response);

}  // namespace pumptrack::cli
