#include "rules/advisory_check.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pumptrack::rules {
namespace {

// What matched on one device for one advisory.
struct Hit {
  std::string what;  // e.g. `Alaris PCU 8015 firmware 12.1.0 is in "<=12.1.3"`
  std::string seen;  // e.g. "PCU-8015 12.1.0"
  advisories::MatchResult result;
};

void AddUnique(std::vector<std::string>& out, const std::string& value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
}

}  // namespace

std::string ModelTarget(absl::string_view model) { return absl::StrCat("model:", model); }
std::string ComponentTarget(absl::string_view component_model) { return absl::StrCat("component:", component_model); }

std::vector<std::string> TargetsOf(const v1::Device& device) {
  std::vector<std::string> targets;
  if (!device.identity().model().empty()) targets.push_back(ModelTarget(device.identity().model()));
  for (const v1::Component& component : device.last_observation().components()) {
    if (!component.model().empty()) AddUnique(targets, ComponentTarget(component.model()));
  }
  return targets;
}

v1::Severity SeverityFromCvss(double base_score) {
  if (base_score >= 9.0) return v1::SEVERITY_CRITICAL;
  if (base_score >= 7.0) return v1::SEVERITY_HIGH;
  if (base_score >= 4.0) return v1::SEVERITY_MEDIUM;
  return v1::SEVERITY_LOW;
}

std::shared_ptr<const CompiledAdvisories> CompiledAdvisories::Empty() {
  static const std::shared_ptr<const CompiledAdvisories> empty(new CompiledAdvisories());
  return empty;
}

std::shared_ptr<const CompiledAdvisories> CompiledAdvisories::Compile(const std::vector<v1::Advisory>& advisories,
                                                                      const v1::Policy& policy,
                                                                      std::vector<std::string>* skipped) {
  std::shared_ptr<CompiledAdvisories> compiled(new CompiledAdvisories());
  absl::flat_hash_set<std::string> mapped;
  for (const v1::AdvisoryProductMapping& mapping : policy.advisory_products()) {
    mapped.insert(advisories::ProductKey(mapping.vendor(), mapping.product()));
  }
  for (const v1::Advisory& advisory : advisories) {
    absl::StatusOr<advisories::AdvisoryMatcher> matcher = advisories::AdvisoryMatcher::Compile(advisory);
    if (!matcher.ok()) {
      if (skipped != nullptr) skipped->push_back(advisory.tracking_id());
      continue;
    }
    compiled->matchers_.push_back(*std::move(matcher));
    const advisories::AdvisoryMatcher* m = &compiled->matchers_.back();
    bool needs_review = false;
    absl::flat_hash_set<std::string> unmapped_seen;
    for (const v1::AdvisoryProduct& product : advisory.products()) {
      needs_review = needs_review || product.needs_review();
      if (product.vendor().empty() && product.product_name().empty()) continue;
      const std::string key = advisories::ProductKey(product.vendor(), product.product_name());
      if (!mapped.contains(key) && unmapped_seen.insert(key).second) {
        compiled->unmapped_.push_back({advisory.tracking_id(), product.vendor(), product.product_name()});
      }
    }
    if (needs_review) ++compiled->needing_review_;
    std::vector<std::string>& targets = compiled->targets_by_advisory_[advisory.tracking_id()];
    for (const v1::AdvisoryProductMapping& mapping : policy.advisory_products()) {
      advisories::AdvisoryProductRef ref{mapping.vendor(), mapping.product()};
      if (!m->Names(ref)) continue;
      const bool model = mapping.target_case() == v1::AdvisoryProductMapping::kModel;
      const std::string target = model ? ModelTarget(mapping.model()) : ComponentTarget(mapping.component());
      compiled->by_target_[target].push_back(Entry{m, std::move(ref), model ? mapping.model() : mapping.component()});
      AddUnique(targets, target);
    }
  }
  return compiled;
}

std::vector<Violation> CompiledAdvisories::Evaluate(const v1::Device& device) const {
  if (by_target_.empty()) return {};
  // Tracking id → hits, in the order advisories were first hit.
  std::vector<std::pair<const advisories::AdvisoryMatcher*, std::vector<Hit>>> hits;
  auto check = [&](const std::string& target, absl::string_view what, absl::string_view version) {
    if (version.empty()) return;
    auto it = by_target_.find(target);
    if (it == by_target_.end()) return;
    for (const Entry& entry : it->second) {
      advisories::MatchResult result = entry.matcher->Match(entry.product, version);
      if (result.verdict != advisories::Verdict::kAffected) continue;
      auto slot = std::find_if(hits.begin(), hits.end(), [&](const auto& h) { return h.first == entry.matcher; });
      if (slot == hits.end()) slot = hits.insert(hits.end(), {entry.matcher, {}});
      Hit hit;
      hit.what = absl::StrCat(entry.product.vendor, " ", entry.product.product, " (", what, ") ", version, " is in \"",
                              result.version_text, "\"");
      hit.seen = absl::StrCat(what, " ", version);
      hit.result = std::move(result);
      slot->second.push_back(std::move(hit));
    }
  };
  const std::string& model = device.identity().model();
  if (!model.empty()) {
    check(ModelTarget(model), absl::StrCat(model, " firmware"), device.last_observation().firmware_version());
  }
  for (const v1::Component& component : device.last_observation().components()) {
    if (component.model().empty()) continue;
    const std::string& version =
        component.firmware_version().empty() ? component.software_version() : component.firmware_version();
    check(ComponentTarget(component.model()),
          absl::StrCat(component.kind().empty() ? "component" : component.kind(), " ", component.model()), version);
  }
  std::vector<Violation> out;
  for (const auto& [matcher, advisory_hits] : hits) {
    const v1::Advisory& advisory = matcher->advisory();
    std::vector<std::string> cves;
    std::vector<std::string> matched;
    std::vector<std::string> seen;
    std::vector<std::string> remediations;
    double max_score = 0;
    for (const Hit& hit : advisory_hits) {
      for (const std::string& cve : hit.result.cves) AddUnique(cves, cve);
      matched.push_back(hit.what);
      seen.push_back(hit.seen);
      max_score = std::max(max_score, hit.result.max_base_score);
      for (const v1::Remediation& r : hit.result.remediations) {
        AddUnique(remediations, absl::StrCat(r.category().empty() ? "remediation" : r.category(), ": ", r.details()));
      }
    }
    Violation v;
    v.kind = v1::FINDING_KIND_VULNERABLE;
    v.rule = absl::StrCat(kAdvisoryRulePrefix, advisory.tracking_id());
    v.severity = SeverityFromCvss(max_score);
    v.reason = absl::StrCat(advisory.tracking_id(), " (", advisory.title(), "): ", absl::StrJoin(matched, "; "), "; ",
                            cves.empty() ? "no CVE given" : absl::StrJoin(cves, ", "),
                            absl::StrFormat("; max CVSS %.1f", max_score), "; ",
                            remediations.empty() ? "no remediation given" : absl::StrJoin(remediations, " | "));
    v.evidence.set_expected(
        absl::StrCat("a version outside the ranges of ", advisory.tracking_id(), " (or one it lists as fixed)"));
    v.evidence.set_seen(absl::StrJoin(seen, ", "));
    v.evidence.set_advisory(advisory.tracking_id());
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> CompiledAdvisories::TargetsOfAdvisory(absl::string_view tracking_id) const {
  auto it = targets_by_advisory_.find(tracking_id);
  return it == targets_by_advisory_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> CompiledAdvisories::AllTargets() const {
  std::vector<std::string> out;
  out.reserve(by_target_.size());
  for (const auto& [target, unused] : by_target_) out.push_back(target);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<UnmappedProduct> CompiledAdvisories::Unmapped() const { return unmapped_; }

}  // namespace pumptrack::rules
