#ifndef PUMPTRACK_ADVISORIES_VERSION_ORDER_H_
#define PUMPTRACK_ADVISORIES_VERSION_ORDER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pumptrack::advisories {

// The longest version text accepted anywhere in advisories (a bound in a range, a reported version).
inline constexpr std::size_t kMaxVersionLength = 64;

// Checks that `version` is one version as vendors write them: an optional leading "v"/"V" before a digit, then
// letters and digits in groups separated by '.', '-', '_' or '+' (e.g. "12.1.3", "v22D24", "U61", "4.2.0-rc1",
// "028U000061"); at most kMaxVersionLength characters. Refuses, with INVALID_ARGUMENT naming the text and why:
// blanks or any other character (prose, parentheses, "/"), a wildcard group ("6.x", "6.*"), and dates
// ("2019-07-18", "2019.07.18"), which are not versions even though they look ordered.
absl::Status CheckVersionSyntax(absl::string_view version);

// Orders two versions in natural order; returns <0, 0 or >0. Defined for any text; meant for text that passes
// CheckVersionSyntax.
//   - A leading "v" or "V" directly followed by a digit is dropped: "v22D24" == "22D24".
//   - The rest splits into runs of digits and runs of letters; '.', '-', '_', '+', '~' and blanks only end a run
//     ("12.1.3" → 12, 1, 3; "v22D24" → 22, D, 24; "4.2.0-rc1" → 4, 2, 0, rc, 1).
//   - Runs are compared pairwise: digits numerically (any length, leading zeros ignored: "8.00.01" == "8.0.1"),
//     letters lexically ignoring ASCII case, and a digit run sorts before a letter run ("22.5" < "22D").
//   - A missing run counts as the number 0, so trailing zeros do not matter ("4.2" == "4.2.0") and a letter suffix
//     sorts after the plain release ("3.0.7" < "3.0.7-hotfix", "1.0" < "1.0-rc1"), as rules::CompareVersions does.
// Where it differs from rules::CompareVersions (which splits only on '.' and compares the text after a component's
// leading digits byte by byte): letters inside a component are split into runs and digits after them compare
// numerically ("rc2" < "rc10", "U7" < "U61"), case is ignored, '-' '_' '+' separate like '.', and a leading "v" is
// dropped. For plain dotted numbers ("12.1.3") both agree.
int CompareVersionsNaturally(absl::string_view a, absl::string_view b);

// The product line of a version: the letters it starts with (after a dropped leading "v"), upper-cased; "" when it
// starts with a digit. "U61" → "U", "L81" → "L", "v22D24" → "", "12.1.3" → "".
std::string ProductLine(absl::string_view version);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8 sequence, for quoting
// long input in messages that are stored (proto strings must stay valid UTF-8).
absl::string_view Utf8Prefix(absl::string_view text, std::size_t max_bytes);

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_VERSION_ORDER_H_
