#ifndef PUMPTRACK_RULES_POLICY_H_
#define PUMPTRACK_RULES_POLICY_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pumptrack/v1/policy.pb.h"

namespace pumptrack::rules {

// Largest policy text accepted.
inline constexpr std::size_t kMaxPolicyTextBytes = 1 << 20;

// Missing threshold when the policy sets none.
inline constexpr absl::Duration kDefaultMissingAfter = absl::Minutes(30);

// A validated policy with the lookup tables the rules use. Immutable once built, so one instance is shared by every
// thread; a policy change builds a new one.
class CompiledPolicy {
 public:
  // Parses protobuf text format and validates. INVALID_ARGUMENT naming the line and column of a syntax error, or the
  // field path of a semantic one (e.g. "site.units[3].facility: unknown facility \"west\"").
  static absl::StatusOr<std::shared_ptr<const CompiledPolicy>> FromText(absl::string_view text);
  // Validates `policy`; its text form is printed from it.
  static absl::StatusOr<std::shared_ptr<const CompiledPolicy>> FromProto(v1::Policy policy);
  // The policy in force before one is configured: no site and no models, so only model-independent rules (seals,
  // sequence gaps, missing) apply.
  static std::shared_ptr<const CompiledPolicy> Empty();

  const v1::Policy& proto() const { return policy_; }
  const std::string& text() const { return text_; }
  // "sha256:<hex>" of text().
  const std::string& digest() const { return digest_; }

  // The unit with this id in this facility, or nullptr.
  const v1::Unit* FindUnit(absl::string_view facility, absl::string_view unit) const;
  // The unit with this id in any facility (the first one declared), or nullptr.
  const v1::Unit* FindUnitAnywhere(absl::string_view unit) const;
  bool IsExitZone(absl::string_view facility, absl::string_view unit, absl::string_view room) const;
  // The unit the policy's asset register homes this device in, or nullptr.
  const v1::Unit* AssignedHome(absl::string_view asset_tag) const;
  // The policy for this model, or nullptr.
  const v1::ModelPolicy* FindModel(absl::string_view model) const;
  bool has_models() const { return !models_.empty(); }
  // How long a pump last reported in `state` may stay silent. A positive `override` (pumptrackd --missing_after)
  // replaces every threshold of the policy.
  absl::Duration MissingAfter(v1::OperatingState state, absl::Duration override) const;
  // The site's time zone (Policy.time_zone; UTC when empty).
  const absl::TimeZone& time_zone() const { return time_zone_; }

 private:
  CompiledPolicy() = default;
  static absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(v1::Policy policy, std::string text);

  v1::Policy policy_;
  std::string text_;
  std::string digest_;
  // "facility\x1funit" -> unit.
  absl::flat_hash_map<std::string, const v1::Unit*> units_;
  absl::flat_hash_map<std::string, const v1::Unit*> units_by_id_;
  // "facility\x1funit\x1froom".
  absl::flat_hash_set<std::string> exit_zones_;
  absl::flat_hash_map<std::string, const v1::ModelPolicy*> models_;
  absl::flat_hash_map<std::string, const v1::Unit*> assigned_homes_;
  absl::flat_hash_map<int, absl::Duration> missing_after_;
  absl::Duration default_missing_after_ = kDefaultMissingAfter;
  absl::TimeZone time_zone_ = absl::UTCTimeZone();
};

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_POLICY_H_
