#include "service/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace pumptrack::service {
namespace {

constexpr char kTokenVersion = 0x01;
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

void Mix(std::uint64_t& hash, unsigned char byte) {
  hash ^= byte;
  hash *= kFnvPrime;
}

}  // namespace

std::uint64_t FilterFingerprint(std::initializer_list<absl::string_view> parts) {
  std::uint64_t hash = kFnvOffset;
  for (absl::string_view part : parts) {
    for (int shift = 24; shift >= 0; shift -= 8) Mix(hash, static_cast<unsigned char>(part.size() >> shift));
    for (char ch : part) Mix(hash, static_cast<unsigned char>(ch));
  }
  return hash;
}

std::string EncodePageToken(std::uint64_t fingerprint, absl::string_view cursor) {
  std::string raw(1, kTokenVersion);
  storage::keys::AppendBigEndian64(raw, fingerprint);
  raw.append(cursor.data(), cursor.size());
  std::string token;
  absl::WebSafeBase64Escape(raw, &token);
  return token;
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, std::uint64_t fingerprint) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 10 || raw.front() != kTokenVersion) {
    return absl::InvalidArgumentError("page_token: is not a token this service issued");
  }
  absl::string_view rest(raw);
  rest.remove_prefix(1);
  std::optional<std::uint64_t> issued_for = storage::keys::ConsumeBigEndian64(rest);
  if (!issued_for || *issued_for != fingerprint) {
    return absl::InvalidArgumentError("page_token: was issued for different filters");
  }
  return std::string(rest);
}

absl::StatusOr<std::uint64_t> DecodeNumericPageToken(absl::string_view token, std::uint64_t fingerprint) {
  if (token.empty()) return 0;
  ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(token, fingerprint));
  std::uint64_t position = 0;
  if (!absl::SimpleAtoi(cursor, &position) || position == 0) {
    return absl::InvalidArgumentError("page_token: is malformed");
  }
  return position;
}

}  // namespace pumptrack::service
