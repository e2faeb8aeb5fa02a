#ifndef PUMPTRACK_ADVISORIES_SUMMARY_H_
#define PUMPTRACK_ADVISORIES_SUMMARY_H_

#include "pumptrack/v1/advisory.pb.h"

namespace pumptrack::advisories {

// What a list shows about `advisory`: tracking id, version, release date, title, its CVEs (each once, in the order
// of the vulnerabilities), the highest CVSS v3 base score (0 when none) and how many products need review. Pure.
v1::AdvisorySummary Summarize(const v1::Advisory& advisory);

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_SUMMARY_H_
