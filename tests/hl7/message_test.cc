#include "agents/hl7/message.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pumptrack::agents::hl7 {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOru[] =
    "MSH|^~\\&|GW^0012210000000001^EUI-64|ACME|PT|HOSP|20261206120000||ORU^R01^ORU_R01|MSG-1|P|2.6\r"
    "OBR|1|||69985^MDC_DEV_PUMP_INFUS_MDS^MDC\r"
    "OBX|1|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.4|12.1.3||||||F|||||||A^EUI-64~T-1^ASSET\r";

TEST(MessageTest, SplitsSegmentsFieldsComponentsAndRepetitions) {
  absl::StatusOr<Message> m = Message::Parse(kOru);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->segments().size(), 3u);
  const Segment& msh = m->msh();
  EXPECT_EQ(m->Get(msh, 1), "|");
  EXPECT_EQ(m->Get(msh, 2), "^~\\&");
  EXPECT_EQ(m->Get(msh, 3, 2), "0012210000000001");
  EXPECT_EQ(m->Get(msh, 9, 1), "ORU");
  EXPECT_EQ(m->Get(msh, 9, 2), "R01");
  EXPECT_EQ(m->Get(msh, 10), "MSG-1");
  EXPECT_EQ(m->Get(msh, 12), "2.6");
  const Segment& obx = m->segments()[2];
  EXPECT_EQ(obx.id, "OBX");
  EXPECT_EQ(m->Get(obx, 3, 2), "MDC_ID_PROD_SPEC_FW");
  EXPECT_EQ(m->Get(obx, 5), "12.1.3");
  const auto reps = m->Repetitions(obx, 18);
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(m->Component(reps[1], 1), "T-1");
  EXPECT_EQ(m->Component(reps[1], 2), "ASSET");
}

TEST(MessageTest, MissingOptionalFieldsAndComponentsAreEmpty) {
  absl::StatusOr<Message> m = Message::Parse(kOru);
  ASSERT_TRUE(m.ok());
  const Segment& obr = m->segments()[1];
  EXPECT_EQ(m->Get(obr, 2), "");
  EXPECT_EQ(m->Get(obr, 40), "");
  EXPECT_EQ(m->Get(obr, 4, 9), "");
  EXPECT_TRUE(m->Repetitions(obr, 30).empty());
  EXPECT_EQ(m->Get(m->msh(), 15), "");
}

TEST(MessageTest, AcceptsLfAndCrLfSegmentEndingsAndLeadingBlankLines) {
  std::string lf = kOru;
  std::string crlf;
  for (char c : lf) {
    if (c == '\r') {
      crlf += "\r\n";
    } else {
      crlf += c;
    }
  }
  std::replace(lf.begin(), lf.end(), '\r', '\n');
  for (const std::string& text : {lf, crlf, "\n\r" + std::string(kOru)}) {
    absl::StatusOr<Message> m = Message::Parse(text);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->segments().size(), 3u);
    EXPECT_EQ(m->Get(m->segments()[2], 5), "12.1.3");
  }
}

TEST(MessageTest, UnescapesDelimitersAndHex) {
  absl::StatusOr<Message> m = Message::Parse(
      "MSH|^~\\&|A|B|C|D|20261206||ORU^R01|1|P|2.6\r"
      "OBX|1|ST|X|1|a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X41A2\\g\\H\\bold\\N\\\\.br\\z\\X4\\\r");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Get(m->segments()[1], 5),
            "a|b^c&d~e\\f"
            "A\xA2"
            "gboldz");
}

TEST(MessageTest, UnterminatedEscapeIsKeptLiterally) {
  absl::StatusOr<Message> m = Message::Parse("MSH|^~\\&|A|B|C|D|1||ORU^R01|1|P|2.6\rOBX|1|ST|X|1|ab\\Fc\r");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Get(m->segments()[1], 5), "ab\\Fc");
}

TEST(MessageTest, UsesTheDelimitersTheMessageDeclares) {
  absl::StatusOr<Message> m = Message::Parse("MSH#*@!$#A#B#C#D#1##ORU*R01#7#P#2.6\rOBX#1#ST#X*Y#1#v1*v2@r2!S!x\r");
  ASSERT_TRUE(m.ok()) << m.status();
  const Segment& obx = m->segments()[1];
  EXPECT_EQ(m->Get(m->msh(), 9, 2), "R01");
  EXPECT_EQ(m->Get(obx, 3, 2), "Y");
  const auto reps = m->Repetitions(obx, 5);
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(m->Component(reps[0], 2), "v2");
  EXPECT_EQ(m->Component(reps[1], 1), "r2*x");
}

TEST(MessageTest, KeepsUnknownSegments) {
  absl::StatusOr<Message> m = Message::Parse("MSH|^~\\&|A|B|C|D|1||ORU^R01|1|P|2.6\rZXY|1|2\rOBX|1\rOBX|2\r");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->segments().size(), 4u);
  EXPECT_EQ(m->segments()[1].id, "ZXY");
  EXPECT_EQ(m->segments()[3].occurrence, 2);
}

TEST(MessageTest, RejectsTextWithoutMshOrWithBadEncodingCharacters) {
  for (const char* text : {"", "PID|1", "MSH", "MSH|^~\\&", "MSH|^~|A|B", "MSH|^~\\&abc|A", "MSH|^|\\&|A"}) {
    absl::StatusOr<Message> m = Message::Parse(text);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(m.status().message()), StartsWith("MSH-")) << text;
  }
}

TEST(MessageTest, EscapeIsTheInverseOfUnescape) {
  absl::StatusOr<Message> m = Message::Parse(kOru);
  ASSERT_TRUE(m.ok());
  const std::string text = "a|b^c&d~e\\f";
  EXPECT_EQ(m->Unescape(m->Escape(text)), text);
}

TEST(AckTest, OriginalModeAnswersAaWithTheControlIdAndSwappedApplications) {
  absl::StatusOr<Message> m = Message::Parse(kOru);
  ASSERT_TRUE(m.ok());
  const AckPlan plan = PlanAck(AckRequestOf(*m), AckCode::kAccept);
  ASSERT_TRUE(plan.send);
  const std::string ack = BuildAck(*m, plan, nullptr, "PT1", absl::FromUnixSeconds(0));
  absl::StatusOr<Message> parsed = Message::Parse(ack);
  ASSERT_TRUE(parsed.ok()) << ack;
  EXPECT_EQ(parsed->Get(parsed->msh(), 3), "PT");
  EXPECT_EQ(parsed->Get(parsed->msh(), 5, 2), "0012210000000001");
  EXPECT_EQ(parsed->Get(parsed->msh(), 9, 1), "ACK");
  EXPECT_EQ(parsed->Get(parsed->msh(), 9, 2), "R01");
  EXPECT_EQ(parsed->Get(parsed->msh(), 10), "PT1");
  ASSERT_EQ(parsed->segments().size(), 2u);
  EXPECT_EQ(parsed->Get(parsed->segments()[1], 1), "AA");
  EXPECT_EQ(parsed->Get(parsed->segments()[1], 2), "MSG-1");
}

TEST(AckTest, ErrorAckCarriesAnErrSegmentNamingTheField) {
  absl::StatusOr<Message> m = Message::Parse(kOru);
  ASSERT_TRUE(m.ok());
  const Rejection rejection{AckCode::kError, FieldLocation{"OBX", 3, 5}, 102, "OBX-5: battery |x| bad"};
  const std::string ack = BuildAck(*m, PlanAck(AckRequestOf(*m), rejection.code), &rejection, "PT2", absl::Now());
  absl::StatusOr<Message> parsed = Message::Parse(ack);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->segments().size(), 3u);
  EXPECT_EQ(parsed->Get(parsed->segments()[1], 1), "AE");
  const Segment& err = parsed->segments()[2];
  EXPECT_EQ(err.id, "ERR");
  EXPECT_EQ(parsed->Get(err, 2, 1), "OBX");
  EXPECT_EQ(parsed->Get(err, 2, 2), "3");
  EXPECT_EQ(parsed->Get(err, 2, 3), "5");
  EXPECT_EQ(parsed->Get(err, 3, 1), "102");
  EXPECT_EQ(parsed->Get(err, 3, 3), "HL70357");
  EXPECT_EQ(parsed->Get(err, 4), "E");
  EXPECT_EQ(parsed->Get(err, 8), "OBX-5: battery |x| bad");
}

TEST(AckTest, EnhancedModeFollowsMsh15ThenMsh16) {
  const AckRequest original{};
  EXPECT_TRUE(PlanAck(original, AckCode::kAccept).send);
  EXPECT_FALSE(PlanAck(original, AckCode::kAccept).commit_codes);

  const AckRequest always{true, "AL", "NE"};
  EXPECT_TRUE(PlanAck(always, AckCode::kAccept).send);
  EXPECT_TRUE(PlanAck(always, AckCode::kAccept).commit_codes);

  const AckRequest errors_only{true, "ER", ""};
  EXPECT_FALSE(PlanAck(errors_only, AckCode::kAccept).send);
  EXPECT_TRUE(PlanAck(errors_only, AckCode::kError).send);

  const AckRequest success_only{true, "SU", ""};
  EXPECT_TRUE(PlanAck(success_only, AckCode::kAccept).send);
  EXPECT_FALSE(PlanAck(success_only, AckCode::kReject).send);

  // No accept acknowledgement: the application acknowledgement (MSH-16) is sent, with A* codes.
  const AckRequest application{true, "NE", "AL"};
  EXPECT_TRUE(PlanAck(application, AckCode::kAccept).send);
  EXPECT_FALSE(PlanAck(application, AckCode::kAccept).commit_codes);
  const AckRequest nothing{true, "NE", "NE"};
  EXPECT_FALSE(PlanAck(nothing, AckCode::kError).send);
}

TEST(AckTest, UnparsableInputGetsAnArAck) {
  const std::string ack = BuildAckForUnparsable("MSH-1: no MSH", "PT3", absl::Now());
  absl::StatusOr<Message> parsed = Message::Parse(ack);
  ASSERT_TRUE(parsed.ok()) << ack;
  EXPECT_EQ(parsed->Get(parsed->segments()[1], 1), "AR");
  EXPECT_THAT(parsed->Get(parsed->segments()[2], 8), HasSubstr("no MSH"));
}

}  // namespace
}  // namespace pumptrack::agents::hl7
