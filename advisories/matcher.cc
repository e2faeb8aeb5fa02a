#include "advisories/matcher.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pumptrack::advisories {
namespace {

std::string Normalize(absl::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : absl::StripAsciiWhitespace(text)) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      blank = true;
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Key(absl::string_view vendor, absl::string_view product) {
  return absl::StrCat(Normalize(vendor), "\n", Normalize(product));
}

bool Lists(const google::protobuf::RepeatedPtrField<std::string>& ids, absl::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string VulnerabilityName(const v1::AdvisoryVulnerability& vulnerability, int index) {
  if (!vulnerability.cve().empty()) return vulnerability.cve();
  if (!vulnerability.title().empty()) return vulnerability.title();
  return absl::StrCat("vulnerability ", index + 1);
}

void AddOnce(std::vector<std::string>& list, std::string item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

}  // namespace

std::string ProductKey(absl::string_view vendor, absl::string_view product) { return Key(vendor, product); }

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAffected:
      return "affected";
    case Verdict::kFixed:
      return "fixed";
    case Verdict::kNotAffected:
      return "not affected";
    case Verdict::kNeedsReview:
      return "needs review";
  }
  return "?";
}

absl::StatusOr<AdvisoryMatcher> AdvisoryMatcher::Compile(v1::Advisory advisory) {
  AdvisoryMatcher matcher(std::move(advisory));
  // Each product's statuses, in one pass over the status lists.
  absl::flat_hash_map<absl::string_view, Candidate> statuses;
  for (const v1::AdvisoryVulnerability& v : matcher.advisory_.vulnerabilities()) {
    for (const std::string& id : v.product_status().known_affected()) statuses[id].affected = true;
    for (const std::string& id : v.product_status().fixed()) statuses[id].fixed = true;
    for (const std::string& id : v.product_status().known_not_affected()) statuses[id].not_affected = true;
    for (const std::string& id : v.product_status().under_investigation()) statuses[id].under_investigation = true;
  }
  for (int i = 0; i < matcher.advisory_.products_size(); ++i) {
    const v1::AdvisoryProduct& product = matcher.advisory_.products(i);
    Candidate candidate;
    if (const auto status = statuses.find(product.product_id()); status != statuses.end()) {
      candidate = std::move(status->second);
    }
    candidate.product_index = i;
    if (!product.needs_review()) {
      absl::StatusOr<VersionRange> range = VersionRange::FromProto(product.range());
      if (!range.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("advisory ", matcher.advisory_.tracking_id(), " product ",
                                                       product.product_id(),
                                                       ": stored range: ", range.status().message()));
      }
      candidate.range = *std::move(range);
    }
    matcher.by_name_[Key(product.vendor(), product.product_name())].push_back(std::move(candidate));
  }
  return matcher;
}

bool AdvisoryMatcher::Names(const AdvisoryProductRef& product) const {
  return by_name_.contains(Key(product.vendor, product.product));
}

MatchResult AdvisoryMatcher::Match(const AdvisoryProductRef& ref, absl::string_view reported_version) const {
  MatchResult result;
  const auto found = by_name_.find(Key(ref.vendor, ref.product));
  if (found == by_name_.end()) {
    result.verdict = Verdict::kNotAffected;
    result.reason = absl::StrCat("advisory ", advisory_.tracking_id(), " does not name ", ref.vendor, " ", ref.product);
    return result;
  }

  // The first product of each kind that the version falls into, and what needs review.
  const v1::AdvisoryProduct* affected = nullptr;
  const v1::AdvisoryProduct* fixed = nullptr;
  const v1::AdvisoryProduct* not_affected = nullptr;
  const v1::AdvisoryProduct* review = nullptr;
  std::string review_reason;
  std::vector<const v1::AdvisoryProduct*> affected_products;
  std::vector<const v1::AdvisoryProduct*> fixed_products;

  for (const Candidate& candidate : found->second) {
    const v1::AdvisoryProduct& product = advisory_.products(candidate.product_index);
    const bool is_affected = candidate.affected;
    const bool is_fixed = candidate.fixed;
    const bool is_not_affected = candidate.not_affected;
    const bool investigating = candidate.under_investigation;
    const bool may_affect = is_affected || investigating;
    if (!candidate.range.has_value()) {
      if (may_affect && review == nullptr) {
        review = &product;
        review_reason = absl::StrCat(product.product_id(), " \"", product.full_name(), "\": ", product.review_reason());
      }
      continue;
    }
    const RangeCheck check = candidate.range->Check(reported_version);
    if (check.answer == RangeAnswer::kNeedsReview) {
      if (may_affect && review == nullptr) {
        review = &product;
        review_reason = absl::StrCat(product.product_id(), " \"", product.version_text(), "\": ", check.reason);
      }
      continue;
    }
    if (check.answer == RangeAnswer::kOutside) continue;
    if (is_affected) {
      if (affected == nullptr) affected = &product;
      affected_products.push_back(&product);
    } else if (investigating) {
      if (review == nullptr) {
        review = &product;
        review_reason = absl::StrCat(product.product_id(), " \"", product.version_text(), "\" is under investigation");
      }
    } else if (is_fixed) {
      if (fixed == nullptr) fixed = &product;
      fixed_products.push_back(&product);
    } else if (is_not_affected) {
      if (not_affected == nullptr) not_affected = &product;
    }
  }

  // CVEs, scores and remediations for the products that decided.
  const auto collect = [&](const std::vector<const v1::AdvisoryProduct*>& products, bool want_affected) {
    for (int i = 0; i < advisory_.vulnerabilities_size(); ++i) {
      const v1::AdvisoryVulnerability& v = advisory_.vulnerabilities(i);
      const auto& ids = want_affected ? v.product_status().known_affected() : v.product_status().fixed();
      bool listed = false;
      for (const v1::AdvisoryProduct* p : products) listed |= Lists(ids, p->product_id());
      if (!listed) continue;
      AddOnce(result.cves, VulnerabilityName(v, i));
      for (const v1::CvssV3Score& score : v.scores()) {
        for (const v1::AdvisoryProduct* p : products) {
          if (Lists(score.product_ids(), p->product_id())) {
            result.max_base_score = std::max(result.max_base_score, score.base_score());
          }
        }
      }
      for (const v1::Remediation& remediation : v.remediations()) {
        bool applies = remediation.product_ids().empty();
        for (const v1::AdvisoryProduct* p : products) applies |= Lists(remediation.product_ids(), p->product_id());
        if (applies) result.remediations.push_back(remediation);
      }
    }
  };
  const auto decided_by = [&](const v1::AdvisoryProduct& product) {
    result.product_id = product.product_id();
    result.full_name = product.full_name();
    result.version_text = product.version_text();
  };

  if (affected != nullptr) {
    result.verdict = Verdict::kAffected;
    decided_by(*affected);
    collect(affected_products, /*want_affected=*/true);
    result.reason = absl::StrCat("version \"", reported_version, "\" is in \"", affected->version_text(), "\" (",
                                 affected->product_id(), "), known affected by ", absl::StrJoin(result.cves, ", "));
  } else if (review != nullptr) {
    result.verdict = Verdict::kNeedsReview;
    decided_by(*review);
    result.reason = std::move(review_reason);
  } else if (fixed != nullptr) {
    result.verdict = Verdict::kFixed;
    decided_by(*fixed);
    collect(fixed_products, /*want_affected=*/false);
    result.reason = absl::StrCat("version \"", reported_version, "\" is in \"", fixed->version_text(), "\" (",
                                 fixed->product_id(), "), fixed for ", absl::StrJoin(result.cves, ", "));
  } else if (not_affected != nullptr) {
    result.verdict = Verdict::kNotAffected;
    decided_by(*not_affected);
    result.reason = absl::StrCat("version \"", reported_version, "\" is in \"", not_affected->version_text(), "\" (",
                                 not_affected->product_id(), "), known not affected");
  } else {
    result.verdict = Verdict::kNotAffected;
    result.reason = absl::StrCat("version \"", reported_version, "\" is outside every range advisory ",
                                 advisory_.tracking_id(), " gives for ", ref.vendor, " ", ref.product);
  }
  return result;
}

}  // namespace pumptrack::advisories
