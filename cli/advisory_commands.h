// The CLI's commands for AdvisoryService (import: role admin; the others: any role). Like the other commands
// (commands.h), each one calls the services through injected stubs and prints its result to an injected stream; on
// failure it returns the error and prints nothing.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "pumptrack/v1/advisory.grpc.pb.h"

namespace pumptrack::cli {

using AdvisoryContext = ServiceContext<v1::AdvisoryService>;

// Reads one advisory file for import: its bytes (refused before reading when larger than 16 MiB), its sidecar
// `<path>.sha512` (required; its sum must match, else DATA_LOSS naming both sums), and, when `keyring` is not empty,
// checks the detached OpenPGP signature `<path>.asc` with Debian's gpgv against that keyring (PERMISSION_DENIED when
// it does not verify, FAILED_PRECONDITION when gpgv cannot be run). NOT_FOUND for a missing file or sidecar.
absl::StatusOr<v1::AdvisoryFile> ReadAdvisoryFile(const std::string& path, const std::string& keyring);

// `advisories import FILE... [--keyring=K] [--background]`: reads every file (ReadAdvisoryFile) before sending any,
// then imports them in one call (all or nothing). Prints one line per advisory, or the ImportAdvisoriesResponse as
// JSON. `background`: the server answers once the advisories are stored and matched, and writes the findings behind
// (ImportAdvisoriesRequest.findings_in_background).
absl::Status ImportAdvisories(const AdvisoryContext& context, const std::vector<std::string>& paths,
                              const std::string& keyring, bool background = false);

// `advisories list`: a table (ID, REV, RELEASED, TITLE, CVES, MAX CVSS, AFFECTED, NEEDS REVIEW, MATCHED, PENDING), or
// a JSON array of AdvisorySummary.
absl::Status ListAdvisories(const AdvisoryContext& context);

// `advisories show ID`: the advisory (GetAdvisory: title, revision, CVEs, score, remediation, products needing
// review) and its affected pumps as the server computes them (ListAffectedDevices, every page) grouped by facility
// and unit, each with its location, custody state (and holder) and last seen; or an AdvisoryReport as JSON.
absl::Status ShowAdvisory(const AdvisoryContext& context, const std::string& tracking_id);

// `advisories unmapped`: the imported products no advisory_products entry of the policy maps, each with the policy's
// pump and component models that look alike, as the server computes them (ListUnmappedProducts, every page); or a
// JSON array of UnmappedAdvisoryProduct.
absl::Status ListUnmapped(const AdvisoryContext& context);

}  // namespace pumptrack::cli
