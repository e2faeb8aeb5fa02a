// libFuzzer target: CSAF 2.0 parsing (advisories::ParseCsafAdvisory) and matching what it accepts. An advisory file
// comes from outside (CISA's feed, an operator), so any bytes must be refused cleanly or accepted; never crash, hang
// or exhaust the stack. An accepted advisory must compile into a matcher (every parsed range validates again) and
// answer for any reported version; what it stores must serialize and parse back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "advisories/csaf_parser.h"
#include "advisories/matcher.h"
#include "advisories/version_range.h"
#include "tests/fuzz/require.h"

namespace {

void Require(bool condition, const char* what) { pumptrack::fuzz::Require(condition, "csaf_fuzzer", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace adv = pumptrack::advisories;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<pumptrack::v1::Advisory> advisory = adv::ParseCsafAdvisory(text);
  if (!advisory.ok()) {
    Require(absl::IsInvalidArgument(advisory.status()), "a refused file is not INVALID_ARGUMENT");
    Require(!advisory.status().message().empty(), "a refused file has no reason");
    return 0;
  }
  Require(!advisory->tracking_id().empty(), "an accepted advisory has no tracking id");
  Require(advisory->sha512().size() == 128, "an accepted advisory has no SHA-512");
  // Every string is valid UTF-8: what is stored must parse back.
  pumptrack::v1::Advisory copy;
  Require(copy.ParseFromString(advisory->SerializeAsString()), "an accepted advisory does not survive serialization");
  for (const pumptrack::v1::AdvisoryProduct& product : advisory->products()) {
    Require(product.needs_review() != product.has_range(), "a product has both or neither a range and a review");
    Require(!product.needs_review() || !product.review_reason().empty(), "a product needs review without a reason");
  }
  absl::StatusOr<adv::AdvisoryMatcher> matcher = adv::AdvisoryMatcher::Compile(*advisory);
  Require(matcher.ok(), "an accepted advisory does not compile into a matcher");
  for (const pumptrack::v1::AdvisoryProduct& product : advisory->products()) {
    const adv::AdvisoryProductRef ref{product.vendor(), product.product_name()};
    Require(matcher->Names(ref), "the matcher does not name a product of its advisory");
    for (const char* version : {"1.0", "U61", "v22D24", "12.1.3", ""}) {
      const adv::MatchResult result = matcher->Match(ref, version);
      Require(!result.reason.empty(), "a match has no reason");
    }
    if (product.has_range()) {
      for (const pumptrack::v1::VersionConstraint& bound : product.range().constraints()) {
        (void)matcher->Match(ref, bound.version());
      }
    }
  }
  return 0;
}
