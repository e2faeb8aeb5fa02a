// The CLI's commands for AdvisoryService (import: role admin; the others: any role). Like the other commands
// (commands.h), each one calls the services through injected stubs and prints its result to an injected stream; on
// failure it returns the error and prints nothing.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "cli/finding_commands.h"
#include "pumptrack/v1/advisory.grpc.pb.h"

namespace pumptrack::cli {

using AdvisoryContext = ServiceContext<v1::AdvisoryService>;

// The services the advisory commands read: advisories, plus findings, devices and the policy for show and unmapped.
struct AdvisoryServices {
  AdvisoryContext advisories;
  FindingContext findings;
  CommandContext inventory;
  PolicyContext policy;
};

// Reads one advisory file for import: its bytes (refused before reading when larger than 16 MiB), its sidecar
// `<path>.sha512` (required; its sum must match, else DATA_LOSS naming both sums), and, when `keyring` is not empty,
// checks the detached OpenPGP signature `<path>.asc` with Debian's gpgv against that keyring (PERMISSION_DENIED when
// it does not verify, FAILED_PRECONDITION when gpgv cannot be run). NOT_FOUND for a missing file or sidecar.
absl::StatusOr<v1::AdvisoryFile> ReadAdvisoryFile(const std::string& path, const std::string& keyring);

// `advisories import FILE... [--keyring=K]`: reads every file (ReadAdvisoryFile) before sending any, then imports
// them in one call (all or nothing). Prints one line per advisory, or the ImportAdvisoriesResponse as JSON.
absl::Status ImportAdvisories(const AdvisoryContext& context, const std::vector<std::string>& paths,
                              const std::string& keyring);

// `advisories list`: a table (ID, REV, RELEASED, TITLE, CVES, MAX CVSS, AFFECTED, NEEDS REVIEW), or a JSON array of
// AdvisorySummary.
absl::Status ListAdvisories(const AdvisoryContext& context);

// `advisories show ID`: the advisory (title, revision, CVEs, score, remediation, products needing review) and its
// affected pumps grouped by facility and unit, each with its location, custody state and last seen; or an
// AdvisoryReport as JSON.
absl::Status ShowAdvisory(const AdvisoryServices& services, const std::string& tracking_id);

// `advisories unmapped`: the imported products no advisory_products entry of the policy maps, each with the policy's
// pump and component models that look alike; or a JSON array of UnmappedAdvisoryProduct.
absl::Status ListUnmapped(const AdvisoryServices& services);

// The models among `models` that look like `product` (share a word or a number of two or more characters, case
// ignored), most shared words first. Exposed for tests.
std::vector<std::string> SimilarModels(const std::string& vendor, const std::string& product,
                                       const std::vector<std::string>& models);

}  // namespace pumptrack::cli
