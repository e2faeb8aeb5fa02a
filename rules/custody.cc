#include "rules/custody.h"

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace pumptrack::rules {
namespace {

std::string Name(v1::CustodyState state) {
  return std::string(absl::StripPrefix(v1::CustodyState_Name(state), "CUSTODY_STATE_"));
}

std::string Name(v1::CustodyAction action) {
  return std::string(absl::StripPrefix(v1::CustodyAction_Name(action), "CUSTODY_ACTION_"));
}

}  // namespace

v1::CustodyState CustodyStateOf(const v1::Device& device) {
  const v1::CustodyState state = device.custody().state();
  return state == v1::CUSTODY_STATE_UNSPECIFIED ? v1::CUSTODY_STATE_AVAILABLE : state;
}

const std::vector<CustodyTransition>& CustodyTransitions() {
  using enum v1::CustodyState;
  using enum v1::CustodyAction;
  static const std::vector<CustodyTransition> kTable = {
      {CUSTODY_STATE_AVAILABLE, CUSTODY_ACTION_CHECK_OUT, CUSTODY_STATE_IN_TRANSIT},
      {CUSTODY_STATE_AVAILABLE, CUSTODY_ACTION_QUARANTINE, CUSTODY_STATE_QUARANTINED},
      {CUSTODY_STATE_AVAILABLE, CUSTODY_ACTION_SET_MAINTENANCE, CUSTODY_STATE_IN_MAINTENANCE},
      {CUSTODY_STATE_AVAILABLE, CUSTODY_ACTION_RETIRE, CUSTODY_STATE_RETIRED},
      {CUSTODY_STATE_IN_TRANSIT, CUSTODY_ACTION_CHECK_IN, CUSTODY_STATE_AVAILABLE},
      {CUSTODY_STATE_IN_TRANSIT, CUSTODY_ACTION_QUARANTINE, CUSTODY_STATE_QUARANTINED},
      {CUSTODY_STATE_QUARANTINED, CUSTODY_ACTION_RELEASE, CUSTODY_STATE_AVAILABLE},
      {CUSTODY_STATE_QUARANTINED, CUSTODY_ACTION_SET_MAINTENANCE, CUSTODY_STATE_IN_MAINTENANCE},
      {CUSTODY_STATE_QUARANTINED, CUSTODY_ACTION_RETIRE, CUSTODY_STATE_RETIRED},
      {CUSTODY_STATE_IN_MAINTENANCE, CUSTODY_ACTION_RELEASE, CUSTODY_STATE_AVAILABLE},
      {CUSTODY_STATE_IN_MAINTENANCE, CUSTODY_ACTION_QUARANTINE, CUSTODY_STATE_QUARANTINED},
      {CUSTODY_STATE_IN_MAINTENANCE, CUSTODY_ACTION_RETIRE, CUSTODY_STATE_RETIRED},
  };
  return kTable;
}

absl::StatusOr<v1::CustodyState> NextCustodyState(v1::CustodyState from, v1::CustodyAction action, bool passed_gate) {
  if (from == v1::CUSTODY_STATE_UNSPECIFIED) from = v1::CUSTODY_STATE_AVAILABLE;
  for (const CustodyTransition& row : CustodyTransitions()) {
    if (row.from != from || row.action != action) continue;
    if (action == v1::CUSTODY_ACTION_CHECK_IN && !passed_gate) return v1::CUSTODY_STATE_QUARANTINED;
    return row.to;
  }
  std::vector<std::string> allowed;
  for (const CustodyTransition& row : CustodyTransitions()) {
    if (row.from == from) allowed.push_back(Name(row.action));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the pump is ", Name(from), "; ", Name(action),
      " is not allowed from that state (allowed: ", allowed.empty() ? "nothing" : absl::StrJoin(allowed, ", "), ")"));
}

bool BlocksService(v1::FindingKind kind) {
  return kind == v1::FINDING_KIND_TAMPERED || kind == v1::FINDING_KIND_MISCONFIGURED ||
         kind == v1::FINDING_KIND_INSECURE;
}

std::optional<Violation> SealMismatch(const v1::Device& device, absl::string_view observed_seal_id) {
  const std::string& recorded = device.custody().recorded_seal_id();
  if (observed_seal_id == recorded) return std::nullopt;
  Violation v;
  v.kind = v1::FINDING_KIND_TAMPERED;
  v.rule = std::string(kRuleCheckInSealMismatch);
  v.severity = v1::SEVERITY_HIGH;
  v.reason =
      absl::StrCat("Pump ", device.identity().asset_tag(), " came back with seal ", observed_seal_id, ", not the seal ",
                   recorded.empty() ? "(none)" : recorded, " it left with; inspect it before use.");
  v.evidence.set_expected(recorded);
  v.evidence.set_seen(std::string(observed_seal_id));
  return v;
}

std::vector<std::string> GateFailures(const CompiledPolicy& policy, const GateInput& input) {
  const v1::Device& device = *input.device;
  std::vector<std::string> failures;
  if (std::optional<Violation> mismatch = SealMismatch(device, input.observed_seal_id)) {
    failures.push_back(mismatch->reason);
  }
  const v1::Physical& physical = device.last_observation().physical();
  if (physical.seal_state() != v1::SEAL_STATE_INTACT) {
    failures.push_back(absl::StrCat("The pump last reported its seal as ",
                                    absl::StripPrefix(v1::SealState_Name(physical.seal_state()), "SEAL_STATE_"),
                                    ", not INTACT."));
  }
  std::vector<std::string> rules_seen;
  for (const Violation& v : Evaluate(policy, {.device = &device, .previous = nullptr, .now = input.now})) {
    if (!BlocksService(v.kind)) continue;
    failures.push_back(absl::StrCat(v.rule, ": ", v.reason));
    rules_seen.push_back(v.rule);
  }
  if (input.open_findings != nullptr) {
    for (const v1::Finding& f : *input.open_findings) {
      if (!BlocksService(f.kind()) || absl::c_linear_search(rules_seen, f.rule())) continue;
      failures.push_back(absl::StrCat("open finding ", f.id(), " ", f.rule(), ": ", f.reason()));
    }
  }
  return failures;
}

std::optional<Violation> ParLow(const v1::Unit& unit, std::uint32_t available) {
  if (unit.par_level() == 0 || available >= unit.par_level()) return std::nullopt;
  Violation v;
  v.kind = v1::FINDING_KIND_PAR_LOW;
  v.rule = std::string(kRuleParLow);
  v.severity = available == 0 ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM;
  v.reason = absl::StrCat("Unit ", unit.facility(), "/", unit.id(), " has ", available,
                          " available pumps, below its PAR level of ", unit.par_level(), "; restock it.");
  v.evidence.set_expected(absl::StrCat("at least ", unit.par_level(), " available"));
  v.evidence.set_seen(absl::StrCat(available, " available"));
  return v;
}

v1::Proximity ProximityOf(const CompiledPolicy& policy, const v1::Unit& near, absl::string_view facility,
                          absl::string_view unit) {
  if (facility != near.facility()) return v1::PROXIMITY_OTHER_FACILITY;
  if (unit == near.id()) return v1::PROXIMITY_SAME_UNIT;
  const v1::Unit* other = policy.FindUnit(facility, unit);
  if (other == nullptr || other->building() != near.building()) return v1::PROXIMITY_SAME_FACILITY;
  if (other->floor() == near.floor()) return v1::PROXIMITY_SAME_FLOOR;
  return v1::PROXIMITY_SAME_BUILDING;
}

}  // namespace pumptrack::rules
