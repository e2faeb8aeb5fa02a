// The rules that turn a device's state into findings. Each check is a pure function of the policy, the device and
// the time; docs/FINDINGS.md lists every rule id with its kind, severity and meaning.
#ifndef PUMPTRACK_RULES_CHECKS_H_
#define PUMPTRACK_RULES_CHECKS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "rules/policy.h"

namespace pumptrack::rules {

// A rule's verdict that a device is out of policy.
struct Violation {
  v1::FindingKind kind = v1::FINDING_KIND_UNSPECIFIED;
  // e.g. "firmware.vulnerable"; at most one open finding per device and rule.
  std::string rule;
  v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
  // One sentence an asset manager can act on.
  std::string reason;
  v1::Evidence evidence;
};

// What the rules see.
struct EvaluationInput {
  // The device's state to judge (after the report, if there was one).
  const v1::Device* device = nullptr;
  // The stored state before this report; nullptr on a device's first report and when re-evaluating stored state
  // (policy change, new home). One-off rules only fire when it is set.
  const v1::Device* previous = nullptr;
  // Service clock.
  absl::Time now;
};

// The rule that flags a device nobody has heard from; opened by the missing detector, not by Evaluate.
inline constexpr absl::string_view kRuleNotSeen = "missing.not_seen";

// The TAMPERED rule a check-in raises when the seal a person sees differs from the one recorded at check-out;
// raised by the custody gate, not by Evaluate.
inline constexpr absl::string_view kRuleCheckInSealMismatch = "custody.seal_mismatch";
// The unit rule for fewer available pumps than the unit's PAR level; raised by the custody sweep, not by Evaluate.
inline constexpr absl::string_view kRuleParLow = "custody.par_low";

// Rules whose condition is an event (a change between two reports) rather than a state: a firmware downgrade, a
// changed seal, a sequence gap, an unapproved configuration or library change. Their findings stay open until a
// person acknowledges them.
bool IsOneOffRule(absl::string_view rule);

// Applies the policy's asset register to `device`'s home fields: an asset manager's choice (HOME_SOURCE_ASSIGNED)
// stands; otherwise a unit listing the device's tag in home_asset_tags is its home (HOME_SOURCE_SITE); otherwise
// the first-seen unit stays. The rules judge the device by this home.
void ResolveHome(const CompiledPolicy& policy, v1::Device& device);

// Every violation the device's state shows under the policy, in a stable order. The state is what is known of the
// device (Device.last_observation carries parts a report did not observe over from earlier ones); a part never
// observed (no location, empty firmware_version, no drug_library, no configuration) raises nothing.
std::vector<Violation> Evaluate(const CompiledPolicy& policy, const EvaluationInput& input);

// The individual checks, each appending to `out`. Exposed so each can be tested on its own.
void CheckLocation(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
void CheckFirmware(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
void CheckDrugLibrary(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
void CheckConfiguration(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
void CheckSecurity(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
void CheckTamper(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);
// Custody: MISROUTED and OVERDUE while checked out, and a retired pump still reporting.
void CheckCustody(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out);

// The MISSING violation for a device silent since `last_heard` (service clock) with threshold `after`.
Violation NotSeenViolation(const v1::Device& device, absl::Time last_heard, absl::Duration after);

// Risk: each open finding weighs by severity (LOW 5, MEDIUM 10, HIGH 25, CRITICAL 50); a device's score is the sum,
// capped at 100.
int SeverityWeight(v1::Severity severity);
std::uint32_t RiskScore(const std::vector<v1::Finding>& open_findings);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_CHECKS_H_
