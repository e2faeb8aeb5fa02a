#include "rules/advisory_check.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
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

AdvisoryProfile AdvisoryProfileOf(std::string model, std::string firmware_version,
                                  std::vector<AdvisoryProfile::Component> components) {
  AdvisoryProfile profile;
  if (!model.empty()) {
    profile.model = std::move(model);
    profile.firmware_version = std::move(firmware_version);
  }
  std::erase_if(components, [](const AdvisoryProfile::Component& c) { return c.model.empty(); });
  std::sort(components.begin(), components.end());
  components.erase(std::unique(components.begin(), components.end()), components.end());
  profile.components = std::move(components);
  return profile;
}

AdvisoryProfile AdvisoryProfileOf(const v1::Device& device) {
  std::vector<AdvisoryProfile::Component> components;
  for (const v1::Component& component : device.last_observation().components()) {
    // The version Collect checks: firmware, else software.
    components.push_back({component.model(), component.firmware_version().empty() ? component.software_version()
                                                                                  : component.firmware_version()});
  }
  return AdvisoryProfileOf(device.identity().model(), device.last_observation().firmware_version(),
                           std::move(components));
}

std::vector<std::string> AdvisoryProfile::Targets() const {
  std::vector<std::string> targets;
  if (!model.empty()) targets.push_back(ModelTarget(model));
  for (const Component& component : components) targets.push_back(ComponentTarget(component.model));
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  return targets;
}

std::string AdvisoryProfile::Key() const {
  std::string key;
  AppendKey(key);
  return key;
}

void AdvisoryProfile::AppendKey(std::string& key) const {
  // Length-prefixed parts: no separator a reported string could contain can make two profiles collide.
  auto append = [&key](absl::string_view part) { absl::StrAppend(&key, part.size(), ":", part); };
  append(model);
  append(firmware_version);
  for (const Component& component : components) {
    append(component.model);
    append(component.version);
  }
}

v1::Device AdvisoryProfile::AsDevice() const {
  v1::Device device;
  device.mutable_identity()->set_model(model);
  device.mutable_last_observation()->set_firmware_version(firmware_version);
  for (const Component& component : components) {
    v1::Component* added = device.mutable_last_observation()->add_components();
    added->set_model(component.model);
    added->set_firmware_version(component.version);
  }
  return device;
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

std::vector<CompiledAdvisories::RawHit> CompiledAdvisories::Collect(
    const v1::Device& device, absl::FunctionRef<bool(const std::string&)> wanted) const {
  std::vector<RawHit> hits;
  auto check = [&](const std::string& target, absl::string_view kind, absl::string_view component_model,
                   absl::string_view version) {
    if (version.empty()) return;
    auto it = by_target_.find(target);
    if (it == by_target_.end()) return;
    for (const Entry& entry : it->second) {
      if (!wanted(entry.matcher->advisory().tracking_id())) continue;
      advisories::MatchResult result = entry.matcher->Match(entry.product, version);
      if (result.verdict != advisories::Verdict::kAffected) continue;
      hits.push_back(
          RawHit{&entry, std::string(kind), std::string(component_model), std::string(version), std::move(result)});
    }
  };
  const std::string& model = device.identity().model();
  if (!model.empty()) check(ModelTarget(model), "firmware", "", device.last_observation().firmware_version());
  for (const v1::Component& component : device.last_observation().components()) {
    if (component.model().empty()) continue;
    const std::string& version =
        component.firmware_version().empty() ? component.software_version() : component.firmware_version();
    check(ComponentTarget(component.model()), component.kind().empty() ? "component" : component.kind(),
          component.model(), version);
  }
  return hits;
}

std::vector<v1::AffectedMatch> CompiledAdvisories::Matches(const v1::Device& device,
                                                           absl::string_view tracking_id) const {
  std::vector<v1::AffectedMatch> out;
  if (tracking_id.empty()) return out;
  for (RawHit& hit : Collect(device, [&](const std::string& id) { return id == tracking_id; })) {
    v1::AffectedMatch match;
    match.set_vendor(hit.entry->product.vendor);
    match.set_product(hit.entry->product.product);
    match.set_component_model(hit.component_model);
    match.set_component_kind(hit.kind);
    match.set_matched_version(hit.version);
    match.set_version_range(hit.result.version_text);
    for (const std::string& cve : hit.result.cves) match.add_cves(cve);
    match.set_max_base_score(hit.result.max_base_score);
    for (v1::Remediation& r : hit.result.remediations) *match.add_remediations() = std::move(r);
    out.push_back(std::move(match));
  }
  return out;
}

std::vector<Violation> CompiledAdvisories::Evaluate(const v1::Device& device) const {
  if (by_target_.empty()) return {};
  return Violations(device, Collect(device, [](const std::string&) { return true; }));
}

std::vector<Violation> CompiledAdvisories::Evaluate(const v1::Device& device,
                                                    const absl::flat_hash_set<std::string>& tracking_ids) const {
  if (by_target_.empty() || tracking_ids.empty()) return {};
  return Violations(device, Collect(device, [&](const std::string& id) { return tracking_ids.contains(id); }));
}

std::vector<Violation> CompiledAdvisories::Violations(const v1::Device& device, std::vector<RawHit> raw_hits) const {
  // Tracking id → hits, in the order advisories were first hit.
  std::vector<std::pair<const advisories::AdvisoryMatcher*, std::vector<Hit>>> hits;
  const std::string& model = device.identity().model();
  for (RawHit& raw : raw_hits) {
    const advisories::AdvisoryMatcher* matcher = raw.entry->matcher;
    auto slot = std::find_if(hits.begin(), hits.end(), [&](const auto& h) { return h.first == matcher; });
    if (slot == hits.end()) slot = hits.insert(hits.end(), {matcher, {}});
    const std::string what = raw.component_model.empty() ? absl::StrCat(model, " firmware")
                                                         : absl::StrCat(raw.kind, " ", raw.component_model);
    Hit hit;
    hit.what = absl::StrCat(raw.entry->product.vendor, " ", raw.entry->product.product, " (", what, ") ", raw.version,
                            " is in \"", raw.result.version_text, "\"");
    hit.seen = absl::StrCat(what, " ", raw.version);
    hit.result = std::move(raw.result);
    slot->second.push_back(std::move(hit));
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

namespace {

// Words of a name for likeness: lowercase runs of letters or digits of two or more characters.
absl::flat_hash_set<std::string> Words(absl::string_view text) {
  absl::flat_hash_set<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2) words.insert(word);
    word.clear();
  };
  bool digits = false;
  for (char c : text) {
    const bool alpha = absl::ascii_isalpha(static_cast<unsigned char>(c));
    const bool digit = absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!alpha && !digit) {
      flush();
      continue;
    }
    if (!word.empty() && digit != digits) flush();
    digits = digit;
    word.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  flush();
  return words;
}

}  // namespace

std::vector<std::string> SimilarModels(absl::string_view vendor, absl::string_view product,
                                       const std::vector<std::string>& models) {
  const absl::flat_hash_set<std::string> words = Words(absl::StrCat(vendor, " ", product));
  std::vector<std::pair<int, std::string>> scored;
  for (const std::string& model : models) {
    int shared = 0;
    for (const std::string& word : Words(model)) shared += words.contains(word) ? 1 : 0;
    if (shared > 0) scored.emplace_back(-shared, model);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (auto& [unused, model] : scored) out.push_back(std::move(model));
  return out;
}

std::vector<std::string> PolicyModels(const v1::Policy& policy) {
  std::vector<std::string> models;
  for (const v1::ModelPolicy& model : policy.models()) AddUnique(models, model.model());
  for (const v1::ComponentPolicy& component : policy.components()) AddUnique(models, component.model());
  return models;
}

}  // namespace pumptrack::rules
