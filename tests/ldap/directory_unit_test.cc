// RFC 4515 escaping and the group -> role map: pure functions, no directory.
#include <string>

#include "directory/filter.h"
#include "directory/role_map.h"
#include "gtest/gtest.h"

namespace pumptrack::directory {
namespace {

using std::string_literals::operator""s;

TEST(EscapeFilterValueTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(EscapeFilterValue("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  EXPECT_EQ(EscapeFilterValue("a\\b"), "a\\5cb");
  EXPECT_EQ(EscapeFilterValue("a\0b"s), "a\\00b");
  EXPECT_EQ(EscapeFilterValue("(admin)"), "\\28admin\\29");
  EXPECT_EQ(EscapeFilterValue("\\00"), "\\5c00");  // an escape typed by the user is itself escaped
}

TEST(EscapeFilterValueTest, KeepsOrdinaryAndNonAsciiBytes) {
  EXPECT_EQ(EscapeFilterValue("alice.smith-2@x"), "alice.smith-2@x");
  EXPECT_EQ(EscapeFilterValue("zo\xc3\xab"), "zo\xc3\xab");
  EXPECT_EQ(EscapeFilterValue("\xe5\xbc\xa0\xe4\xbc\x9f"), "\xe5\xbc\xa0\xe4\xbc\x9f");
  EXPECT_EQ(EscapeFilterValue(""), "");
}

TEST(UserFilterTest, SubstitutesEveryPlaceholderEscaped) {
  absl::StatusOr<std::string> filter = UserFilter("(|(uid={user})(mail={user}))", "*)(uid=*");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(*filter, "(|(uid=\\2a\\29\\28uid=\\2a)(mail=\\2a\\29\\28uid=\\2a))");
  EXPECT_EQ(*UserFilter("(sAMAccountName={user})", "jdoe"), "(sAMAccountName=jdoe)");
}

TEST(UserFilterTest, RefusesTemplatesWithoutPlaceholderOrParentheses) {
  EXPECT_EQ(UserFilter("(uid=alice)", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UserFilter("uid={user}", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RoleMapTest, HighestMappedRoleWinsAndDnsCompareNormalised) {
  absl::StatusOr<RoleMap> map = RoleMap::Parse(
      "# comment\n\n"
      "viewer        CN=Nurses,OU=Groups,DC=h,DC=example\n"
      "asset_manager cn=biomed, ou=groups, dc=h, dc=example\n"
      "admin\tcn=IT Admins,ou=groups,dc=h,dc=example\n");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->size(), 3u);
  EXPECT_EQ(map->RoleFor({"cn=nurses,ou=groups,dc=h,dc=example"}), v1::ROLE_VIEWER);
  EXPECT_EQ(map->RoleFor({"cn=nurses,ou=groups,dc=h,dc=example", "CN=Biomed,OU=Groups,DC=h,DC=example"}),
            v1::ROLE_ASSET_MANAGER);
  EXPECT_EQ(map->RoleFor({"CN=IT Admins,OU=Groups,DC=h,DC=example", "cn=nurses,ou=groups,dc=h,dc=example"}),
            v1::ROLE_ADMIN);
  EXPECT_EQ(map->RoleFor({"cn=cafeteria,ou=groups,dc=h,dc=example"}), v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(map->RoleFor({}), v1::ROLE_UNSPECIFIED);
  // A DN that only contains a mapped DN is not that group.
  EXPECT_EQ(map->RoleFor({"cn=x,cn=nurses,ou=groups,dc=h,dc=example"}), v1::ROLE_UNSPECIFIED);
}

// Every role a token can carry can be granted by a group, technician (clinical engineering) included.
TEST(RoleMapTest, TechnicianIsGrantedAndRanksBelowAssetManager) {
  absl::StatusOr<RoleMap> map = RoleMap::Parse(
      "transport     cn=porters,ou=groups,dc=h,dc=example\n"
      "technician    cn=biomed,ou=groups,dc=h,dc=example\n"
      "asset_manager cn=assets,ou=groups,dc=h,dc=example\n");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->RoleFor({"cn=biomed,ou=groups,dc=h,dc=example"}), v1::ROLE_TECHNICIAN);
  EXPECT_EQ(map->RoleFor({"cn=porters,ou=groups,dc=h,dc=example", "cn=biomed,ou=groups,dc=h,dc=example"}),
            v1::ROLE_TECHNICIAN);
  EXPECT_EQ(map->RoleFor({"cn=biomed,ou=groups,dc=h,dc=example", "cn=assets,ou=groups,dc=h,dc=example"}),
            v1::ROLE_ASSET_MANAGER);
}

TEST(RoleMapTest, RefusesBadLinesNamingThem) {
  absl::StatusOr<RoleMap> unknown = RoleMap::Parse("viewer cn=a,dc=x\nsuperuser cn=b,dc=x\n");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("line 2"), std::string::npos) << unknown.status();
  EXPECT_EQ(RoleMap::Parse("admin\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoleMap::Parse("admin nodn\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoleMap::Parse("admin cn=a,dc=x\nviewer CN=A, DC=X\n").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pumptrack::directory
