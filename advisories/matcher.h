#ifndef PUMPTRACK_ADVISORIES_MATCHER_H_
#define PUMPTRACK_ADVISORIES_MATCHER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "advisories/version_range.h"
#include "pumptrack/v1/advisory.pb.h"

namespace pumptrack::advisories {

// The advisory side of one entry of the policy's product mapping (advisory_products { vendor, product, model |
// component }): which CSAF product a fleet model or component model is. Compared ignoring ASCII case and runs of
// blanks ("Alaris  PCU 8015" == "alaris pcu 8015").
struct AdvisoryProductRef {
  // The CSAF vendor branch's name, e.g. "BD".
  std::string vendor;
  // The CSAF product_name branch's name, e.g. "Alaris PCU 8015".
  std::string product;
};

enum class Verdict {
  // The reported version is in a range the advisory lists as known_affected (or first_/last_affected).
  kAffected,
  // In a range listed as fixed (or first_fixed), and in no affected range.
  kFixed,
  // In a known_not_affected range, outside every range given for the product, or the advisory does not name the
  // product at all (then product_id is empty).
  kNotAffected,
  // pumptrack cannot decide without a person: an affected (or under_investigation) product of that name has a
  // range that could not be parsed, the reported version is not a version, its product line is not the range's, or
  // the matching range is under investigation. Never turned into affected or not affected by guessing.
  kNeedsReview,
};

absl::string_view VerdictName(Verdict verdict);

// The key two product names are compared by: vendor and product, ASCII case and runs of blanks ignored.
std::string ProductKey(absl::string_view vendor, absl::string_view product);

// The answer for one reported version, naming what decided it.
struct MatchResult {
  Verdict verdict = Verdict::kNotAffected;
  // The advisory product that decided the verdict (for kNotAffected because nothing matched: empty).
  std::string product_id;
  std::string full_name;
  // Its version text as the advisory writes it, e.g. "<= U61 | <= L81".
  std::string version_text;
  // kAffected: the CVEs (or, without a CVE, the vulnerability titles) listing a matching product as affected, in
  // advisory order, each once; kFixed: those listing it as fixed.
  std::vector<std::string> cves;
  // kAffected: the highest CVSS v3 base score given for those vulnerabilities and products; 0 when none.
  double max_base_score = 0.0;
  // kAffected and kFixed: the remediations of those vulnerabilities that name the product or name none.
  std::vector<v1::Remediation> remediations;
  // One sentence saying why, e.g. `version "12.1.0" is in "<=12.1.3" (CSAFPID-0001), known_affected by
  // CVE-2023-30559`.
  std::string reason;
};

// One imported advisory, prepared for matching many reported versions: ranges parsed once, products indexed by
// vendor and product name. Immutable after Compile; Match is thread-safe. The one version matcher of pumptrack: the
// policy's VulnerableFirmware bounds map onto VersionRange::FromBounds and the same VersionRange::Check.
class AdvisoryMatcher {
 public:
  // Returns INVALID_ARGUMENT when a stored product's parsed range does not validate (a product marked needs_review
  // is fine: it stays needs-review).
  static absl::StatusOr<AdvisoryMatcher> Compile(v1::Advisory advisory);

  // The verdict for a pump model or component mapped to `product` that reports `reported_version`.
  MatchResult Match(const AdvisoryProductRef& product, absl::string_view reported_version) const;

  // True when the advisory names `product` (any version); lets a caller skip devices it cannot concern.
  bool Names(const AdvisoryProductRef& product) const;

  const v1::Advisory& advisory() const { return advisory_; }

 private:
  struct Candidate {
    int product_index = 0;
    // Unset when the product needs review.
    std::optional<VersionRange> range;
    // Whether any vulnerability lists the product in each product_status list.
    bool affected = false;
    bool fixed = false;
    bool not_affected = false;
    bool under_investigation = false;
  };

  explicit AdvisoryMatcher(v1::Advisory advisory) : advisory_(std::move(advisory)) {}

  v1::Advisory advisory_;
  // Normalized "vendor\nproduct" → the products of that name.
  absl::flat_hash_map<std::string, std::vector<Candidate>> by_name_;
};

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_MATCHER_H_
