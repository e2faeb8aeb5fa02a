// libFuzzer target: version ranges and the natural-order comparator (advisories::VersionRange, advisories/
// version_order.h). Input: the range text, then (after the first newline) a reported version. Range text comes from
// advisories and versions from pumps, so neither may crash or hang. Invariants: a refused range is INVALID_ARGUMENT
// with a reason; an accepted range serializes (valid UTF-8) and survives its proto round trip; Check answers for every
// version and gives a reason exactly when it needs review; every bound of an accepted range is a valid version and the
// comparator is antisymmetric and reflexive on it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "advisories/version_order.h"
#include "advisories/version_range.h"
#include "tests/fuzz/require.h"

namespace {

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "range_fuzzer", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace adv = pumptrack::advisories;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const absl::string_view text = input.substr(0, newline);
  const absl::string_view version = newline == absl::string_view::npos ? "" : input.substr(newline + 1);

  const int c = adv::CompareVersionsNaturally(text, version);
  Require(c == -adv::CompareVersionsNaturally(version, text), "the comparator is not antisymmetric");
  Require(adv::CompareVersionsNaturally(version, version) == 0, "the comparator is not reflexive");

  absl::StatusOr<adv::VersionRange> range = adv::VersionRange::Parse(text);
  if (!range.ok()) {
    Require(absl::IsInvalidArgument(range.status()), "a refused range is not INVALID_ARGUMENT");
    Require(!range.status().message().empty(), "a refused range has no reason");
  } else {
    pumptrack::v1::ParsedVersionRange copy;
    Require(copy.ParseFromString(range->proto().SerializeAsString()),
            "an accepted range does not survive serialization");
    absl::StatusOr<adv::VersionRange> again = adv::VersionRange::FromProto(range->proto());
    Require(again.ok(), "an accepted range's own proto is refused");
    Require(again->proto().SerializeAsString() == range->proto().SerializeAsString(),
            "an accepted range changes on its round trip");
    for (const pumptrack::v1::VersionConstraint& bound : range->proto().constraints()) {
      Require(adv::CheckVersionSyntax(bound.version()).ok(), "an accepted range holds a bound that is not a version");
    }
    const adv::RangeCheck check = range->Check(version);
    Require((check.answer == adv::RangeAnswer::kNeedsReview) == !check.reason.empty(),
            "a range check gives a reason exactly when it needs review");
    Require(check.answer == again->Check(version).answer, "a range and its round trip disagree");
  }

  absl::StatusOr<adv::VersionRange> exact = adv::VersionRange::ParseExact(version);
  if (exact.ok()) {
    Require(exact->Check(version).answer == adv::RangeAnswer::kInside, "a version is not in its own exact range");
  }
  return 0;
}
