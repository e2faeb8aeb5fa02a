#include "engine/string_ids.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pumptrack::engine {
namespace {

TEST(StringIdsTest, DenseIdsInFirstSeenOrderEachTagOnce) {
  StringIds ids;
  EXPECT_EQ(ids.Find("PT-1"), std::nullopt);
  EXPECT_EQ(ids.Intern("PT-1"), std::make_pair(0u, true));
  EXPECT_EQ(ids.Intern("PT-2"), std::make_pair(1u, true));
  EXPECT_EQ(ids.Intern("PT-1"), std::make_pair(0u, false));
  EXPECT_EQ(ids.Find("PT-2"), 1u);
  EXPECT_EQ(ids.Find("PT-3"), std::nullopt);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1], "PT-2");
  ids.clear();
  EXPECT_EQ(ids.size(), 0u);
  EXPECT_EQ(ids.Find("PT-1"), std::nullopt);
  EXPECT_EQ(ids.Intern("PT-2"), std::make_pair(0u, true));
}

// The index hashes ids through the tags: it must find every tag after growing many times, with or without a reserve,
// for tags in and beyond std::string's small buffer.
TEST(StringIdsTest, FindsEveryTagAfterTheIndexGrows) {
  for (std::size_t reserved : {0, 50'000}) {
    StringIds ids;
    ids.reserve(reserved);
    constexpr std::uint32_t kTags = 50'000;
    auto tag_of = [](std::uint32_t i) {
      return i % 2 == 0 ? absl::StrCat("PT-", i) : absl::StrCat("hospital-north/infusion/", i, "/channel-a");
    };
    for (std::uint32_t i = 0; i < kTags; ++i) ASSERT_EQ(ids.Intern(tag_of(i)), std::make_pair(i, true));
    for (std::uint32_t i = 0; i < kTags; ++i) {
      ASSERT_EQ(ids.Find(tag_of(i)), i);
      ASSERT_EQ(ids[i], tag_of(i));
      ASSERT_EQ(ids.Intern(tag_of(i)), std::make_pair(i, false));
    }
    EXPECT_EQ(ids.Find(tag_of(kTags)), std::nullopt);
    EXPECT_EQ(ids.size(), kTags);
    EXPECT_GE(ids.bytes(), kTags * sizeof(std::string));
  }
}

}  // namespace
}  // namespace pumptrack::engine
