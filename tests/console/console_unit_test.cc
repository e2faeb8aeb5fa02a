// The web console's pure pieces: content types and the embedded-file lookup (over tests/console/assets, embedded
// at build time like console/web/), the gRPC -> HTTP status table and error body, the JSON request parser's
// field-naming errors, the rate limiter and the allow-list.
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "console/bridge.h"
#include "console/http_status.h"
#include "console/json_fields.h"
#include "console/rate_limiter.h"
#include "console/static_assets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pumptrack/v1/finding.pb.h"
#include "pumptrack/v1/inventory_service.pb.h"

namespace pumptrack::console {
namespace testing {
std::span<const EmbeddedAsset> TestAssets();
std::span<const EmbeddedAsset> NoAssets();
}  // namespace testing
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/js/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/js/app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/style.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/i/logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("/i/logo.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("/favicon.ico"), "image/x-icon");
  EXPECT_EQ(ContentTypeFor("/manifest.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("/f/inter.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("/README"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("/dir.html/file"), "application/octet-stream");
}

TEST(StaticAssetsTest, ServesExactlyTheEmbeddedFiles) {
  StaticAssets assets(testing::TestAssets());
  EXPECT_EQ(assets.size(), 5u);  // index.html, style.css, logo.png, empty.json, sub/app.mjs; not .hidden
  const StaticAssets::File* index = assets.Find("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body, "<!doctype html><title>test</title>\n");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(assets.Find("/index.html"), index);
  const StaticAssets::File* module = assets.Find("/sub/app.mjs");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->body, "export const x = 1;\n");
  EXPECT_EQ(module->content_type, "text/javascript; charset=utf-8");
  // Binary bytes, NULs included, survive the embedding.
  const StaticAssets::File* png = assets.Find("/logo.png");
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(png->body, std::string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\xff", 18));
  const StaticAssets::File* empty = assets.Find("/empty.json");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->body, "");
}

TEST(StaticAssetsTest, TraversalAndNearMissesFindNothing) {
  StaticAssets assets(testing::TestAssets());
  for (const char* path :
       {"/../index.html", "/sub/../index.html", "/%2e%2e/index.html", "/..%2findex.html", "//index.html", "index.html",
        "/INDEX.HTML", "/index.html/", "/sub", "/sub/", "/.hidden", "/./index.html", "/index.html%00", "",
        "/../../../../etc/passwd", "/tests/console/assets/index.html"}) {
    EXPECT_EQ(assets.Find(path), nullptr) << path;
  }
}

TEST(StaticAssetsTest, AnEmptyOrMissingFolderEmbedsNothing) {
  EXPECT_TRUE(testing::NoAssets().empty());
  StaticAssets assets(testing::NoAssets());
  EXPECT_EQ(assets.Find("/"), nullptr);
}

TEST(HttpStatusTest, OneTableFromGrpcCodes) {
  const std::vector<std::pair<grpc::StatusCode, int>> table = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::FAILED_PRECONDITION, 412},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::CANCELLED, 500},
  };
  for (const auto& [code, status] : table) EXPECT_EQ(HttpStatusFor(code), status) << StatusCodeName(code);
}

TEST(HttpStatusTest, FieldIsTheValidationPathBeforeTheColon) {
  EXPECT_EQ(FieldOf("note: is required"), "note");
  EXPECT_EQ(FieldOf("observation.location.unit: must be at most 64 characters"), "observation.location.unit");
  EXPECT_EQ(FieldOf("items[2].asset_tag: is not an asset tag"), "items[2].asset_tag");
  EXPECT_EQ(FieldOf("no such device"), "");
  EXPECT_EQ(FieldOf("device PT-1: not found"), "");
  EXPECT_EQ(FieldOf(": empty"), "");
}

TEST(HttpStatusTest, ErrorBodyNamesCodeStatusMessageAndField) {
  nlohmann::json with_field =
      nlohmann::json::parse(ErrorJson(grpc::StatusCode::INVALID_ARGUMENT, "note: is required", "note"));
  EXPECT_EQ(with_field,
            nlohmann::json(
                {{"code", 3}, {"status", "INVALID_ARGUMENT"}, {"message", "note: is required"}, {"field", "note"}}));
  nlohmann::json without = nlohmann::json::parse(ErrorJson(grpc::StatusCode::NOT_FOUND, "no such \"device\"", ""));
  EXPECT_EQ(without, nlohmann::json({{"code", 5}, {"status", "NOT_FOUND"}, {"message", "no such \"device\""}}));
  // Invalid UTF-8 in a message never breaks the body.
  EXPECT_NO_THROW(nlohmann::json::parse(ErrorJson(grpc::StatusCode::INVALID_ARGUMENT, "bad \xff byte", "")));
}

TEST(ParseJsonRequestTest, AcceptsJsonAndProtoNames) {
  v1::LocateRequest camel;
  ASSERT_TRUE(ParseJsonRequest(R"({"device": {"assetTag": "PT-1"}})", camel).ok());
  EXPECT_EQ(camel.device().asset_tag(), "PT-1");
  v1::LocateRequest snake;
  ASSERT_TRUE(ParseJsonRequest(R"({"device": {"serial_number": "S-1"}})", snake).ok());
  EXPECT_EQ(snake.device().serial_number(), "S-1");
  v1::ListFindingsRequest enums;
  ASSERT_TRUE(ParseJsonRequest(R"({"state": "FINDING_STATE_OPEN", "pageSize": 5})", enums).ok());
  EXPECT_EQ(enums.state(), v1::FINDING_STATE_OPEN);
  EXPECT_EQ(enums.page_size(), 5);
  v1::LocateRequest empty;
  EXPECT_TRUE(ParseJsonRequest("", empty).ok());
  EXPECT_TRUE(ParseJsonRequest(" \n", empty).ok());
  // Well-known types keep their own JSON forms.
  v1::Finding finding;
  ASSERT_TRUE(ParseJsonRequest(R"({"firstSeenAt": "2026-12-05T12:00:00Z"})", finding).ok());
  EXPECT_EQ(finding.first_seen_at().seconds(), 1796472000);
}

TEST(ParseJsonRequestTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* starts_with;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"devise": {}})", "devise: no such field in pumptrack.v1.LocateRequest"},
           {R"({"device": {"assetTagg": "x"}})", "device.assetTagg: no such field in pumptrack.v1.DeviceKey"},
           {R"({"device": )", "body: malformed JSON at byte "},
           {R"([1, 2])", "body: must be a JSON object"},
           {R"("text")", "body: must be a JSON object"},
       }) {
    v1::LocateRequest request;
    absl::Status status = ParseJsonRequest(c.json, request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(c.starts_with)) << c.json;
  }
  v1::ListFindingsResponse list;
  absl::Status nested = ParseJsonRequest(R"({"findings": [{"id": "F-1"}, {"id": "F-2", "colour": 1}]})", list);
  EXPECT_THAT(std::string(nested.message()), ::testing::StartsWith("findings[1].colour: no such field"));
  EXPECT_EQ(FieldOf(nested.message()), "findings[1].colour");
  v1::ListFindingsRequest wrong_type;
  absl::Status typed = ParseJsonRequest(R"({"pageSize": "many"})", wrong_type);
  EXPECT_EQ(typed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(typed.message()), "page_size") << typed.message();
}

TEST(ToJsonTest, EnumsAsNamesDefaultsIncludedInt64AsStrings) {
  v1::Finding finding;
  finding.set_id("F-1");
  finding.set_state(v1::FINDING_STATE_OPEN);
  nlohmann::json json = nlohmann::json::parse(ToJson(finding));
  EXPECT_EQ(json["id"], "F-1");
  EXPECT_EQ(json["state"], "FINDING_STATE_OPEN");
  EXPECT_EQ(json["acknowledgedBy"], "");  // defaults included, lowerCamelCase names
  EXPECT_EQ(json["kind"], "FINDING_KIND_UNSPECIFIED");
}

TEST(RateLimiterTest, BurstThenRefillPerClient) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  RateLimiter limiter(/*per_second=*/2, /*burst=*/3, [&now] { return now; });
  EXPECT_TRUE(limiter.Admit("10.0.0.1"));
  EXPECT_TRUE(limiter.Admit("10.0.0.1"));
  EXPECT_TRUE(limiter.Admit("10.0.0.1"));
  EXPECT_FALSE(limiter.Admit("10.0.0.1"));
  EXPECT_TRUE(limiter.Admit("10.0.0.2"));  // another client has its own bucket
  now += absl::Milliseconds(500);          // one token back
  EXPECT_TRUE(limiter.Admit("10.0.0.1"));
  EXPECT_FALSE(limiter.Admit("10.0.0.1"));
  now += absl::Hours(1);  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("10.0.0.1"));
  EXPECT_FALSE(limiter.Admit("10.0.0.1"));
}

TEST(BridgeTest, AllowListIsTheConsolesUnaryMethods) {
  const std::vector<std::string> allowed = Bridge::AllowList();
  for (const char* method :
       {"pumptrack.v1.InventoryService/Locate", "pumptrack.v1.InventoryService/GetDevice",
        "pumptrack.v1.InventoryService/SetHome", "pumptrack.v1.FindingService/ListFindings",
        "pumptrack.v1.FindingService/AcknowledgeFinding", "pumptrack.v1.PolicyService/GetPolicy",
        "pumptrack.v1.CustodyService/CheckOut", "pumptrack.v1.CustodyService/CheckIn",
        "pumptrack.v1.CustodyService/FindAvailable", "pumptrack.v1.AuditService/ListAudit",
        "pumptrack.v1.AuditService/VerifyAudit", "pumptrack.v1.AdvisoryService/ListAdvisories",
        "pumptrack.v1.AdvisoryService/GetAdvisory", "pumptrack.v1.AdvisoryService/ListAffectedDevices",
        "pumptrack.v1.ReportService/GetUtilization", "pumptrack.v1.MaintenanceService/ListDue"}) {
    EXPECT_THAT(allowed, Contains(method));
  }
  for (const char* method :
       {"pumptrack.v1.FindingService/WatchFindings", "pumptrack.v1.PolicyService/SetPolicy",
        "pumptrack.v1.PolicyService/ValidatePolicy", "pumptrack.v1.TokenService/CreateToken",
        "pumptrack.v1.AgentService/Report", "pumptrack.v1.AgentRegistryService/EnrollAgent",
        "pumptrack.v1.BackupService/CreateBackup", "pumptrack.v1.AdvisoryService/ImportAdvisories",
        // Clinical engineering: the console reads utilization and due pumps, never records or imports work.
        "pumptrack.v1.MaintenanceService/RecordMaintenance", "pumptrack.v1.MaintenanceService/ImportMaintenance"}) {
    EXPECT_THAT(allowed, Not(Contains(method)));
  }
}

}  // namespace
}  // namespace pumptrack::console
