#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/admin_handlers.h"
#include "service/inventory_handlers.h"
#include "service/page_token.h"

namespace pumptrack::service {
absl::StatusOr<v1::ListAuditResponse> ListAudit(const v1::ListAuditRequest& request, const storage::AuditLog& audit) {
  ASSIGN_OR_RETURN(int page_size, ResolvePageSize(request.page_size()));
  ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request, {absl::InfinitePast(), absl::InfiniteFuture()}));
  const absl::Time start = range.start;
  const absl::Time end = range.end;
  if (request.actor().size() > 64) return absl::InvalidArgumentError("actor: must be at most 64 bytes");
  const std::uint64_t fingerprint =
      FilterFingerprint({request.has_start_time() ? absl::FormatTime(start) : "",
                         request.has_end_time() ? absl::FormatTime(end) : "", request.actor()});
  ASSIGN_OR_RETURN(std::uint64_t after_index, DecodeNumericPageToken(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(storage::AuditPage page, audit.List(start, end, request.actor(), after_index, page_size));
  v1::ListAuditResponse response;
  for (v1::AuditEntry& entry : page.entries) *response.add_entries() = std::move(entry);
  if (page.next_after_index != 0) {
    response.set_next_page_token(EncodePageToken(fingerprint, absl::StrCat(page.next_after_index)));
  }
  return response;
}

absl::StatusOr<v1::VerifyAuditResponse> VerifyAudit(const v1::VerifyAuditRequest& /*request*/,
                                                    const storage::AuditLog& audit) {
  return audit.Verify();
}

}  // namespace pumptrack::service
