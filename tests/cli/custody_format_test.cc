// The custody renderings on their own: the cases the command-line tests do not reach.
#include "cli/custody_format.h"

#include <sstream>
#include <string>
#include <vector>

#include "cli/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_inventory_service.h"
#include "tests/cli/run_cli.h"

namespace pumptrack::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Lines;
using testing::TestNow;

TEST(CustodyNamesTest, AnUnspecifiedStateReadsAvailable) {
  EXPECT_EQ(CustodyStateName(v1::CUSTODY_STATE_UNSPECIFIED), "available");
  EXPECT_EQ(CustodyStateName(v1::CUSTODY_STATE_IN_MAINTENANCE), "in maintenance");
  EXPECT_EQ(CustodyStateName(static_cast<v1::CustodyState>(99)), "unknown");
  EXPECT_EQ(CustodyActionName(v1::CUSTODY_ACTION_SET_MAINTENANCE), "maintenance");
  EXPECT_EQ(CustodyActionName(v1::CUSTODY_ACTION_UNSPECIFIED), "unknown");
  EXPECT_EQ(ProximityName(v1::PROXIMITY_OTHER_FACILITY), "other facility");
  EXPECT_EQ(ProximityName(v1::PROXIMITY_UNSPECIFIED), "unknown");
}

v1::CustodyResult Quarantined(std::vector<std::string> gate_failures, std::vector<std::string> quarantine_reasons) {
  v1::CustodyResult result;
  result.mutable_custody()->set_state(v1::CUSTODY_STATE_QUARANTINED);
  for (const std::string& reason : quarantine_reasons) result.mutable_custody()->add_quarantine_reasons(reason);
  result.mutable_event()->set_facility("general");
  result.mutable_event()->set_unit("icu-1");
  for (const std::string& failure : gate_failures) result.mutable_event()->add_gate_failures(failure);
  return result;
}

TEST(CheckInOutcomeTest, FallsBackToTheQuarantineReasonsWhenTheEventListsNone) {
  std::ostringstream out;
  PrintCheckInOutcome("PT-1", Quarantined({}, {"open INSECURE finding F-2"}), out);
  EXPECT_THAT(Lines(out.str()), ElementsAre("FAILED the check-in gate: PT-1 is QUARANTINED at general/icu-1.",
                                            "  - open INSECURE finding F-2", HasSubstr("custody release PT-1")));
}

TEST(CheckInOutcomeTest, SaysWhenTheServiceGaveNoReason) {
  std::ostringstream out;
  PrintCheckInOutcome("PT-1", Quarantined({}, {}), out);
  EXPECT_THAT(out.str(), HasSubstr("\n  - (the service gave no reason)\n"));
}

TEST(CheckInOutcomeTest, ReasonsCannotDriveTheTerminal) {
  std::ostringstream out;
  PrintCheckInOutcome("PT-1", Quarantined({"seal\x1b[2J broken\nfake line"}, {}), out);
  EXPECT_THAT(Lines(out.str()), ElementsAre(HasSubstr("QUARANTINED"), "  - seal\\x1b[2J broken\\nfake line",
                                            HasSubstr("custody release")));
}

TEST(RetiredTest, SaysSoWhenNoCredentialsWipeWasRecorded) {
  v1::CustodyResult result;
  result.mutable_custody()->set_state(v1::CUSTODY_STATE_RETIRED);
  std::ostringstream out;
  PrintRetired("PT-1", result, out);
  EXPECT_THAT(Lines(out.str()),
              ElementsAre("PT-1 is now retired", "The service did not record a credentials wipe for PT-1."));
}

TEST(CheckoutTableTest, TheServicesOverdueVerdictWinsOverTheLocalClock) {
  v1::CheckedOutPump checkout;
  checkout.set_asset_tag("PT-1");
  *checkout.mutable_custody()->mutable_due_at() = ToProtoTimestamp(TestNow() + absl::Minutes(5));
  checkout.set_overdue(true);
  std::ostringstream out;
  PrintCheckoutTable({&checkout, 1}, TestNow(), out);
  EXPECT_THAT(out.str(), HasSubstr("OVERDUE (in 5m)"));
}

TEST(ParLevelTest, ReadsAtOrAbovePar) {
  v1::FindAvailableResponse response;
  response.set_par_level(2);
  response.set_available_in_unit(2);
  EXPECT_EQ(FormatParLevel("icu-1", response), "icu-1: 2 available, PAR level 2");
}

TEST(CustodyDetailsTest, ARetiredPumpSaysWhetherItsCredentialsWereWiped) {
  v1::Custody custody;
  custody.set_state(v1::CUSTODY_STATE_RETIRED);
  custody.set_credentials_wiped(true);
  custody.set_updated_by("root");
  *custody.mutable_updated_at() = ToProtoTimestamp(TestNow() - absl::Minutes(3));
  DetailBlock block;
  AddCustodyDetails(custody, TestNow(), block);
  std::ostringstream out;
  block.Print(out);
  EXPECT_THAT(Lines(out.str()), ElementsAre("Custody:            retired", "Credentials wiped:  yes",
                                            "Custody updated:    2026-11-29 10:02:00Z (3m ago) by root"));
}

}  // namespace
}  // namespace pumptrack::cli
