// Custody: the state table people move pumps through, the check-in gate, PAR levels and nearness. Pure functions
// of the policy and the device; docs/CUSTODY.md has the table.
#ifndef PUMPTRACK_RULES_CUSTODY_H_
#define PUMPTRACK_RULES_CUSTODY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/custody.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/finding.pb.h"
#include "rules/checks.h"
#include "rules/policy.h"

namespace pumptrack::rules {

// A pump nobody has recorded custody for is AVAILABLE.
v1::CustodyState CustodyStateOf(const v1::Device& device);

// One row of the state table: `action` taken in state `from` leads to `to`.
struct CustodyTransition {
  v1::CustodyState from;
  v1::CustodyAction action;
  v1::CustodyState to;
};

// Every allowed transition; whatever is not listed is refused. A check-in that fails the gate leads to QUARANTINED
// instead of the listed AVAILABLE.
const std::vector<CustodyTransition>& CustodyTransitions();

// The state `action` leads to from `from` (`passed_gate` matters only for CHECK_IN). FAILED_PRECONDITION, naming the
// state and the action, for a transition the table does not allow.
absl::StatusOr<v1::CustodyState> NextCustodyState(v1::CustodyState from, v1::CustodyAction action,
                                                  bool passed_gate = true);

// Kinds of finding that keep a pump out of service: TAMPERED, MISCONFIGURED and INSECURE.
bool BlocksService(v1::FindingKind kind);

// What the check-in gate sees.
struct GateInput {
  const v1::Device* device = nullptr;
  // The device's open findings.
  const std::vector<v1::Finding>* open_findings = nullptr;
  // The seal id the person read on the pump.
  std::string observed_seal_id;
  absl::Time now;
};

// Every reason the pump may not go back into service, empty when it passes: the observed seal differs from the seal
// recorded at check-out, its last reported seal is not intact, its state violates a TAMPERED, MISCONFIGURED or
// INSECURE rule, or such a finding is open.
std::vector<std::string> GateFailures(const CompiledPolicy& policy, const GateInput& input);

// The TAMPERED violation for a check-in whose observed seal differs from the recorded one, if it does.
std::optional<Violation> SealMismatch(const v1::Device& device, absl::string_view observed_seal_id);

// The PAR_LOW violation for a unit holding `available` pumps against its PAR level, if it is short.
std::optional<Violation> ParLow(const v1::Unit& unit, std::uint32_t available);

// How near a pump in (facility, unit) is to `near`; units the site does not list are OTHER_FACILITY unless in the same
// facility.
v1::Proximity ProximityOf(const CompiledPolicy& policy, const v1::Unit& near, absl::string_view facility,
                          absl::string_view unit);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_CUSTODY_H_
