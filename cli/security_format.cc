#include "cli/security_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/format.h"
#include "cli/table.h"

namespace pumptrack::cli {

namespace {

constexpr absl::string_view kUnknown = "unknown";

// "2026-11-29 10:05:00Z", or `unset` for an unset timestamp.
std::string TimestampOr(const google::protobuf::Timestamp& timestamp, absl::string_view unset) {
  return IsSet(timestamp) ? FormatTimestamp(ToAbslTime(timestamp)) : std::string(unset);
}

// " by alice", or nothing when the name is empty.
std::string By(absl::string_view name) { return name.empty() ? "" : absl::StrCat(" by ", name); }

}  // namespace

absl::string_view TokenState(const v1::Token& token, absl::Time now) {
  if (IsSet(token.revoked_at())) return "revoked";
  if (IsSet(token.expires_at()) && ToAbslTime(token.expires_at()) <= now) return "expired";
  return "live";
}

std::string FormatExpiry(const v1::Token& token) { return TimestampOr(token.expires_at(), "never"); }

void PrintCreatedToken(const v1::CreateTokenResponse& created, absl::Time now, std::ostream& out) {
  const v1::Token& token = created.token();
  DetailBlock block;
  block.Add("ID", OrDash(token.id()));
  block.Add("Name", OrDash(token.name()));
  block.Add("Role", std::string(RoleName(token.role())));
  block.Add("Created", FormatTimeAndAge(token.created_at(), now));
  block.Add("Expires", IsSet(token.expires_at()) ? FormatTimeAndAge(token.expires_at(), now) : "never");
  block.Print(out);
  out << "Secret (shown only this once; send it as \"authorization: Bearer <secret>\" or set PUMPTRACK_TOKEN):\n"
      << Printable(created.secret()) << '\n';
}

void PrintTokenTable(std::span<const v1::Token> tokens, absl::Time now, std::ostream& out) {
  TextTable table({"ID", "NAME", "ROLE", "CREATED", "EXPIRES", "STATE", "CREATED BY"});
  for (const v1::Token& token : tokens) {
    table.AddRow({
        OrDash(token.id()),
        OrDash(token.name()),
        std::string(RoleName(token.role())),
        TimestampOr(token.created_at(), "-"),
        FormatExpiry(token),
        std::string(TokenState(token, now)),
        OrDash(token.created_by()),
    });
  }
  table.Print(out);
}

std::string FormatRevokedToken(const v1::Token& token) {
  std::string line = absl::StrCat("Revoked token ", token.id());
  if (!token.name().empty()) absl::StrAppend(&line, " (", token.name(), ")");
  if (IsSet(token.revoked_at())) absl::StrAppend(&line, " at ", FormatTimestamp(ToAbslTime(token.revoked_at())));
  return Printable(absl::StrCat(line, "."));
}

void PrintAgentTable(std::span<const v1::Agent> agents, std::ostream& out) {
  TextTable table({"AGENT", "STATE", "ENROLLED", "BY", "REVOKED", "NOTE"});
  for (const v1::Agent& agent : agents) {
    table.AddRow({
        OrDash(agent.agent_id()),
        std::string(AgentStateName(agent.state())),
        TimestampOr(agent.enrolled_at(), "-"),
        OrDash(agent.enrolled_by()),
        IsSet(agent.revoked_at())
            ? absl::StrCat(FormatTimestamp(ToAbslTime(agent.revoked_at())), By(agent.revoked_by()))
            : "-",
        OrDash(agent.note()),
    });
  }
  table.Print(out);
}

std::string FormatEnrolledAgent(const v1::Agent& agent) {
  std::string line = absl::StrCat("Enrolled agent ", agent.agent_id());
  if (IsSet(agent.enrolled_at())) absl::StrAppend(&line, " at ", FormatTimestamp(ToAbslTime(agent.enrolled_at())));
  absl::StrAppend(&line, By(agent.enrolled_by()));
  if (!agent.note().empty()) absl::StrAppend(&line, " (note: ", agent.note(), ")");
  return Printable(absl::StrCat(line, "."));
}

std::string FormatRevokedAgent(const v1::Agent& agent) {
  std::string line = absl::StrCat("Revoked agent ", agent.agent_id());
  if (IsSet(agent.revoked_at())) absl::StrAppend(&line, " at ", FormatTimestamp(ToAbslTime(agent.revoked_at())));
  absl::StrAppend(&line, By(agent.revoked_by()), "; its calls are refused from now on.");
  return Printable(line);
}

std::string FormatActor(const v1::AuditEntry& entry) {
  const absl::string_view kind = ActorKindName(entry.actor_kind());
  return entry.actor().empty() ? std::string(kind) : absl::StrCat(kind, ":", entry.actor());
}

std::string FormatAuditChange(const v1::AuditEntry& entry) {
  if (entry.before().empty() && entry.after().empty()) return "-";
  return absl::StrCat(OrDash(entry.before()), " -> ", OrDash(entry.after()));
}

void PrintAuditTable(std::span<const v1::AuditEntry> entries, std::ostream& out) {
  TextTable table({"INDEX", "TIME", "ACTOR", "ACTION", "TARGET", "BEFORE -> AFTER"});
  for (const v1::AuditEntry& entry : entries) {
    table.AddRow({
        absl::StrCat(entry.index()),
        TimestampOr(entry.time(), "-"),
        FormatActor(entry),
        OrDash(entry.action()),
        OrDash(entry.target()),
        FormatAuditChange(entry),
    });
  }
  table.Print(out);
}

std::string FormatVerifyLine(const v1::VerifyAuditResponse& verdict) {
  if (verdict.ok()) {
    return absl::StrCat("audit log OK: ", verdict.entries(), verdict.entries() == 1 ? " entry" : " entries",
                        " verified");
  }
  const absl::string_view reason = absl::StripAsciiWhitespace(verdict.reason());
  return Printable(absl::StrCat("audit log BROKEN at entry ", verdict.first_bad_index(), ": ",
                                reason.empty() ? "no reason given" : reason));
}

}  // namespace pumptrack::cli
