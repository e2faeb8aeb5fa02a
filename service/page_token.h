#ifndef PUMPTRACK_SERVICE_PAGE_TOKEN_H_
#define PUMPTRACK_SERVICE_PAGE_TOKEN_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pumptrack::service {

// A stable 64-bit fingerprint of a request's filters, so a page token is only valid with the filters it was issued
// for. Stable across processes and versions (FNV-1a over length-delimited parts).
std::uint64_t FilterFingerprint(std::initializer_list<absl::string_view> parts);

// An opaque, URL-safe token carrying a storage cursor bound to `fingerprint`.
std::string EncodePageToken(std::uint64_t fingerprint, absl::string_view cursor);

// The cursor inside `token`. INVALID_ARGUMENT ("page_token: ...") if it is malformed or was issued for other filters.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, std::uint64_t fingerprint);

// The one numeric cursor (an audit index, a custody event index, a finding number; never 0): 0 when `token` is empty
// (the first page), else the number inside it. INVALID_ARGUMENT "page_token: is malformed" for 0 or a non-number,
// and as DecodePageToken for a token that is malformed or was issued for other filters.
absl::StatusOr<std::uint64_t> DecodeNumericPageToken(absl::string_view token, std::uint64_t fingerprint);

}  // namespace pumptrack::service

#endif  // PUMPTRACK_SERVICE_PAGE_TOKEN_H_
