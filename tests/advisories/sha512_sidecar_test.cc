#include "advisories/sha512_sidecar.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/advisories/fixtures.h"

namespace pumptrack::advisories {
namespace {

using testing::ReadFixture;

TEST(Sha512Test, KnownDigest) {
  EXPECT_EQ(Sha512Hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423"
            "643ce80e2a9ac94fa54ca49f");
}

TEST(Sha512SidecarTest, EveryFixtureVerifiesAgainstItsSidecar) {
  for (const char* name : {"icsma-23-193-01.json", "icsma-21-294-01.json", "icsma-22-251-01.json",
                           "icsma-17-250-02-v1.json", "icsma-17-250-02-v2.json"}) {
    const std::string content = ReadFixture(name);
    const std::string sidecar = ReadFixture(absl::StrCat(name, ".sha512"));
    ASSERT_FALSE(content.empty()) << name;
    ASSERT_FALSE(sidecar.empty()) << name;
    EXPECT_TRUE(VerifySha512Sidecar(content, name, sidecar).ok()) << name;
  }
}

TEST(Sha512SidecarTest, ParsesTheForms) {
  const std::string hex = Sha512Hex("abc");
  // CISA writes four blanks; sha512sum two, or " *" in binary mode; a bare digest; upper-case hex.
  for (const std::string& text :
       {absl::StrCat(hex, "    a.json"), absl::StrCat(hex, "  a.json\n"), absl::StrCat(hex, " *a.json\r\n")}) {
    absl::StatusOr<Sha512Sidecar> sidecar = ParseSha512Sidecar(text);
    ASSERT_TRUE(sidecar.ok()) << text << ": " << sidecar.status();
    EXPECT_EQ(sidecar->hex_digest, hex);
    EXPECT_EQ(sidecar->file_name, "a.json");
  }
  absl::StatusOr<Sha512Sidecar> bare = ParseSha512Sidecar(absl::AsciiStrToUpper(hex) + "\n");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->hex_digest, hex);
  EXPECT_EQ(bare->file_name, "");
}

TEST(Sha512SidecarTest, RefusesMalformedSidecars) {
  const std::string hex = Sha512Hex("abc");
  EXPECT_EQ(ParseSha512Sidecar("").status().message(), "sha512 sidecar: expected 128 hex digits, found 0");
  EXPECT_EQ(ParseSha512Sidecar(hex.substr(0, 64)).status().message(),
            "sha512 sidecar: expected 128 hex digits, found 64");
  EXPECT_EQ(ParseSha512Sidecar(hex + "0").status().message(), "sha512 sidecar: expected 128 hex digits, found 129");
  EXPECT_EQ(ParseSha512Sidecar(hex + "x a.json").status().message(),
            "sha512 sidecar: the digest is not followed by a blank");
  EXPECT_EQ(ParseSha512Sidecar(absl::StrCat(hex, "  a.json\n", hex, "  b.json\n")).status().message(),
            "sha512 sidecar: more than one line");
  EXPECT_EQ(ParseSha512Sidecar(std::string(5000, 'a')).status().message(), "sha512 sidecar: larger than 4 KiB");
}

TEST(Sha512SidecarTest, RefusesABadSum) {
  std::string content = ReadFixture("icsma-23-193-01.json");
  const std::string sidecar = ReadFixture("icsma-23-193-01.json.sha512");
  content[content.size() / 2] ^= 1;  // One flipped bit.
  const absl::Status status = VerifySha512Sidecar(content, "icsma-23-193-01.json", sidecar);
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_EQ(status.message(), absl::StrCat("SHA-512 mismatch: icsma-23-193-01.json has ", Sha512Hex(content),
                                           ", its sidecar says ", sidecar.substr(0, 128)));
}

TEST(Sha512SidecarTest, RefusesASidecarForAnotherFile) {
  const std::string content = ReadFixture("icsma-23-193-01.json");
  const absl::Status status =
      VerifySha512Sidecar(content, "icsma-23-193-01.json", ReadFixture("icsma-21-294-01.json.sha512"));
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "icsma-23-193-01.json: its sha512 sidecar is for \"icsma-21-294-01.json\"");
  // A bare digest names no file; the digests then decide.
  EXPECT_TRUE(absl::IsDataLoss(
      VerifySha512Sidecar(content, "icsma-23-193-01.json", ReadFixture("icsma-22-251-01.json.sha512"))));
}

}  // namespace
}  // namespace pumptrack::advisories
