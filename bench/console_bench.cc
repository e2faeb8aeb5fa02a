// pumptrack-console-bench: what the web console's bridge adds to a call. Against a running pumptrackd (plain gRPC and
// plain HTTP on loopback, --insecure, so both paths carry the same transport cost), alternates batches of
//   A: InventoryService.GetDevice over gRPC (one channel), and
//   B: POST /api/v1/pumptrack.v1.InventoryService/GetDevice over HTTP/1.1 keep-alive (one connection),
// in the same run, one call at a time, over random tags of the seeded fleet; then Locate through the API. Prints
// p50/p99 of each and of the difference. See bench/run-console and docs/PERFORMANCE.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"

ABSL_FLAG(std::string, grpc, "", "pumptrackd's gRPC address (host:port, --insecure).");
ABSL_FLAG(std::string, http, "", "pumptrackd's console address (host:port, --insecure).");
ABSL_FLAG(std::string, token, "", "Bearer token (any role); default $PUMPTRACK_TOKEN.");
ABSL_FLAG(int, devices, 1000, "Seeded pumps, asset tags LD-00001...");
ABSL_FLAG(int, rounds, 20, "A/B rounds (the order alternates each round).");
ABSL_FLAG(int, calls, 250, "Calls per batch.");

namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::string Tag(int index) { return absl::StrFormat("LD-%05d", index + 1); }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("PUMPTRACK_TOKEN") != nullptr) token = std::getenv("PUMPTRACK_TOKEN");
  const std::string http_address = absl::GetFlag(FLAGS_http);
  const std::size_t colon = http_address.rfind(':');
  if (absl::GetFlag(FLAGS_grpc).empty() || colon == std::string::npos || token.empty()) {
    std::fprintf(stderr, "pumptrack-console-bench: needs --grpc, --http and a token\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_grpc), grpc::InsecureChannelCredentials());
  auto stub = pumptrack::v1::InventoryService::NewStub(channel);
  httplib::Client http(http_address.substr(0, colon), std::stoi(http_address.substr(colon + 1)));
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  const std::string authorization = "Bearer " + token;

  std::mt19937 random(42);
  std::uniform_int_distribution<int> pick(0, absl::GetFlag(FLAGS_devices) - 1);
  int failures = 0;
  auto direct = [&](const std::string& tag) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", authorization);
    pumptrack::v1::GetDeviceRequest request;
    request.mutable_device()->set_asset_tag(tag);
    pumptrack::v1::Device device;
    const Clock::time_point start = Clock::now();
    grpc::Status status = stub->GetDevice(&context, request, &device);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!status.ok()) ++failures;
    return ms;
  };
  auto bridged = [&](const std::string& method, const std::string& tag) {
    const std::string body = absl::StrCat(R"({"device": {"assetTag": ")", tag, R"("}})");
    const Clock::time_point start = Clock::now();
    httplib::Result result =
        http.Post(absl::StrCat("/api/v1/pumptrack.v1.InventoryService/", method), headers, body, "application/json");
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!result || result->status != 200) ++failures;
    return ms;
  };

  // Warm-up: connections, caches.
  for (int i = 0; i < 200; ++i) {
    direct(Tag(pick(random)));
    bridged("GetDevice", Tag(pick(random)));
  }
  failures = 0;
  std::vector<double> a, b, locate;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (int half = 0; half < 2; ++half) {
      const bool grpc_first = round % 2 == 0;
      const bool run_grpc = (half == 0) == grpc_first;
      for (int i = 0; i < absl::GetFlag(FLAGS_calls); ++i) {
        const std::string tag = Tag(pick(random));
        if (run_grpc) {
          a.push_back(direct(tag));
        } else {
          b.push_back(bridged("GetDevice", tag));
        }
      }
    }
  }
  for (int i = 0; i < absl::GetFlag(FLAGS_rounds) * absl::GetFlag(FLAGS_calls); ++i) {
    locate.push_back(bridged("Locate", Tag(pick(random))));
  }
  std::printf("GetDevice, %zu calls each, alternating batches of %d, one call at a time:\n", a.size(),
              absl::GetFlag(FLAGS_calls));
  std::printf("  direct gRPC       p50 %.3f ms  p99 %.3f ms\n", Percentile(a, 0.50), Percentile(a, 0.99));
  std::printf("  console bridge    p50 %.3f ms  p99 %.3f ms\n", Percentile(b, 0.50), Percentile(b, 0.99));
  std::printf("  added by bridge   p50 %+.3f ms  p99 %+.3f ms\n", Percentile(b, 0.50) - Percentile(a, 0.50),
              Percentile(b, 0.99) - Percentile(a, 0.99));
  std::printf("Locate through the console API, %zu calls: p50 %.3f ms  p99 %.3f ms\n", locate.size(),
              Percentile(locate, 0.50), Percentile(locate, 0.99));
  std::printf("failed calls: %d\n", failures);
  return failures == 0 ? 0 : 1;
}
