#ifndef PUMPTRACK_ADVISORIES_CSAF_PARSER_H_
#define PUMPTRACK_ADVISORIES_CSAF_PARSER_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/advisory.pb.h"

namespace pumptrack::advisories {

// The largest CSAF file accepted, checked before any parsing. CISA's largest files are a few hundred KiB.
inline constexpr std::size_t kMaxCsafBytes = 16u << 20;
// The deepest nesting of JSON arrays and objects accepted, checked by a scan before parsing. CSAF product trees
// nest branches a few levels deep; CISA's files stay below 20.
inline constexpr int kMaxCsafNestingDepth = 64;
// The most products (branches, full_product_names and relationships together) and vulnerabilities accepted.
inline constexpr int kMaxCsafProducts = 10000;
inline constexpr int kMaxCsafVulnerabilities = 10000;

// Reads one CSAF 2.0 document (the bytes of a file) into an Advisory: document.tracking (id, version,
// current_release_date, initial_release_date), title, publisher.name; every product of product_tree (branches
// vendor → product_name → product_version | product_version_range, full_product_names, relationships); every
// vulnerability's cve, cwe, product_status, remediations and CVSS v3 scores; and the SHA-512 of `json`.
// Unknown members are ignored. A product whose version text cannot be parsed is kept with needs_review set and the
// reason (see VersionRange::Parse); that never fails the document.
//
// Returns INVALID_ARGUMENT, with a message naming the JSON path (e.g. "document.tracking.id: missing"), when:
// `json` is larger than kMaxCsafBytes (checked first) or nests deeper than kMaxCsafNestingDepth (checked before
// parsing, so no input can exhaust the stack); it is not JSON; document.csaf_version is not "2.0"; a required member
// (document.tracking.id, .version, .current_release_date, document.title, document.publisher.name) is missing or
// empty; a member has the wrong JSON type; a date is not RFC 3339; a product_id is defined twice, or a vulnerability
// or relationship names one that is not defined; there are more than kMaxCsafProducts products or
// kMaxCsafVulnerabilities vulnerabilities. Pure function; thread-safe.
absl::StatusOr<v1::Advisory> ParseCsafAdvisory(absl::string_view json);

// Orders two revisions of the same advisory (same tracking_id): by version (natural order, so "10" > "9" and
// "1.0.1" > "1.0.0"), then by current_release_date. Returns <0 when `a` is older than `b`, 0 when they are the same
// revision, >0 when `a` is newer.
int CompareAdvisoryRevisions(const v1::Advisory& a, const v1::Advisory& b);

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_CSAF_PARSER_H_
