#include "advisories/summary.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"

namespace pumptrack::advisories {

v1::AdvisorySummary Summarize(const v1::Advisory& advisory) {
  v1::AdvisorySummary summary;
  summary.set_tracking_id(advisory.tracking_id());
  summary.set_version(advisory.version());
  *summary.mutable_current_release_date() = advisory.current_release_date();
  summary.set_title(advisory.title());
  absl::flat_hash_set<std::string> seen;
  double max_score = 0;
  for (const v1::AdvisoryVulnerability& vulnerability : advisory.vulnerabilities()) {
    if (!vulnerability.cve().empty() && seen.insert(vulnerability.cve()).second) summary.add_cves(vulnerability.cve());
    for (const v1::CvssV3Score& score : vulnerability.scores()) max_score = std::max(max_score, score.base_score());
  }
  summary.set_max_base_score(max_score);
  int needs_review = 0;
  for (const v1::AdvisoryProduct& product : advisory.products()) needs_review += product.needs_review() ? 1 : 0;
  summary.set_needs_review_products(needs_review);
  return summary;
}

}  // namespace pumptrack::advisories
