// AdvisoryService on the real in-process server (127.0.0.1:0, fresh data directory) over gRPC: imports flag exactly
// the affected pumps VULNERABLE, upgrades resolve, revisions replace or are refused, bad files store nothing, and a
// restart keeps advisories and findings.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "advisories/sha512_sidecar.h"
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

TEST_F(AdvisoryServiceTest, ListAffectedDevicesAnswersEachPumpWithWhereItIsAndWhatMatchedAPageAtATime) {
  for (const char* tag : {"PT-3", "PT-1", "PT-2"}) {
    server_.MustReport(Obs(tag)
                           .Model("PCU-8015")
                           .Firmware("12.1.0")
                           .Facility("General")
                           .Unit(std::string(tag) == "PT-2" ? "ICU" : "Ward 4")
                           .Room("R12")
                           .Seq(1)
                           .At(testing_util::BaseTime() + absl::Seconds(1))
                           .Build());
  }
  server_.MustReport(Pump("PT-9", "PCU-8015", "12.3.0"));  // outside the range: not affected
  ASSERT_TRUE(Import({Fixture("icsma-23-193-01.json"), Fixture("icsma-21-294-01.json")}).ok());

  v1::ListAffectedDevicesRequest request;
  request.set_tracking_id("ICSMA-23-193-01");
  request.set_page_size(2);
  v1::ListAffectedDevicesResponse first;
  grpc::Status status = advisories_->ListAffectedDevices(Context().get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.total(), 3);
  ASSERT_EQ(first.devices_size(), 2);
  EXPECT_EQ(first.devices(0).asset_tag(), "PT-1");
  EXPECT_EQ(first.devices(1).asset_tag(), "PT-2");
  const v1::AffectedDevice& pt2 = first.devices(1);
  EXPECT_EQ(pt2.model(), "PCU-8015");
  EXPECT_EQ(pt2.location().facility(), "General");
  EXPECT_EQ(pt2.location().unit(), "ICU");
  EXPECT_EQ(pt2.location().room(), "R12");
  EXPECT_EQ(pt2.custody_state(), v1::CUSTODY_STATE_AVAILABLE);
  EXPECT_EQ(pt2.severity(), v1::SEVERITY_MEDIUM);
  EXPECT_THAT(pt2.finding_id(), ::testing::StartsWith("F-"));
  EXPECT_THAT(pt2.reason(), HasSubstr("CVE-2023-30559"));
  ASSERT_EQ(pt2.matches_size(), 1);
  EXPECT_EQ(pt2.matches(0).component_kind(), "firmware");
  EXPECT_EQ(pt2.matches(0).matched_version(), "12.1.0");
  EXPECT_EQ(pt2.matches(0).version_range(), "<=12.1.3");
  ASSERT_FALSE(pt2.matches(0).remediations().empty());
  EXPECT_FALSE(pt2.matches(0).remediations(0).details().empty());
  ASSERT_FALSE(first.next_page_token().empty());

  request.set_page_token(first.next_page_token());
  v1::ListAffectedDevicesResponse second;
  ASSERT_TRUE(advisories_->ListAffectedDevices(Context().get(), request, &second).ok());
  ASSERT_EQ(second.devices_size(), 1);
  EXPECT_EQ(second.devices(0).asset_tag(), "PT-3");
  EXPECT_TRUE(second.next_page_token().empty());

  // A token is only good for its advisory.
  v1::ListAffectedDevicesRequest other = request;
  other.set_tracking_id("ICSMA-21-294-01");
  v1::ListAffectedDevicesResponse ignored;
  grpc::Status wrong_token = advisories_->ListAffectedDevices(Context().get(), other, &ignored);
  EXPECT_EQ(wrong_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(wrong_token.error_message(), HasSubstr("page_token"));

  // An upgrade leaves the list; a restart rebuilds it from the stored findings.
  server_.MustReport(
      Obs("PT-1").Model("PCU-8015").Firmware("12.3.0").Seq(2).At(testing_util::BaseTime() + absl::Seconds(2)).Build());
  ASSERT_TRUE(server_.Restart().ok());
  Connect();
  request.clear_page_token();
  request.set_page_size(0);
  v1::ListAffectedDevicesResponse after_restart;
  ASSERT_TRUE(advisories_->ListAffectedDevices(Context().get(), request, &after_restart).ok());
  std::vector<std::string> tags;
  for (const v1::AffectedDevice& d : after_restart.devices()) tags.push_back(d.asset_tag());
  EXPECT_THAT(tags, ::testing::ElementsAre("PT-2", "PT-3"));
  EXPECT_EQ(after_restart.total(), 2);
}

TEST_F(AdvisoryServiceTest, ListAffectedDevicesValidatesAtTheEdge) {
  v1::ListAffectedDevicesResponse response;
  v1::ListAffectedDevicesRequest request;
  grpc::Status empty = advisories_->ListAffectedDevices(Context().get(), request, &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("tracking_id"));
  request.set_tracking_id(std::string(129, 'A'));
  EXPECT_EQ(advisories_->ListAffectedDevices(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_tracking_id("ICSMA-00-000-00");
  grpc::Status unknown = advisories_->ListAffectedDevices(Context().get(), request, &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("ICSMA-00-000-00"));
  ASSERT_TRUE(Import({Fixture("icsma-23-193-01.json")}).ok());
  request.set_tracking_id("ICSMA-23-193-01");
  request.set_page_size(1001);
  grpc::Status big = advisories_->ListAffectedDevices(Context().get(), request, &response);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(big.error_message(), HasSubstr("page_size"));
  request.set_page_size(10);
  request.set_page_token("not-a-token");
  EXPECT_EQ(advisories_->ListAffectedDevices(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_page_token();
  ASSERT_TRUE(advisories_->ListAffectedDevices(Context().get(), request, &response).ok());
  EXPECT_EQ(response.devices_size(), 0);
  EXPECT_EQ(response.total(), 0);
}

TEST_F(AdvisoryServiceTest, ListUnmappedProductsNamesLookAlikeModelsAndPages) {
  ASSERT_TRUE(
      Import({Fixture("icsma-23-193-01.json"), Fixture("icsma-21-294-01.json"), Fixture("icsma-22-251-01.json")}).ok());
  std::vector<v1::UnmappedAdvisoryProduct> all;
  v1::ListUnmappedProductsRequest request;
  request.set_page_size(1);
  int pages = 0;
  while (true) {
    v1::ListUnmappedProductsResponse page;
    grpc::Status status = advisories_->ListUnmappedProducts(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.products_size(), 1);
    all.insert(all.end(), page.products().begin(), page.products().end());
    ++pages;
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
    ASSERT_LT(pages, 100);
  }
  // Each unmapped (vendor, product) once per advisory, in (tracking id, vendor, product) order; the mapped ones never.
  ASSERT_GE(all.size(), 2u);
  std::vector<std::string> keys;
  for (const v1::UnmappedAdvisoryProduct& p : all) {
    keys.push_back(absl::StrCat(p.tracking_id(), "/", p.vendor(), "/", p.product()));
    EXPECT_NE(p.product(), "Alaris PCU 8015");
    EXPECT_NE(p.product(), "Battery Pack SP with Wi-Fi");
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
  // The Baxter advisory is not mapped by this policy at all; its products are listed.
  EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                          [](const v1::UnmappedAdvisoryProduct& p) { return p.tracking_id() == "ICSMA-22-251-01"; }));
  // BD products that share "8015" or "PCU" with the policy's model PCU-8015 name it as a look-alike.
  for (const v1::UnmappedAdvisoryProduct& p : all) {
    if (absl::StrContains(p.product(), "8015")) {
      EXPECT_THAT(p.similar_models(), ::testing::Contains("PCU-8015"));
    }
  }

  request.set_page_size(-1);
  v1::ListUnmappedProductsResponse ignored;
  EXPECT_EQ(advisories_->ListUnmappedProducts(Context().get(), request, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
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
