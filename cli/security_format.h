// Human-readable rendering of the security services' messages: tokens, agents and the audit log.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/enum_words.h"
#include "pumptrack/v1/agent_registry.pb.h"
#include "pumptrack/v1/audit.pb.h"
#include "pumptrack/v1/auth.pb.h"

namespace pumptrack::cli {

// Enum values in people's words: cli/enum_words.h.

// --- Tokens ----------------------------------------------------------------------------------------------------------

// "revoked" once revoked, else "expired" once its expiry is at or before `now`, else "live".
absl::string_view TokenState(const v1::Token& token, absl::Time now);

// "2026-12-29 10:05:00Z", or "never" when the token has no expiry.
std::string FormatExpiry(const v1::Token& token);

// The `tokens create` output: a key: value block, then the secret alone on the last line so that scripts can take it
// with `tail -1`.
void PrintCreatedToken(const v1::CreateTokenResponse& created, absl::Time now, std::ostream& out);

// The `tokens list` table: ID, NAME, ROLE, CREATED, EXPIRES, STATE, CREATED BY.
void PrintTokenTable(std::span<const v1::Token> tokens, absl::Time now, std::ostream& out);

// "Revoked token tok_3f9a0c1d2e4b5a69 (alice.biomed) at 2026-11-29 10:05:00Z."
std::string FormatRevokedToken(const v1::Token& token);

// --- Agents ----------------------------------------------------------------------------------------------------------

// The `agents list` table: AGENT, STATE, ENROLLED, BY, REVOKED ("<time> by <name>"), NOTE.
void PrintAgentTable(std::span<const v1::Agent> agents, std::ostream& out);

// "Enrolled agent gw-5west-01 at 2026-11-29 10:05:00Z by admin (note: 5 West ward gateway)."
std::string FormatEnrolledAgent(const v1::Agent& agent);

// "Revoked agent gw-5west-01 at 2026-11-29 10:05:00Z by admin; its calls are refused from now on."
std::string FormatRevokedAgent(const v1::Agent& agent);

// --- Audit log -------------------------------------------------------------------------------------------------------

// "token:alice.biomed", "agent:gw-5west-01", "operator:operator"; just the kind when the name is empty.
std::string FormatActor(const v1::AuditEntry& entry);

// "live role=viewer -> revoked"; "-" stands in for an empty side, and "-" alone when both are empty.
std::string FormatAuditChange(const v1::AuditEntry& entry);

// The `audit list` table: INDEX, TIME, ACTOR, ACTION, TARGET, BEFORE -> AFTER.
void PrintAuditTable(std::span<const v1::AuditEntry> entries, std::ostream& out);

// "audit log OK: 42 entries verified" or "audit log BROKEN at entry 17: <reason>".
std::string FormatVerifyLine(const v1::VerifyAuditResponse& verdict);

}  // namespace pumptrack::cli
