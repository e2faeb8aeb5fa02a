#include "common/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace pumptrack {
namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status Check(bool ok) { return ok ? absl::OkStatus() : absl::NotFoundError("missing"); }

absl::StatusOr<int> Quarter(int n, int* evaluations) {
  ++*evaluations;
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

absl::Status Both(bool first, bool second) {
  RETURN_IF_ERROR(Check(first));
  RETURN_IF_ERROR(Half(second ? 2 : 3));  // a StatusOr's status
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<std::string>> MoveOnly(bool ok) {
  auto make = [ok]() -> absl::StatusOr<std::unique_ptr<std::string>> {
    if (!ok) return absl::UnavailableError("down");
    return std::make_unique<std::string>("moved");
  };
  ASSIGN_OR_RETURN(std::unique_ptr<std::string> value, make());
  return value;
}

TEST(StatusMacrosTest, AssignOrReturnGivesTheValueOrTheFirstError) {
  int evaluations = 0;
  EXPECT_EQ(Quarter(8, &evaluations).value(), 2);
  EXPECT_EQ(Quarter(6, &evaluations).status().message(), "odd");  // 6 / 2 = 3 is odd
  EXPECT_EQ(Quarter(5, &evaluations).status().message(), "odd");
  EXPECT_EQ(evaluations, 3);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheStatusAsItIs) {
  EXPECT_TRUE(Both(true, true).ok());
  EXPECT_TRUE(absl::IsNotFound(Both(false, true)));
  EXPECT_TRUE(absl::IsInvalidArgument(Both(true, false)));
}

TEST(StatusMacrosTest, MoveOnlyValues) {
  EXPECT_EQ(*MoveOnly(true).value(), "moved");
  EXPECT_TRUE(absl::IsUnavailable(MoveOnly(false).status()));
}

}  // namespace
}  // namespace pumptrack
