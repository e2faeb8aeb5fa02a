// Page tokens and filter fingerprints: pure functions.

#include "service/page_token.h"

#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/inventory_handlers.h"

namespace pumptrack::service {
namespace {

TEST(PageTokenTest, RoundTripsAnyCursor) {
  const std::uint64_t fingerprint = FilterFingerprint({"general", "5-west", "", "", "OPERATING_STATE_UNSPECIFIED"});
  // (Cursors are never empty: an empty one means "no next page" and is never encoded by the handlers.)
  for (const std::string& cursor :
       {std::string("PT-00042"), std::string("x"), std::string("\0\x01\xff\x80 binary", 12), std::string(300, 'x')}) {
    SCOPED_TRACE(cursor);
    const std::string token = EncodePageToken(fingerprint, cursor);
    EXPECT_FALSE(token.empty());
    // URL-safe: only [A-Za-z0-9_-] (web-safe base64, unpadded).
    for (char ch : token) {
      EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << token;
    }
    absl::StatusOr<std::string> decoded = DecodePageToken(token, fingerprint);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, cursor);
  }
}

TEST(PageTokenTest, FingerprintMismatchIsInvalidArgument) {
  const std::uint64_t issued = FilterFingerprint({"general", "5-west"});
  const std::uint64_t other = FilterFingerprint({"general", "4-east"});
  ASSERT_NE(issued, other);
  absl::StatusOr<std::string> decoded = DecodePageToken(EncodePageToken(issued, "PT-1"), other);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(decoded.status().message(), "page_token: ")) << decoded.status();
  EXPECT_TRUE(absl::StrContains(decoded.status().message(), "different filters")) << decoded.status();
}

TEST(PageTokenTest, MalformedTokensAreInvalidArgument) {
  const std::uint64_t fingerprint = FilterFingerprint({"a"});
  std::string wrong_version_raw(9, '\0');
  wrong_version_raw[0] = 0x02;
  wrong_version_raw += "PT-1";
  std::string wrong_version;
  absl::WebSafeBase64Escape(wrong_version_raw, &wrong_version);
  const std::string valid = EncodePageToken(fingerprint, "PT-1");
  for (const std::string& token :
       {std::string("!!!"), std::string("a"), std::string("AAAA"), wrong_version, valid.substr(0, 8), valid + "*"}) {
    SCOPED_TRACE(token);
    absl::StatusOr<std::string> decoded = DecodePageToken(token, fingerprint);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(decoded.status().message(), "page_token: ")) << decoded.status();
  }
}

// Audit, custody history and findings page by a number; none ever issues 0, and all three refuse it alike.
TEST(PageTokenTest, NumericCursorIsNeverZero) {
  const std::uint64_t fingerprint = FilterFingerprint({"PT-00042"});
  EXPECT_EQ(*DecodeNumericPageToken("", fingerprint), 0u);  // the first page
  EXPECT_EQ(*DecodeNumericPageToken(EncodePageToken(fingerprint, "42"), fingerprint), 42u);
  for (const char* cursor : {"0", "-1", "x", "18446744073709551616"}) {
    absl::StatusOr<std::uint64_t> decoded = DecodeNumericPageToken(EncodePageToken(fingerprint, cursor), fingerprint);
    EXPECT_TRUE(absl::IsInvalidArgument(decoded.status())) << cursor;
    EXPECT_EQ(decoded.status().message(), "page_token: is malformed") << cursor;
  }
  EXPECT_TRUE(
      absl::IsInvalidArgument(DecodeNumericPageToken(EncodePageToken(fingerprint + 1, "42"), fingerprint).status()));
}

TEST(PageTokenTest, FingerprintIsStableAndDelimitsParts) {
  // Stable across processes and versions: pin one value (FNV-1a 64 over 4-byte big-endian lengths and bytes).
  EXPECT_EQ(FilterFingerprint({}), 0xcbf29ce484222325ULL);
  EXPECT_EQ(FilterFingerprint({"a", "b"}), FilterFingerprint({"a", "b"}));
  // Length-delimited: moving bytes between parts, or adding an empty part, changes the fingerprint.
  EXPECT_NE(FilterFingerprint({"ab", "c"}), FilterFingerprint({"a", "bc"}));
  EXPECT_NE(FilterFingerprint({"a", ""}), FilterFingerprint({"a"}));
  EXPECT_NE(FilterFingerprint({"", "a"}), FilterFingerprint({"a", ""}));
  EXPECT_NE(FilterFingerprint({"general", "", ""}), FilterFingerprint({"", "general", ""}));
}

TEST(ResolvePageSizeTest, DefaultsAndBounds) {
  EXPECT_EQ(*ResolvePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ResolvePageSize(1), 1);
  EXPECT_EQ(*ResolvePageSize(1000), 1000);
  for (int bad : {-1, 1001, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()}) {
    absl::StatusOr<int> resolved = ResolvePageSize(bad);
    EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(resolved.status().message(), "page_size: ")) << resolved.status();
  }
}

}  // namespace
}  // namespace pumptrack::service
