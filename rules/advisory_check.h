#ifndef PUMPTRACK_RULES_ADVISORY_CHECK_H_
#define PUMPTRACK_RULES_ADVISORY_CHECK_H_

#include <compare>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "advisories/matcher.h"
#include "pumptrack/v1/advisory.pb.h"
#include "pumptrack/v1/device.pb.h"
#include "pumptrack/v1/policy.pb.h"
#include "rules/checks.h"

namespace pumptrack::rules {

// The prefix of the VULNERABLE rule of an advisory: "advisory.<tracking id>".
inline constexpr absl::string_view kAdvisoryRulePrefix = "advisory.";

// What a fleet index keys devices by for advisories: a pump model, or a component model fitted to the pump.
std::string ModelTarget(absl::string_view model);
std::string ComponentTarget(absl::string_view component_model);
// Every target of `device`: its model and the models of its reported components, each once.
std::vector<std::string> TargetsOf(const v1::Device& device);

// All that CompiledAdvisories reads of a device to match it: the pump's model and firmware version, and each
// component's model and version (firmware, else software). Two devices with equal profiles get the same verdict from
// every advisory, so a fleet index can group devices by profile and match a profile once for all of its devices.
struct AdvisoryProfile {
  struct Component {
    std::string model;  // never empty
    std::string version;
    friend bool operator==(const Component&, const Component&) = default;
    friend auto operator<=>(const Component&, const Component&) = default;
  };
  std::string model;
  std::string firmware_version;       // empty when `model` is
  std::vector<Component> components;  // sorted, each once

  bool empty() const { return model.empty() && components.empty(); }
  // ModelTarget / ComponentTarget of each part, sorted, each once.
  std::vector<std::string> Targets() const;
  // A string equal for equal profiles only.
  std::string Key() const;
  // Key() appended to `key` (to reuse one buffer).
  void AppendKey(std::string& key) const;
  // A device with only the profile's fields set: CompiledAdvisories matches it as it matches every device it stands
  // for.
  v1::Device AsDevice() const;
  friend bool operator==(const AdvisoryProfile&, const AdvisoryProfile&) = default;
};
AdvisoryProfile AdvisoryProfileOf(const v1::Device& device);
// The same profile from parts read without parsing the whole device (storage::DeviceSummary at start-up):
// `components` are (model, version) pairs in any order, repeats and empty models allowed.
AdvisoryProfile AdvisoryProfileOf(std::string model, std::string firmware_version,
                                  std::vector<AdvisoryProfile::Component> components);

// CVSS v3 base score → severity: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, else low.
v1::Severity SeverityFromCvss(double base_score);

// An advisory product no entry of the policy's advisory_products maps to the fleet.
struct UnmappedProduct {
  std::string tracking_id;
  std::string vendor;
  std::string product;
};

// The imported advisories compiled against the policy's product mapping (Policy.advisory_products): for each pump
// model and component model of the fleet, the (advisory, CSAF product) pairs that concern it. Immutable; thread-safe
// to share. Pure: no storage, no clock.
class CompiledAdvisories {
 public:
  // Compiles every advisory (one that does not compile is skipped and its tracking id added to `skipped`, which may
  // be null) against `policy`'s mapping.
  static std::shared_ptr<const CompiledAdvisories> Compile(const std::vector<v1::Advisory>& advisories,
                                                           const v1::Policy& policy,
                                                           std::vector<std::string>* skipped = nullptr);
  static std::shared_ptr<const CompiledAdvisories> Empty();

  // One VULNERABLE violation per advisory that lists the device's firmware (for its model) or a component's
  // firmware (software when no firmware is reported) as affected: rule "advisory.<tracking id>"; severity from the
  // highest CVSS base score; the reason names the advisory, each product and version that matched, the CVEs, the
  // score and the remediation. Fixed, not affected and needs-review versions raise nothing (never guessed).
  std::vector<Violation> Evaluate(const v1::Device& device) const;
  // The same for the advisories of `tracking_ids` only (an import re-evaluates just the rules it can change).
  std::vector<Violation> Evaluate(const v1::Device& device, const absl::flat_hash_set<std::string>& tracking_ids) const;
  // What of `device` the advisory `tracking_id` lists as affected: its firmware (for its model) and each component,
  // with the range, CVEs, score and remediations; empty when nothing matches (or for an empty tracking id).
  std::vector<v1::AffectedMatch> Matches(const v1::Device& device, absl::string_view tracking_id) const;

  // The targets (ModelTarget / ComponentTarget) the advisory's mapped products concern; empty for an unknown id.
  std::vector<std::string> TargetsOfAdvisory(absl::string_view tracking_id) const;
  // Every target some advisory concerns.
  std::vector<std::string> AllTargets() const;
  // Products (vendor, product name) of the advisories that no mapping names, each once per advisory.
  std::vector<UnmappedProduct> Unmapped() const;
  // Advisories with at least one product that needs review.
  std::size_t advisories_needing_review() const { return needing_review_; }
  std::size_t size() const { return matchers_.size(); }

 private:
  struct Entry {
    const advisories::AdvisoryMatcher* matcher = nullptr;
    advisories::AdvisoryProductRef product;
    // What the device side is called in reasons: the model or the component model.
    std::string target_name;
  };
  // One affected verdict for one entry: the pump's firmware (kind "firmware", no component model) or a component.
  struct RawHit {
    const Entry* entry = nullptr;
    std::string kind;
    std::string component_model;
    std::string version;
    advisories::MatchResult result;
  };
  CompiledAdvisories() = default;
  // Every affected verdict for the device of the advisories `wanted` accepts (by tracking id), in check order.
  std::vector<RawHit> Collect(const v1::Device& device, absl::FunctionRef<bool(const std::string&)> wanted) const;
  // One violation per advisory among `hits` (see Evaluate).
  std::vector<Violation> Violations(const v1::Device& device, std::vector<RawHit> hits) const;

  std::deque<advisories::AdvisoryMatcher> matchers_;  // stable addresses
  // Target → the entries concerning it, in advisory order.
  absl::flat_hash_map<std::string, std::vector<Entry>> by_target_;
  absl::flat_hash_map<std::string, std::vector<std::string>> targets_by_advisory_;
  std::vector<UnmappedProduct> unmapped_;
  std::size_t needing_review_ = 0;
};

// The models among `models` that look like the CSAF product (share a word or a number of two or more characters,
// case ignored), most shared words first.
std::vector<std::string> SimilarModels(absl::string_view vendor, absl::string_view product,
                                       const std::vector<std::string>& models);
// The policy's pump models, then its component models, each once.
std::vector<std::string> PolicyModels(const v1::Policy& policy);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_ADVISORY_CHECK_H_
