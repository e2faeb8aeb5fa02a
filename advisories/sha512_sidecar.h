#ifndef PUMPTRACK_ADVISORIES_SHA512_SIDECAR_H_
#define PUMPTRACK_ADVISORIES_SHA512_SIDECAR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pumptrack::advisories {

// The lowercase hex SHA-512 of `bytes` (128 characters).
std::string Sha512Hex(absl::string_view bytes);

// What a `.sha512` sidecar file says.
struct Sha512Sidecar {
  // Lowercase hex, 128 characters.
  std::string hex_digest;
  // The file name after the digest ("icsma-23-193-01.json"), without sha512sum's binary-mode '*'; empty for a bare
  // digest.
  std::string file_name;
};

// Parses a sidecar as sha512sum and CISA write it: "<128 hex digits><blanks><file name>" or the bare digest, with an
// optional trailing newline; hex in either case. Returns INVALID_ARGUMENT naming what is wrong for anything else
// (another digest length, non-hex, more than one line, a sidecar over 4 KiB).
absl::StatusOr<Sha512Sidecar> ParseSha512Sidecar(absl::string_view text);

// Verifies `content` (the bytes of the file called `file_name`, a base name) against its sidecar's text. Returns OK
// when the digests match and the sidecar names no file or names `file_name`; INVALID_ARGUMENT when the sidecar cannot
// be parsed or names another file; DATA_LOSS "SHA-512 mismatch: ..." (both digests named) when the digests differ.
absl::Status VerifySha512Sidecar(absl::string_view content, absl::string_view file_name,
                                 absl::string_view sidecar_text);

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_SHA512_SIDECAR_H_
