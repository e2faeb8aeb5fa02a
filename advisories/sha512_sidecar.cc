#include "advisories/sha512_sidecar.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pumptrack::advisories {

std::string Sha512Hex(absl::string_view bytes) {
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<Sha512Sidecar> ParseSha512Sidecar(absl::string_view text) {
  if (text.size() > 4096) return absl::InvalidArgumentError("sha512 sidecar: larger than 4 KiB");
  // One line, optionally ended by "\n" or "\r\n".
  if (absl::EndsWith(text, "\n")) text.remove_suffix(1);
  if (absl::EndsWith(text, "\r")) text.remove_suffix(1);
  if (text.find_first_of("\r\n") != absl::string_view::npos) {
    return absl::InvalidArgumentError("sha512 sidecar: more than one line");
  }
  text = absl::StripLeadingAsciiWhitespace(text);
  std::size_t hex_end = 0;
  while (hex_end < text.size() && absl::ascii_isxdigit(static_cast<unsigned char>(text[hex_end]))) ++hex_end;
  if (hex_end != 2 * SHA512_DIGEST_LENGTH) {
    return absl::InvalidArgumentError(absl::StrCat("sha512 sidecar: expected 128 hex digits, found ", hex_end));
  }
  Sha512Sidecar sidecar;
  sidecar.hex_digest = absl::AsciiStrToLower(text.substr(0, hex_end));
  absl::string_view rest = text.substr(hex_end);
  if (!rest.empty() && !absl::ascii_isblank(static_cast<unsigned char>(rest[0]))) {
    return absl::InvalidArgumentError("sha512 sidecar: the digest is not followed by a blank");
  }
  rest = absl::StripAsciiWhitespace(rest);
  if (absl::StartsWith(rest, "*")) rest.remove_prefix(1);
  sidecar.file_name = std::string(rest);
  return sidecar;
}

absl::Status VerifySha512Sidecar(absl::string_view content, absl::string_view file_name,
                                 absl::string_view sidecar_text) {
  absl::StatusOr<Sha512Sidecar> sidecar = ParseSha512Sidecar(sidecar_text);
  if (!sidecar.ok()) return absl::InvalidArgumentError(absl::StrCat(file_name, ": ", sidecar.status().message()));
  if (!sidecar->file_name.empty() && sidecar->file_name != file_name) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": its sha512 sidecar is for \"", sidecar->file_name, "\""));
  }
  const std::string actual = Sha512Hex(content);
  if (actual != sidecar->hex_digest) {
    return absl::DataLossError(
        absl::StrCat("SHA-512 mismatch: ", file_name, " has ", actual, ", its sidecar says ", sidecar->hex_digest));
  }
  return absl::OkStatus();
}

}  // namespace pumptrack::advisories
