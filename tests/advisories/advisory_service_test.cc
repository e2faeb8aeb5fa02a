// AdvisoryService on the real in-process server (127.0.0.1:0, fresh data directory) over gRPC: imports flag exactly
// the affected pumps VULNERABLE, upgrades resolve, revisions replace or are refused, bad files store nothing, and a
// restart keeps advisories and findings.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "advisories/sha512_sidecar.h"
#include "cli/advisory_commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/advisory.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/finding.grpc.pb.h"
#include "pumptrack/v1/policy.grpc.pb.h"
#include "service/validation.h"
#include "tests/advisories/fixtures.h"
#include "tests/service/service_test_util.h"

namespace pumptrack::service {
namespace {

using ::pumptrack::advisories::testing::ReadFixture;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing_util::Context;
using testing_util::Obs;
using testing_util::TestServer;

constexpr char kPolicy[] = R"(
models { model: "PCU-8015" }
models { model: "SPACE-LVP" }
advisory_products { vendor: "BD" product: "Alaris PCU 8015" model: "PCU-8015" }
advisory_products { vendor: "B. Braun" product: "Battery Pack SP with Wi-Fi" component: "SP-WIFI-BATT" }
)";

v1::AdvisoryFile File(const std::string& name, std::string content) {
  v1::AdvisoryFile file;
  file.set_file_name(name);
  file.set_sha512_sidecar(absl::StrCat(advisories::Sha512Hex(content), "  ", name, "\n"));
  file.set_content(std::move(content));
  return file;
}

v1::AdvisoryFile Fixture(const std::string& name) { return File(name, ReadFixture(name)); }

class AdvisoryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    Connect();
    v1::SetPolicyRequest request;
    request.set_text(kPolicy);
    v1::PolicyInfo info;
    grpc::Status set = policy_->SetPolicy(Context().get(), request, &info);
    ASSERT_TRUE(set.ok()) << set.error_message();
  }

  void Connect() {
    advisories_ = v1::AdvisoryService::NewStub(server_.channel());
    findings_ = v1::FindingService::NewStub(server_.channel());
    policy_ = v1::PolicyService::NewStub(server_.channel());
    audit_ = v1::AuditService::NewStub(server_.channel());
  }

  grpc::Status Import(std::vector<v1::AdvisoryFile> files, v1::ImportAdvisoriesResponse* response = nullptr) {
    v1::ImportAdvisoriesRequest request;
    for (v1::AdvisoryFile& file : files) *request.add_files() = std::move(file);
    v1::ImportAdvisoriesResponse ignored;
    return advisories_->ImportAdvisories(Context(absl::Seconds(30)).get(), request,
                                         response != nullptr ? response : &ignored);
  }

  std::vector<std::string> Listed() {
    v1::ListAdvisoriesResponse response;
    grpc::Status status = advisories_->ListAdvisories(Context().get(), v1::ListAdvisoriesRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const v1::AdvisorySummary& s : response.advisories()) {
      ids.push_back(absl::StrCat(s.tracking_id(), "@", s.version(), " affected=", s.affected_devices()));
    }
    return ids;
  }

  // Open VULNERABLE findings as "tag rule severity".
  std::vector<std::string> Vulnerable() {
    v1::ListFindingsRequest request;
    request.set_kind(v1::FINDING_KIND_VULNERABLE);
    v1::ListFindingsResponse response;
    grpc::Status status = findings_->ListFindings(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const v1::Finding& f : response.findings()) {
      if (f.state() == v1::FINDING_STATE_RESOLVED) continue;
      out.push_back(absl::StrCat(f.asset_tag(), " ", f.rule(), " ", v1::Severity_Name(f.severity())));
    }
    return out;
  }

  v1::Observation Pump(const std::string& tag, const std::string& model, const std::string& firmware,
                       std::uint64_t seq = 1) {
    return Obs(tag).Model(model).Firmware(firmware).Seq(seq).At(testing_util::BaseTime() + absl::Seconds(seq)).Build();
  }

  TestServer server_;
  std::unique_ptr<v1::AdvisoryService::Stub> advisories_;
  std::unique_ptr<v1::FindingService::Stub> findings_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

TEST_F(AdvisoryServiceTest, ImportFlagsTheAffectedPumpsAndAnUpgradeResolves) {
  server_.MustReport(Pump("PT-A", "PCU-8015", "12.1.0"));
  server_.MustReport(Pump("PT-B", "PCU-8015", "12.3.0"));
  v1::Observation space = Pump("PT-C", "SPACE-LVP", "686E");
  v1::Component* battery = space.add_components();
  battery->set_kind("battery");
  battery->set_model("SP-WIFI-BATT");
  battery->set_firmware_version("U55");
  server_.MustReport(space);
  EXPECT_THAT(Vulnerable(), IsEmpty());

  v1::ImportAdvisoriesResponse imported;
  grpc::Status status = Import({Fixture("icsma-23-193-01.json"), Fixture("icsma-21-294-01.json")}, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(imported.imported_size(), 2);
  EXPECT_EQ(imported.imported(0).tracking_id(), "ICSMA-23-193-01");
  EXPECT_EQ(imported.imported(0).affected_devices(), 1);
  EXPECT_EQ(imported.imported(1).affected_devices(), 1);
  EXPECT_GE(imported.imported(1).needs_review_products(), 1);
  EXPECT_THAT(Vulnerable(), UnorderedElementsAre("PT-A advisory.ICSMA-23-193-01 SEVERITY_MEDIUM",
                                                 "PT-C advisory.ICSMA-21-294-01 SEVERITY_CRITICAL"));

  // Evaluated on report too: a pump that reports an affected version after the import.
  server_.MustReport(Pump("PT-D", "PCU-8015", "12.0.9"));
  // The upgrade resolves.
  server_.MustReport(Pump("PT-A", "PCU-8015", "12.3.0", 2));
  EXPECT_THAT(Vulnerable(), UnorderedElementsAre("PT-D advisory.ICSMA-23-193-01 SEVERITY_MEDIUM",
                                                 "PT-C advisory.ICSMA-21-294-01 SEVERITY_CRITICAL"));

  v1::GetAdvisoryRequest get;
  get.set_tracking_id("ICSMA-21-294-01");
  v1::Advisory advisory;
  ASSERT_TRUE(advisories_->GetAdvisory(Context().get(), get, &advisory).ok());
  EXPECT_EQ(advisory.tracking_id(), "ICSMA-21-294-01");
  EXPECT_EQ(advisory.sha512(), advisories::Sha512Hex(ReadFixture("icsma-21-294-01.json")));

  // The import is audited.
  v1::ListAuditResponse audit;
  ASSERT_TRUE(audit_->ListAudit(Context().get(), v1::ListAuditRequest(), &audit).ok());
  bool audited = false;
  for (const v1::AuditEntry& entry : audit.entries()) {
    if (entry.action() == "advisories.import") {
      audited = true;
      EXPECT_EQ(entry.target(), "ICSMA-21-294-01,ICSMA-23-193-01");
    }
  }
  EXPECT_TRUE(audited);

  // A restart keeps the advisories and the findings (and re-evaluation under the stored policy keeps them open).
  ASSERT_TRUE(server_.Restart().ok());
  Connect();
  EXPECT_THAT(Listed(), UnorderedElementsAre(::testing::StartsWith("ICSMA-21-294-01@"),
                                             ::testing::StartsWith("ICSMA-23-193-01@")));
  EXPECT_THAT(Vulnerable(), UnorderedElementsAre("PT-D advisory.ICSMA-23-193-01 SEVERITY_MEDIUM",
                                                 "PT-C advisory.ICSMA-21-294-01 SEVERITY_CRITICAL"));
}

TEST_F(AdvisoryServiceTest, NewerRevisionReplacesOlderIsRefused) {
  ASSERT_TRUE(Import({Fixture("icsma-17-250-02-v1.json")}).ok());
  ASSERT_TRUE(Import({Fixture("icsma-17-250-02-v2.json")}).ok());
  EXPECT_THAT(Listed(), UnorderedElementsAre("ICSMA-17-250-02@2 affected=0"));
  grpc::Status older = Import({Fixture("icsma-17-250-02-v1.json")});
  EXPECT_EQ(older.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(older.error_message(), HasSubstr("is older than the imported ICSMA-17-250-02 revision 2"));
  grpc::Status same = Import({Fixture("icsma-17-250-02-v2.json")});
  EXPECT_EQ(same.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(Listed(), UnorderedElementsAre("ICSMA-17-250-02@2 affected=0"));
}

TEST_F(AdvisoryServiceTest, BadFilesAreRefusedNamingTheProblemAndNothingIsStored) {
  const std::string good = ReadFixture("icsma-23-193-01.json");
  struct Case {
    v1::AdvisoryFile file;
    grpc::StatusCode code;
    std::string message;
  };
  v1::AdvisoryFile bad_sum = Fixture("icsma-23-193-01.json");
  bad_sum.set_sha512_sidecar(absl::StrCat(std::string(128, 'a'), "  icsma-23-193-01.json"));
  v1::AdvisoryFile no_sidecar = Fixture("icsma-23-193-01.json");
  no_sidecar.clear_sha512_sidecar();
  const std::vector<Case> cases = {
      {File("x.json", "this is not json"), grpc::StatusCode::INVALID_ARGUMENT,
       "files[1] (x.json): CSAF file: not JSON"},
      {File("x.json", absl::StrReplaceAll(good, {{"\"csaf_version\": \"2.0\"", "\"csaf_version\": \"1.2\""}})),
       grpc::StatusCode::INVALID_ARGUMENT, "document.csaf_version: \"1.2\" is not supported"},
      {File("x.json", absl::StrReplaceAll(good, {{"\"id\": \"ICSMA-23-193-01\"", "\"_id\": \"ICSMA-23-193-01\""}})),
       grpc::StatusCode::INVALID_ARGUMENT, "document.tracking.id: missing"},
      {File("x.json", std::string(100000, '[')), grpc::StatusCode::INVALID_ARGUMENT, "nested deeper than 64 levels"},
      {bad_sum, grpc::StatusCode::DATA_LOSS, "SHA-512 mismatch"},
      {no_sidecar, grpc::StatusCode::INVALID_ARGUMENT, "files[1].sha512_sidecar: is required"},
  };
  for (const Case& c : cases) {
    // A good file first: the bad one refuses the whole call.
    grpc::Status status = Import({Fixture("icsma-22-251-01.json"), c.file});
    EXPECT_EQ(status.error_code(), c.code) << c.message << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  EXPECT_THAT(Listed(), IsEmpty());
  EXPECT_EQ(Import({}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetAdvisoryRequest get;
  get.set_tracking_id("ICSMA-22-251-01");
  v1::Advisory advisory;
  EXPECT_EQ(advisories_->GetAdvisory(Context().get(), get, &advisory).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(ValidateAdvisoryFile, SizeAndNamesAtTheEdge) {
  v1::AdvisoryFile file = File("a.json", "{}");
  EXPECT_FALSE(ValidateAdvisoryFile(file, "files[0]").has_value());
  file.set_content(std::string(16 * 1024 * 1024 + 1, ' '));
  std::optional<FieldViolation> big = ValidateAdvisoryFile(file, "files[0]");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->field, "files[0].content");
  EXPECT_THAT(big->reason, HasSubstr("more than the limit of 16777216 bytes"));
  file = File("../a.json", "{}");
  std::optional<FieldViolation> name = ValidateAdvisoryFile(file, "files[0]");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->field, "files[0].file_name");
}

}  // namespace
}  // namespace pumptrack::service

namespace pumptrack::cli {
namespace {

TEST(SimilarModels, SharedWordsOrNumbersMostAlikeFirst) {
  EXPECT_EQ(SimilarModels("BD", "Alaris PCU 8015", {"Infusia 500", "PCU-8015", "BD-8015-X", "PCU-8016"}),
            (std::vector<std::string>{"BD-8015-X", "PCU-8015", "PCU-8016"}));
  EXPECT_EQ(SimilarModels("Baxter", "Wireless Battery Module", {"WBM-2", "PCU-8015"}), std::vector<std::string>{});
}

}  // namespace
}  // namespace pumptrack::cli
