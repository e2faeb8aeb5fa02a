// Unit tests for storage/keys.h: layouts, round trips, ordering and prefix isolation of every key pumptrack writes.
#include "storage/keys.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pumptrack::storage::keys {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

absl::Time T(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), absl::UTCTimeZone());
}

// True when `key` lies in [prefix, PrefixSuccessor(prefix)), i.e. a prefix scan of `prefix` would visit it.
bool InPrefixRange(absl::string_view key, absl::string_view prefix) {
  const std::string end = PrefixSuccessor(prefix);
  return key >= prefix && (end.empty() || key < absl::string_view(end));
}

TEST(KeysTest, DeviceKeyLayoutAndRoundTrip) {
  const std::string key = DeviceKey("PT-00042");
  EXPECT_EQ(key, std::string("\x01PT-00042"));
  absl::StatusOr<std::string> tag = ParseDeviceKey(key);
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(*tag, "PT-00042");

  // Serial keys share the layout but live in their own family.
  EXPECT_EQ(SerialKey("AM5-1234-XYZ"), std::string("\x01"
                                                   "AM5-1234-XYZ"));
}

TEST(KeysTest, ParseDeviceKeyRejectsMalformedKeysWithDataLoss) {
  for (absl::string_view bad : {absl::string_view(""), absl::string_view("\x01", 1), absl::string_view("\x02PT-1", 5),
                                absl::string_view("PT-1")}) {
    absl::StatusOr<std::string> tag = ParseDeviceKey(bad);
    EXPECT_EQ(tag.status().code(), absl::StatusCode::kDataLoss) << "key of " << bad.size() << " bytes";
    EXPECT_THAT(std::string(tag.status().message()), HasSubstr("malformed device key"));
  }
}

TEST(KeysTest, DeviceIndexKeyLayoutAndRoundTrip) {
  const std::string prefix = DeviceIndexPrefix(IndexDimension::kUnit, "5-west");
  EXPECT_EQ(prefix, std::string("\x01\x02\x06"
                                "5-west"));
  const std::string key = DeviceIndexKey(IndexDimension::kUnit, "5-west", "PT-00042");
  EXPECT_EQ(key, prefix + "PT-00042");

  absl::StatusOr<std::string> tag = ParseDeviceIndexKey(prefix, key);
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(*tag, "PT-00042");

  // The dimension byte separates equal values of different dimensions.
  EXPECT_NE(DeviceIndexPrefix(IndexDimension::kFacility, "x"), DeviceIndexPrefix(IndexDimension::kModel, "x"));
  EXPECT_EQ(DeviceIndexPrefix(IndexDimension::kOperatingState, "OPERATING_STATE_IDLE")[1], '\x05');

  // A key that is only the prefix, or has another prefix, is malformed.
  EXPECT_EQ(ParseDeviceIndexKey(prefix, prefix).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseDeviceIndexKey(DeviceIndexPrefix(IndexDimension::kUnit, "4-east"), key).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeysTest, HistoryKeyRoundTrip) {
  const absl::Time observed_at = T(2026, 3, 2, 8, 15, 30) + absl::Microseconds(123456);
  for (std::uint64_t sequence : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{987654321}, kMax64}) {
    const std::string key = HistoryKey("PT-00042", observed_at, sequence);
    // [version][len]["PT-00042"][8 bytes inverted micros][8 bytes inverted sequence]
    ASSERT_EQ(key.size(), 1u + 1u + 8u + 16u);
    EXPECT_EQ(key.substr(0, 10), HistoryPrefix("PT-00042"));
    EXPECT_EQ(key.substr(0, 10), std::string("\x01\x08PT-00042"));

    absl::StatusOr<HistoryKeyParts> parts = ParseHistoryKey(key);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->asset_tag, "PT-00042");
    EXPECT_EQ(parts->observed_at, observed_at);
    EXPECT_EQ(parts->sequence, sequence);
  }
  // Micros are inverted big-endian: the epoch is all 0xff.
  const std::string epoch_key = HistoryKey("A", absl::UnixEpoch(), 0);
  EXPECT_EQ(epoch_key.substr(3, 8), std::string(8, '\xff'));
  EXPECT_EQ(epoch_key.substr(11, 8), std::string(8, '\xff'));
}

TEST(KeysTest, HistoryKeyClampsTimesBeforeEpoch) {
  absl::StatusOr<HistoryKeyParts> parts = ParseHistoryKey(HistoryKey("PT-1", T(1969, 7, 20, 20, 17, 0), 5));
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->observed_at, absl::UnixEpoch());
  EXPECT_EQ(parts->sequence, 5u);
  EXPECT_EQ(HistoryKey("PT-1", absl::InfinitePast(), 5), HistoryKey("PT-1", absl::UnixEpoch(), 5));
}

TEST(KeysTest, HistoryKeysOfOneTagSortNewestFirst) {
  const absl::Time base = T(2026, 3, 2, 8, 0, 0);
  std::vector<absl::Time> times = {base,
                                   base + absl::Microseconds(1),
                                   base + absl::Seconds(1),
                                   base + absl::Seconds(256),  // crosses a byte boundary
                                   base + absl::Hours(24 * 365),
                                   base - absl::Hours(24 * 365 * 20)};
  std::vector<std::string> keys;
  for (absl::Time t : times) keys.push_back(HistoryKey("PT-00042", t, 1));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  std::vector<absl::Time> order;
  for (const std::string& key : sorted) order.push_back(ParseHistoryKey(key)->observed_at);
  std::vector<absl::Time> newest_first = times;
  std::sort(newest_first.begin(), newest_first.end(), [](absl::Time a, absl::Time b) { return a > b; });
  EXPECT_EQ(order, newest_first);
}

TEST(KeysTest, HistoryKeysWithEqualTimeSortHigherSequenceFirst) {
  const absl::Time t = T(2026, 3, 2, 8, 0, 0);
  EXPECT_LT(HistoryKey("PT-1", t, 2), HistoryKey("PT-1", t, 1));
  EXPECT_LT(HistoryKey("PT-1", t, 256), HistoryKey("PT-1", t, 255));
  EXPECT_LT(HistoryKey("PT-1", t, kMax64), HistoryKey("PT-1", t, 0));
  // Time dominates sequence: a newer observation with a lower sequence still sorts first.
  EXPECT_LT(HistoryKey("PT-1", t + absl::Microseconds(1), 1), HistoryKey("PT-1", t, 1000));
}

TEST(KeysTest, BigEndianIntegersRoundTripAndSortNumerically) {
  std::string out;
  AppendBigEndian32(out, 0x01020304u);
  AppendBigEndian64(out, 0x0a0b0c0d0e0f1011ull);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11"));
  absl::string_view in = out;
  EXPECT_EQ(ConsumeBigEndian32(in), 0x01020304u);
  EXPECT_EQ(ConsumeBigEndian64(in), 0x0a0b0c0d0e0f1011ull);
  EXPECT_TRUE(in.empty());

  absl::string_view short_in("\x01\x02\x03", 3);
  EXPECT_EQ(ConsumeBigEndian32(short_in), std::nullopt);
  EXPECT_EQ(short_in.size(), 3u);  // nothing consumed on failure
  absl::string_view seven("1234567");
  EXPECT_EQ(ConsumeBigEndian64(seven), std::nullopt);

  std::string a, b;
  AppendBigEndian64(a, 255);
  AppendBigEndian64(b, 256);
  EXPECT_LT(a, b);
}

TEST(KeysTest, AuditTokenAndAgentKeys) {
  EXPECT_EQ(AuditKey(1), std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9));
  for (std::uint64_t index : {std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{256}, kMax64}) {
    absl::StatusOr<std::uint64_t> parsed = ParseAuditKey(AuditKey(index));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, index);
  }
  EXPECT_LT(AuditKey(255), AuditKey(256));  // chain order is key order
  EXPECT_EQ(ParseAuditKey(AuditKey(7).substr(0, 8)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseAuditKey(AuditKey(7) + "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseAuditKey("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(TokenKey("hash"), std::string("\x01hash"));
  EXPECT_EQ(AgentKey("gw-5west-01"), std::string("\x01gw-5west-01"));
}

TEST(KeysTest, PrefixSuccessorEdgeCases) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("ab\xff", 3)), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\x01\xfe", 2)), std::string("\x01\xff", 2));
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff\xff", 3)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  // The successor is greater than every extension of the prefix.
  const std::string prefix = HistoryPrefix("PT-1");
  EXPECT_LT(HistoryKey("PT-1", absl::UnixEpoch(), 0), PrefixSuccessor(prefix));
  EXPECT_LT(HistoryKey("PT-1", absl::InfiniteFuture(), kMax64), PrefixSuccessor(prefix));
}

TEST(KeysTest, ParseHistoryKeyRejectsTruncatedAndGarbageKeysWithDataLoss) {
  const std::string good = HistoryKey("PT-00042", T(2026, 3, 2, 8, 0, 0), 7);
  ASSERT_TRUE(ParseHistoryKey(good).ok());

  std::vector<std::string> bad = {
      "",
      std::string("\x01", 1),
      "garbage",
      good.substr(0, good.size() - 1),                        // truncated sequence
      good.substr(0, good.size() - 8),                        // missing sequence
      good.substr(0, 10),                                     // prefix only
      std::string("\x02") + good.substr(1),                   // unknown key version
      std::string("\x01\x00", 2) + good.substr(10),           // empty asset tag
      std::string("\x01\x40PT-00042", 10) + good.substr(10),  // length prefix beyond the key
  };
  // Inverted micros that decode to more than INT64_MAX micros.
  std::string overflow = HistoryPrefix("PT-1");
  AppendBigEndian64(overflow, 0);  // inverted 0 == UINT64_MAX micros
  AppendBigEndian64(overflow, 0);
  bad.push_back(overflow);

  for (const std::string& key : bad) {
    absl::StatusOr<HistoryKeyParts> parts = ParseHistoryKey(key);
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kDataLoss) << "key of " << key.size() << " bytes";
    EXPECT_THAT(std::string(parts.status().message()), HasSubstr("malformed history key"));
  }
}

TEST(KeysTest, HistoryKeyCarriesTheAgentIdAfterTheSequence) {
  const std::string key = HistoryKey("PT-00042", T(2026, 3, 2, 8, 0, 0), 7, "gw-5west-01");
  absl::StatusOr<HistoryKeyParts> parts = ParseHistoryKey(key);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->asset_tag, "PT-00042");
  EXPECT_EQ(parts->sequence, 7u);
  EXPECT_EQ(parts->agent_id, "gw-5west-01");
  // Entries that differ only by agent sort after the agent-less key of the same time and sequence.
  EXPECT_LT(HistoryKey("PT-00042", T(2026, 3, 2, 8, 0, 0), 7), key);
}

TEST(KeysTest, TagIsNeverInsideAnotherTagsPrefixRange) {
  const absl::Time t = T(2026, 3, 2, 8, 0, 0);
  const std::vector<std::string> tags = {"A", "AB", "A-", "B", "A0"};
  for (const std::string& owner : tags) {
    for (const std::string& other : tags) {
      if (owner == other) continue;
      for (absl::Time when : {absl::UnixEpoch(), t, absl::InfiniteFuture()}) {
        for (std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{1}, kMax64}) {
          EXPECT_FALSE(InPrefixRange(HistoryKey(owner, when, seq), HistoryPrefix(other)))
              << "history key of " << owner << " inside prefix of " << other;
          EXPECT_TRUE(InPrefixRange(HistoryKey(owner, when, seq), HistoryPrefix(owner)));
        }
      }
      // Index values are length-prefixed too: value "A" never matches a scan of value "AB" and vice versa.
      EXPECT_FALSE(InPrefixRange(DeviceIndexKey(IndexDimension::kUnit, owner, "PT-1"),
                                 DeviceIndexPrefix(IndexDimension::kUnit, other)));
    }
  }
  // Explicitly, the two named in the requirement.
  EXPECT_FALSE(InPrefixRange(HistoryKey("A", t, 1), HistoryPrefix("AB")));
  EXPECT_FALSE(InPrefixRange(HistoryKey("AB", t, 1), HistoryPrefix("A")));
}

}  // namespace
}  // namespace pumptrack::storage::keys
