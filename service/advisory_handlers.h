#ifndef PUMPTRACK_SERVICE_ADVISORY_HANDLERS_H_
#define PUMPTRACK_SERVICE_ADVISORY_HANDLERS_H_

// Handlers of AdvisoryService: functions of a request, the authorised caller and the advisory runtime, run on the
// worker pool. Each validates its request first.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/advisory_runtime.h"
#include "engine/caller.h"
#include "pumptrack/v1/advisory.pb.h"

namespace pumptrack::service {

// Checks every file (ValidateAdvisoryFile), its sidecar (advisories::VerifySha512Sidecar) and parses it
// (advisories::ParseCsafAdvisory) before anything is stored; the first problem is returned with the file named
// ("files[1] (icsma-23-193-01.json): document.tracking.id: missing"): INVALID_ARGUMENT for a bad request or file,
// DATA_LOSS for a sum that does not match. Then stores every advisory in one audited write (see
// engine::AdvisoryRuntime::Import: FAILED_PRECONDITION for an older revision, ALREADY_EXISTS for the same).
absl::StatusOr<v1::ImportAdvisoriesResponse> ImportAdvisories(const v1::ImportAdvisoriesRequest& request,
                                                              const engine::Caller& caller,
                                                              engine::AdvisoryRuntime& runtime, absl::Time now);

// A page of advisory summaries, ordered by tracking id. INVALID_ARGUMENT for a bad page size or token.
absl::StatusOr<v1::ListAdvisoriesResponse> ListAdvisories(const v1::ListAdvisoriesRequest& request,
                                                          const engine::AdvisoryRuntime& runtime);

// The stored advisory. INVALID_ARGUMENT for an empty or over-long tracking id, NOT_FOUND when it is not imported.
absl::StatusOr<v1::Advisory> GetAdvisory(const v1::GetAdvisoryRequest& request, const engine::AdvisoryRuntime& runtime);

// A page of the pumps the advisory affects now (engine::AdvisoryRuntime::ListAffected), ordered by asset tag, with the
// total. INVALID_ARGUMENT for a bad tracking id, page size or token (a token is only good for its advisory);
// NOT_FOUND when the advisory is not imported.
absl::StatusOr<v1::ListAffectedDevicesResponse> ListAffectedDevices(const v1::ListAffectedDevicesRequest& request,
                                                                    const engine::AdvisoryRuntime& runtime);

// A page of the imported products the policy in force does not map (engine::AdvisoryRuntime::ListUnmapped).
// INVALID_ARGUMENT for a bad page size or token.
absl::StatusOr<v1::ListUnmappedProductsResponse> ListUnmappedProducts(const v1::ListUnmappedProductsRequest& request,
                                                                      const engine::AdvisoryRuntime& runtime);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_ADVISORY_HANDLERS_H_
