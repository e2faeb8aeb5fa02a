#ifndef PUMPTRACK_ADVISORIES_VERSION_RANGE_H_
#define PUMPTRACK_ADVISORIES_VERSION_RANGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pumptrack/v1/advisory.pb.h"

namespace pumptrack::advisories {

// The longest range text parsed; longer text needs review.
inline constexpr std::size_t kMaxRangeTextLength = 512;
// The most constraints in one range.
inline constexpr int kMaxRangeConstraints = 64;

// Whether a reported version is in a range.
enum class RangeAnswer {
  kInside,
  kOutside,
  // The range cannot say: the reported version is not a version, or (in an operator list) its product line is
  // none of the lines the range names. `reason` says which.
  kNeedsReview,
};

struct RangeCheck {
  RangeAnswer answer = RangeAnswer::kNeedsReview;
  // One sentence; empty for kInside and kOutside.
  std::string reason;
};

// A parsed, validated version range (see docs/ADVISORIES.md for the grammar). Immutable; thread-safe to share.
//
// Meaning of the constraints, the vers specification's: a version equal to an EQUAL bound is inside; equal to a
// NOT_EQUAL bound, outside; otherwise the remaining bounds, sorted by version, form intervals — a leading upper bound
// ("<= 2") covers everything below it, a lower bound followed by an upper bound (">= 1.1 | <= 1.3.2") the versions
// between, a trailing lower bound everything above. An OPERATOR_LIST applies this separately to each product line
// ("<= U61 | <= L81": "U55" is checked against "<= U61" only).
class VersionRange {
 public:
  // Parses the text of a CSAF product_version_range branch (or any range as an advisory writes it):
  //   - "vers:<scheme>/<c1>|<c2>|..." with scheme generic or intdot, or "vers:<any scheme>/*" (every version);
  //   - an operator list "<op> <version> | <op> <version> ...", op one of = != < <= > >= (blanks allowed);
  //   - a list of exact versions "1.1, 1.5, 1.6" (',' or '|' between them), or one exact version.
  // Returns INVALID_ARGUMENT, naming the text and why, for anything else (prose, dates, wildcards, an unsupported
  // vers scheme, repeated bounds, two lower or two upper bounds in a row, only NOT_EQUAL bounds, more than
  // kMaxRangeConstraints bounds): such a range needs review and is never guessed.
  static absl::StatusOr<VersionRange> Parse(absl::string_view text);

  // One exact version (the name of a CSAF product_version branch). INVALID_ARGUMENT as CheckVersionSyntax.
  static absl::StatusOr<VersionRange> ParseExact(absl::string_view version);

  // introduced <= version < fixed, the policy's VulnerableFirmware bounds (either may be empty: unbounded; both
  // empty: every version). INVALID_ARGUMENT when a bound is not a version or fixed <= introduced.
  static absl::StatusOr<VersionRange> FromBounds(absl::string_view introduced, absl::string_view fixed);

  // A range stored earlier (proto()). Validated as Parse validates; INVALID_ARGUMENT when it does not hold.
  static absl::StatusOr<VersionRange> FromProto(const v1::ParsedVersionRange& range);

  // Whether `reported_version` (as a pump or component reports it) is in the range.
  RangeCheck Check(absl::string_view reported_version) const;

  const v1::ParsedVersionRange& proto() const { return proto_; }

 private:
  explicit VersionRange(v1::ParsedVersionRange proto) : proto_(std::move(proto)) {}

  v1::ParsedVersionRange proto_;
};

// "<=", ">=", ... for a comparator; "?" for UNSPECIFIED.
absl::string_view ComparatorSymbol(v1::VersionComparator comparator);

}  // namespace pumptrack::advisories

#endif  // PUMPTRACK_ADVISORIES_VERSION_RANGE_H_
