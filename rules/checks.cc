#include "rules/checks.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "advisories/version_range.h"
#include "google/protobuf/util/time_util.h"
#include "rules/battery.h"
#include "rules/maintenance.h"
#include "rules/version.h"

namespace pumptrack::rules {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// "SERVICE_KIND_TELNET" -> "telnet".
std::string ShortName(const std::string& enum_name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

std::string Days(absl::Duration d) { return absl::StrFormat("%d days", absl::ToInt64Hours(d) / 24); }

void Add(std::vector<Violation>& out, v1::FindingKind kind, std::string rule, v1::Severity severity, std::string reason,
         std::string expected, std::string seen, std::string advisory = "") {
  Violation v;
  v.kind = kind;
  v.rule = std::move(rule);
  v.severity = severity;
  v.reason = std::move(reason);
  v.evidence.set_expected(std::move(expected));
  v.evidence.set_seen(std::move(seen));
  v.evidence.set_advisory(std::move(advisory));
  out.push_back(std::move(v));
}

const v1::Observation& Observed(const EvaluationInput& input) { return input.device->last_observation(); }

const v1::ModelPolicy* ModelOf(const CompiledPolicy& policy, const EvaluationInput& input) {
  return policy.FindModel(input.device->identity().model());
}

struct Home {
  std::string facility;
  std::string unit;
};

Home HomeOf(const CompiledPolicy& policy, const v1::Device& device) {
  if (device.home_source() != v1::HOME_SOURCE_ASSIGNED) {
    if (const v1::Unit* assigned = policy.AssignedHome(device.identity().asset_tag())) {
      return {assigned->facility(), assigned->id()};
    }
  }
  return {device.home_facility(), device.home_unit()};
}

// The care area whose drug library the pump should carry: its home unit's, else the unit it is in.
std::string CareArea(const CompiledPolicy& policy, const v1::Device& device) {
  const v1::Unit* unit = nullptr;
  const Home home = HomeOf(policy, device);
  if (!home.unit.empty()) unit = policy.FindUnit(home.facility, home.unit);
  if (unit == nullptr) {
    const v1::Location& location = device.last_observation().location();
    unit = policy.FindUnit(location.facility(), location.unit());
  }
  return unit == nullptr ? "" : unit->care_area();
}

std::string Place(const v1::Location& location) {
  return absl::StrCat(location.facility(), "/", location.unit(), location.room().empty() ? "" : "/", location.room());
}

}  // namespace

void ResolveHome(const CompiledPolicy& policy, v1::Device& device) {
  if (device.home_source() == v1::HOME_SOURCE_ASSIGNED) return;
  const v1::Unit* assigned = policy.AssignedHome(device.identity().asset_tag());
  if (assigned == nullptr) return;
  device.set_home_facility(assigned->facility());
  device.set_home_unit(assigned->id());
  device.set_home_source(v1::HOME_SOURCE_SITE);
}

bool IsOneOffRule(absl::string_view rule) {
  return rule == "firmware.downgraded" || rule == "tamper.seal_changed" || rule == "tamper.sequence_gap" ||
         rule == kRuleCheckInSealMismatch || rule == "config.unpushed_change" || rule == "drug_library.unpushed_change";
}

void CheckLocation(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Device& device = *input.device;
  const v1::Location& location = Observed(input).location();
  const std::string tag = device.identity().asset_tag();
  const v1::Custody& custody = device.custody();
  const bool in_transit = custody.state() == v1::CUSTODY_STATE_IN_TRANSIT;
  // A checked-out pump bound for another facility leaves through an exit on purpose.
  const bool leaving_on_purpose = in_transit && custody.destination_facility() != custody.origin_facility();
  if (!leaving_on_purpose && policy.IsExitZone(location.facility(), location.unit(), location.room())) {
    Add(out, v1::FINDING_KIND_MISSING, "missing.exit_zone", v1::SEVERITY_CRITICAL,
        absl::StrCat("Pump ", tag, " was last seen in exit zone ", Place(location),
                     "; it may be leaving the building."),
        "never in an exit zone", Place(location));
    Add(out, v1::FINDING_KIND_UNAUTHORIZED_MOVE, "move.exit_zone", v1::SEVERITY_CRITICAL,
        absl::StrCat("Pump ", tag, " reached exit zone ", Place(location), " without a check-out."),
        "never in an exit zone", Place(location));
  }
  // Moving is expected while checked out (CheckCustody judges the route) or with clinical engineering; a retired
  // pump has its own rule.
  if (in_transit || custody.state() == v1::CUSTODY_STATE_IN_MAINTENANCE ||
      custody.state() == v1::CUSTODY_STATE_RETIRED) {
    return;
  }
  const Home home = HomeOf(policy, device);
  if (home.unit.empty() || location.unit().empty()) return;
  // Where the last check-in placed the pump (on loan) is as good as home.
  if (!custody.placed_unit().empty() && location.unit() == custody.placed_unit() &&
      (location.facility().empty() || location.facility() == custody.placed_facility())) {
    return;
  }
  if (!location.facility().empty() && location.facility() != home.facility) {
    Add(out, v1::FINDING_KIND_UNAUTHORIZED_MOVE, "move.outside_home_facility", v1::SEVERITY_HIGH,
        absl::StrCat("Pump ", tag, " is in facility ", location.facility(), ", outside its home facility ",
                     home.facility, ", without a check-out."),
        absl::StrCat(home.facility, "/", home.unit), Place(location));
  } else if (location.unit() != home.unit) {
    Add(out, v1::FINDING_KIND_UNAUTHORIZED_MOVE, "move.outside_home_unit", v1::SEVERITY_MEDIUM,
        absl::StrCat("Pump ", tag, " is in unit ", location.unit(), ", not its home unit ", home.unit,
                     ", without a check-out."),
        absl::StrCat(home.facility, "/", home.unit), Place(location));
  }
}

void CheckCustody(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  (void)policy;
  const v1::Device& device = *input.device;
  const v1::Custody& custody = device.custody();
  const v1::Location& location = Observed(input).location();
  const std::string tag = device.identity().asset_tag();
  if (custody.state() == v1::CUSTODY_STATE_RETIRED) {
    if (ToTime(device.last_seen_at()) > ToTime(custody.updated_at())) {
      Add(out, v1::FINDING_KIND_INSECURE, "custody.retired_reporting", v1::SEVERITY_HIGH,
          absl::StrCat("Retired pump ", tag, " is still on the network (reporting from ", Place(location),
                       "); wipe its network credentials and remove it."),
          "silent after retirement", Place(location));
    }
    return;
  }
  if (custody.state() != v1::CUSTODY_STATE_IN_TRANSIT) return;
  const std::string destination = absl::StrCat(custody.destination_facility(), "/", custody.destination_unit());
  const auto is = [&](const std::string& facility, const std::string& unit) {
    return location.unit() == unit && (location.facility().empty() || location.facility() == facility);
  };
  if (!location.unit().empty() && !is(custody.origin_facility(), custody.origin_unit()) &&
      !is(custody.destination_facility(), custody.destination_unit())) {
    Add(out, v1::FINDING_KIND_MISROUTED, "custody.misrouted", v1::SEVERITY_MEDIUM,
        absl::StrCat("Pump ", tag, ", checked out by ", custody.holder(), " to ", destination, ", is in ",
                     Place(location), "."),
        destination, Place(location));
  }
  const absl::Time due = ToTime(custody.due_at());
  if (custody.has_due_at() && input.now > due) {
    Add(out, v1::FINDING_KIND_OVERDUE, "custody.overdue", v1::SEVERITY_MEDIUM,
        absl::StrCat("Pump ", tag, ", checked out by ", custody.holder(), " to ", destination, ", was due back at ",
                     absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", due, absl::UTCTimeZone()), "; check it in."),
        absl::StrCat("checked in by ", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", due, absl::UTCTimeZone())),
        "not checked in");
  }
}

void CheckFirmware(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Device& device = *input.device;
  const std::string& firmware = Observed(input).firmware_version();
  const std::string& model_name = device.identity().model();
  const v1::ModelPolicy* model = ModelOf(policy, input);
  if (model == nullptr) {
    if (policy.has_models()) {
      Add(out, v1::FINDING_KIND_MISCONFIGURED, "firmware.unknown_model", v1::SEVERITY_MEDIUM,
          absl::StrCat("Model \"", model_name,
                       "\" is not in the policy, so its firmware and settings cannot be "
                       "checked."),
          "a model listed in the policy", model_name);
    }
    return;
  }
  // Firmware never observed (no source has reported it yet) is not judged.
  if (firmware.empty()) return;
  const v1::FirmwarePolicy& rules = model->firmware();
  if (std::find(rules.blocked().begin(), rules.blocked().end(), firmware) != rules.blocked().end()) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "firmware.blocked", v1::SEVERITY_CRITICAL,
        absl::StrCat("Firmware ", firmware, " is blocked for ", model_name,
                     "; take the pump out of service and "
                     "update it."),
        absl::StrCat("not ", absl::StrJoin(rules.blocked(), ", ")), firmware);
  }
  if (!rules.allowed().empty() &&
      std::find(rules.allowed().begin(), rules.allowed().end(), firmware) == rules.allowed().end()) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "firmware.not_allowed", v1::SEVERITY_HIGH,
        absl::StrCat("Firmware ", firmware, " is not an approved version for ", model_name, "."),
        absl::StrJoin(rules.allowed(), " or "), firmware);
  }
  if (!rules.minimum().empty() && CompareVersions(firmware, rules.minimum()) < 0) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "firmware.below_minimum", v1::SEVERITY_HIGH,
        absl::StrCat("Firmware ", firmware, " is older than the minimum ", rules.minimum(), " for ", model_name, "."),
        absl::StrCat(">= ", rules.minimum()), firmware);
  }
  for (const v1::VulnerableFirmware& range : model->vulnerable_firmware()) {
    // The same range check as imported advisories (advisories::VersionRange): one version matcher.
    absl::StatusOr<advisories::VersionRange> bounds =
        advisories::VersionRange::FromBounds(range.introduced(), range.fixed());
    if (!bounds.ok() || bounds->Check(firmware).answer != advisories::RangeAnswer::kInside) continue;
    Add(out, v1::FINDING_KIND_MISCONFIGURED,
        absl::StrCat("firmware.vulnerable.", absl::AsciiStrToLower(range.advisory())), range.severity(),
        absl::StrCat("Firmware ", firmware, " is affected by ", range.advisory(),
                     range.summary().empty() ? "" : absl::StrCat(" (", range.summary(), ")"),
                     range.fixed().empty() ? "; no fixed version is published."
                                           : absl::StrCat("; update to ", range.fixed(), " or later.")),
        range.fixed().empty() ? "a version outside the advisory's range" : absl::StrCat(">= ", range.fixed()), firmware,
        range.advisory());
  }
  if (input.previous != nullptr) {
    const std::string& before = input.previous->last_observation().firmware_version();
    if (!before.empty() && before != firmware && CompareVersions(firmware, before) < 0) {
      Add(out, v1::FINDING_KIND_MISCONFIGURED, "firmware.downgraded", v1::SEVERITY_HIGH,
          absl::StrCat("Firmware went back from ", before, " to ", firmware,
                       "; downgrades can reopen fixed "
                       "vulnerabilities."),
          absl::StrCat(">= ", before), firmware);
    }
  }
}

// The versions of each reported component against the policy of its kind and model (Policy.components).
void CheckComponents(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const std::string& tag = input.device->identity().asset_tag();
  for (const v1::Component& component : Observed(input).components()) {
    const v1::ComponentPolicy* rules = nullptr;
    for (const v1::ComponentPolicy& candidate : policy.proto().components()) {
      if (candidate.kind() == component.kind() && candidate.model() == component.model()) rules = &candidate;
    }
    if (rules == nullptr) continue;
    const std::string what =
        absl::StrCat(component.kind(), " ", component.model(), " (position ", component.position(), ") of pump ", tag);
    for (const auto& [name, versions, version] :
         {std::tuple{"firmware", &rules->firmware(), &component.firmware_version()},
          std::tuple{"software", &rules->software(), &component.software_version()}}) {
      if (version->empty()) continue;
      const std::string rule = absl::StrCat("component.", name, ".");
      const std::string suffix = absl::StrCat(".", component.kind(), ".", component.position());
      if (std::find(versions->blocked().begin(), versions->blocked().end(), *version) != versions->blocked().end()) {
        Add(out, v1::FINDING_KIND_MISCONFIGURED, absl::StrCat(rule, "blocked", suffix), v1::SEVERITY_CRITICAL,
            absl::StrCat("The ", what, " runs ", name, " ", *version, ", which is blocked; update the component."),
            absl::StrCat("not ", absl::StrJoin(versions->blocked(), ", ")), *version);
      }
      if (!versions->allowed().empty() &&
          std::find(versions->allowed().begin(), versions->allowed().end(), *version) == versions->allowed().end()) {
        Add(out, v1::FINDING_KIND_MISCONFIGURED, absl::StrCat(rule, "not_allowed", suffix), v1::SEVERITY_HIGH,
            absl::StrCat("The ", what, " runs ", name, " ", *version, ", which is not approved."),
            absl::StrJoin(versions->allowed(), " or "), *version);
      }
      if (!versions->minimum().empty() && CompareVersions(*version, versions->minimum()) < 0) {
        Add(out, v1::FINDING_KIND_MISCONFIGURED, absl::StrCat(rule, "below_minimum", suffix), v1::SEVERITY_HIGH,
            absl::StrCat("The ", what, " runs ", name, " ", *version, ", older than the minimum ", versions->minimum(),
                         "."),
            absl::StrCat(">= ", versions->minimum()), *version);
      }
    }
  }
}

void CheckDrugLibrary(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::ModelPolicy* model = ModelOf(policy, input);
  // A drug library never observed is not judged.
  if (model == nullptr || !Observed(input).has_drug_library()) return;
  const std::string care_area = CareArea(policy, *input.device);
  if (care_area.empty()) return;
  const v1::DrugLibraryExpectation* expected = nullptr;
  for (const v1::DrugLibraryExpectation& library : model->drug_libraries()) {
    if (library.care_area() == care_area) expected = &library;
  }
  if (expected == nullptr) return;
  const v1::DrugLibrary& seen = Observed(input).drug_library();
  const std::string seen_text = absl::StrCat(seen.name(), " ", seen.version());
  const std::string expected_text = absl::StrCat(expected->name(), " ", expected->version());
  const bool right_release =
      seen.name() == expected->name() && (expected->version().empty() || seen.version() == expected->version());
  if (!right_release) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "drug_library.unexpected", v1::SEVERITY_HIGH,
        absl::StrCat("Drug library ", seen_text, " is not the ", care_area, " library pharmacy published (",
                     expected_text, ")."),
        expected_text, seen_text);
  } else if (!expected->digest().empty() && seen.digest() != expected->digest()) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "drug_library.unapproved_digest", v1::SEVERITY_HIGH,
        absl::StrCat("Drug library ", seen_text, " has content pharmacy did not publish (digest differs)."),
        expected->digest(), seen.digest());
  }
  if (expected->has_max_age() && seen.has_published_at()) {
    const absl::Duration age = input.now - ToTime(seen.published_at());
    const absl::Duration max_age = ToDuration(expected->max_age());
    if (age > max_age) {
      Add(out, v1::FINDING_KIND_MISCONFIGURED, "drug_library.stale", v1::SEVERITY_MEDIUM,
          absl::StrCat("Drug library ", seen_text, " was published ", Days(age), " ago; the limit is ", Days(max_age),
                       "."),
          absl::StrCat("published within ", Days(max_age)), absl::StrCat("published ", Days(age), " ago"));
    }
  }
  if (input.previous != nullptr && !expected->digest().empty()) {
    const std::string& before = input.previous->last_observation().drug_library().digest();
    if (!before.empty() && before != seen.digest() && seen.digest() != expected->digest()) {
      Add(out, v1::FINDING_KIND_MISCONFIGURED, "drug_library.unpushed_change", v1::SEVERITY_HIGH,
          "The drug library changed to content pharmacy did not publish.", expected->digest(), seen.digest());
    }
  }
}

void CheckConfiguration(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::ModelPolicy* model = ModelOf(policy, input);
  // A configuration never observed is not judged.
  if (model == nullptr || !Observed(input).has_configuration()) return;
  const v1::Configuration& configuration = Observed(input).configuration();
  const auto& approved = model->approved_configuration_digests();
  const bool digest_approved =
      approved.empty() || std::find(approved.begin(), approved.end(), configuration.digest()) != approved.end();
  if (!digest_approved) {
    Add(out, v1::FINDING_KIND_MISCONFIGURED, "config.unapproved_digest", v1::SEVERITY_MEDIUM,
        "The pump's configuration is not one the hospital approved.", "an approved configuration digest",
        configuration.digest().empty() ? "<none reported>" : configuration.digest());
    if (input.previous != nullptr) {
      const std::string& before = input.previous->last_observation().configuration().digest();
      if (!before.empty() && before != configuration.digest()) {
        Add(out, v1::FINDING_KIND_MISCONFIGURED, "config.unpushed_change", v1::SEVERITY_HIGH,
            "The pump's configuration changed, and not to a configuration the hospital pushed.", before,
            configuration.digest());
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> required(model->required_settings().begin(),
                                                            model->required_settings().end());
  std::sort(required.begin(), required.end());
  for (const auto& [key, value] : required) {
    auto it = configuration.settings().find(key);
    const std::string seen = it == configuration.settings().end() ? "<unset>" : it->second;
    if (seen == value) continue;
    Add(out, v1::FINDING_KIND_MISCONFIGURED, absl::StrCat("config.setting.", key), v1::SEVERITY_MEDIUM,
        absl::StrCat("Setting ", key, " is ", seen, "; the policy requires ", value, "."), value, seen);
  }
}

void CheckSecurity(const CompiledPolicy& policy, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::SecurityPosture& security = Observed(input).security();
  if (security.default_credentials()) {
    Add(out, v1::FINDING_KIND_INSECURE, "security.default_credentials", v1::SEVERITY_CRITICAL,
        "The pump still accepts the manufacturer's default credentials; change them.", "site-specific credentials",
        "default credentials accepted");
  }
  const v1::ModelPolicy* model = ModelOf(policy, input);
  if (model == nullptr) return;
  if (model->has_credential_rotation() && security.has_credentials_changed_at()) {
    const absl::Duration age = input.now - ToTime(security.credentials_changed_at());
    const absl::Duration period = ToDuration(model->credential_rotation());
    if (age > period) {
      Add(out, v1::FINDING_KIND_INSECURE, "security.credentials_stale", v1::SEVERITY_MEDIUM,
          absl::StrCat("Credentials were last changed ", Days(age), " ago; the rotation period is ", Days(period), "."),
          absl::StrCat("changed within ", Days(period)), absl::StrCat("changed ", Days(age), " ago"));
    }
  }
  for (int forbidden : model->forbidden_services()) {
    for (const v1::OpenService& open : security.open_services()) {
      if (open.kind() != forbidden) continue;
      const std::string name = ShortName(v1::ServiceKind_Name(open.kind()), "SERVICE_KIND_");
      Add(out, v1::FINDING_KIND_INSECURE, absl::StrCat("security.forbidden_service.", name), v1::SEVERITY_HIGH,
          absl::StrCat("Forbidden service ", name, " is open",
                       open.port() == 0 ? "" : absl::StrCat(" on port ", open.port()), "; disable it."),
          absl::StrCat(name, " closed"), open.port() == 0 ? name : absl::StrCat(name, " on port ", open.port()));
      break;
    }
  }
  const v1::WifiSecurity minimum = model->minimum_wifi_security();
  const v1::WifiSecurity wifi = security.wifi_security();
  if (minimum != v1::WIFI_SECURITY_UNSPECIFIED && wifi != v1::WIFI_SECURITY_UNSPECIFIED &&
      wifi != v1::WIFI_SECURITY_NONE && wifi < minimum) {
    const std::string seen = ShortName(v1::WifiSecurity_Name(wifi), "WIFI_SECURITY_");
    const std::string expected = ShortName(v1::WifiSecurity_Name(minimum), "WIFI_SECURITY_");
    Add(out, v1::FINDING_KIND_INSECURE, "security.wifi_weak", v1::SEVERITY_HIGH,
        absl::StrCat("Wi-Fi security ", seen, " is weaker than the required ", expected, "."),
        absl::StrCat(expected, " or stronger"), seen);
  }
  if (security.remote_access_enabled() && !model->remote_access_allowed()) {
    Add(out, v1::FINDING_KIND_INSECURE, "security.remote_access", v1::SEVERITY_HIGH,
        "Remote administration is enabled; the policy forbids it for this model.", "disabled", "enabled");
  }
  if (model->has_max_clock_drift() && security.has_clock_offset()) {
    const absl::Duration drift = absl::AbsDuration(ToDuration(security.clock_offset()));
    const absl::Duration limit = ToDuration(model->max_clock_drift());
    if (drift > limit) {
      Add(out, v1::FINDING_KIND_INSECURE, "security.clock_drift", v1::SEVERITY_LOW,
          absl::StrCat("The pump's clock is off by ", absl::FormatDuration(drift), "; the limit is ",
                       absl::FormatDuration(limit), " (logs and drug-library dates become unreliable)."),
          absl::StrCat("within ", absl::FormatDuration(limit)), absl::FormatDuration(drift));
    }
  }
}

void CheckTamper(const CompiledPolicy&, const EvaluationInput& input, std::vector<Violation>& out) {
  const v1::Physical& physical = Observed(input).physical();
  if (physical.seal_state() == v1::SEAL_STATE_BROKEN) {
    Add(out, v1::FINDING_KIND_TAMPERED, "tamper.seal_broken", v1::SEVERITY_HIGH,
        absl::StrCat("The tamper seal", physical.seal_id().empty() ? "" : absl::StrCat(" ", physical.seal_id()),
                     " is broken; inspect the pump before use."),
        "seal intact", "seal broken");
  } else if (physical.seal_state() == v1::SEAL_STATE_MISSING) {
    Add(out, v1::FINDING_KIND_TAMPERED, "tamper.seal_missing", v1::SEVERITY_HIGH,
        "The tamper seal is missing; inspect the pump before use.", "seal intact", "no seal");
  }
  if (physical.case_state() == v1::CASE_STATE_OPENED) {
    Add(out, v1::FINDING_KIND_TAMPERED, "tamper.case_opened", v1::SEVERITY_HIGH,
        "The pump's case-open sensor reports the case opened.", "case closed", "case opened");
  }
  if (input.previous == nullptr) return;
  const v1::Observation& before = input.previous->last_observation();
  if (!before.physical().seal_id().empty() && !physical.seal_id().empty() &&
      before.physical().seal_id() != physical.seal_id()) {
    Add(out, v1::FINDING_KIND_TAMPERED, "tamper.seal_changed", v1::SEVERITY_HIGH,
        absl::StrCat("The seal id changed from ", before.physical().seal_id(), " to ", physical.seal_id(),
                     "; the case may have been opened and resealed."),
        before.physical().seal_id(), physical.seal_id());
  }
  const std::uint64_t sequence = Observed(input).sequence();
  if (input.previous->last_agent().agent_id() == input.device->last_agent().agent_id() &&
      sequence > before.sequence() + 1) {
    const std::uint64_t lost = sequence - before.sequence() - 1;
    Add(out, v1::FINDING_KIND_TAMPERED, "tamper.sequence_gap", v1::SEVERITY_MEDIUM,
        absl::StrCat(lost, lost == 1 ? " report" : " reports", " from agent ", input.device->last_agent().agent_id(),
                     " never arrived (sequence ", before.sequence(), " then ", sequence, ")."),
        absl::StrCat("sequence ", before.sequence() + 1), absl::StrCat("sequence ", sequence));
  }
}

std::vector<Violation> Evaluate(const CompiledPolicy& policy, const EvaluationInput& input) {
  std::vector<Violation> out;
  CheckLocation(policy, input, out);
  CheckFirmware(policy, input, out);
  CheckComponents(policy, input, out);
  CheckDrugLibrary(policy, input, out);
  CheckConfiguration(policy, input, out);
  CheckSecurity(policy, input, out);
  CheckTamper(policy, input, out);
  CheckCustody(policy, input, out);
  CheckMaintenance(policy, input, out);
  CheckBattery(policy, input, out);
  return out;
}

Violation NotSeenViolation(const v1::Device& device, absl::Time last_heard, absl::Duration after) {
  Violation v;
  v.kind = v1::FINDING_KIND_MISSING;
  v.rule = std::string(kRuleNotSeen);
  v.severity = v1::SEVERITY_HIGH;
  const v1::Location& location = device.last_observation().location();
  v.reason = absl::StrCat("No report for more than ", absl::FormatDuration(after), "; last seen at ", Place(location),
                          " at ", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", last_heard, absl::UTCTimeZone()), ".");
  v.evidence.set_expected(absl::StrCat("a report at least every ", absl::FormatDuration(after)));
  v.evidence.set_seen(
      absl::StrCat("last report ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", last_heard, absl::UTCTimeZone())));
  return v;
}

int SeverityWeight(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_LOW:
      return 5;
    case v1::SEVERITY_MEDIUM:
      return 10;
    case v1::SEVERITY_HIGH:
      return 25;
    case v1::SEVERITY_CRITICAL:
      return 50;
    default:
      return 0;
  }
}

std::uint32_t RiskScore(const std::vector<v1::Finding>& open_findings) {
  int score = 0;
  for (const v1::Finding& finding : open_findings) score += SeverityWeight(finding.severity());
  return static_cast<std::uint32_t>(std::min(score, 100));
}

}  // namespace pumptrack::rules
