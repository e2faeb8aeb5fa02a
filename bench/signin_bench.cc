// pumptrack-signin-bench: directory sign-in and what the directory's health does to token-authenticated calls.
// Against a running pumptrackd (--insecure, --ldap_* pointing at tests/ldap's pumptrack-test-slapd; see
// bench/run-signin):
//   1. AuthService.SignIn over gRPC, one at a time, alternating batches of two people (--user_a in one mapped group,
//      --user_b in two), each session signed out again; p50/p99 per person and together.
//   2. InventoryService.GetDevice with a hand-made token, one call at a time, in batches with the directory healthy,
//      slow (slapd stopped with SIGSTOP: connections are accepted, nothing answers) and down (slapd stopped by the
//      helper: connections refused), the order rotating each round. Meanwhile --background_signins threads keep
//      signing in (so the directory pool is busy or waiting on timeouts) and a live session is refreshed by the
//      server (--ldap_refresh_interval). p50/p99 per state.
// The directory is driven through the helper: SIGUSR1 stops slapd, SIGUSR2 starts it again (its ready file names the
// current slapd pid), SIGSTOP / SIGCONT go to slapd itself.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "pumptrack/v1/auth.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"

ABSL_FLAG(std::string, grpc, "", "pumptrackd's gRPC address (host:port, --insecure).");
ABSL_FLAG(std::string, token, "", "A hand-made bearer token (any role); default $PUMPTRACK_TOKEN.");
ABSL_FLAG(int, helper_pid, 0, "pumptrack-test-slapd's pid (SIGUSR1: directory down, SIGUSR2: up again).");
ABSL_FLAG(std::string, helper_ready_file, "", "pumptrack-test-slapd's ready file (names the current slapd pid).");
ABSL_FLAG(std::string, user_a, "carol", "Person A (password <user>-pw).");
ABSL_FLAG(std::string, user_b, "bob", "Person B (password <user>-pw).");
ABSL_FLAG(int, sign_in_rounds, 10, "Sign-in A/B rounds.");
ABSL_FLAG(int, sign_ins, 50, "Sign-ins per batch.");
ABSL_FLAG(int, devices, 1000, "Seeded pumps, asset tags LD-00001...");
ABSL_FLAG(int, rounds, 6, "Directory-state rounds (healthy / slow / down, the order rotating).");
ABSL_FLAG(int, calls, 500, "Token-authenticated calls per batch (at least; see --batch_seconds).");
ABSL_FLAG(double, batch_seconds, 3,
          "Each batch lasts at least this long, so it spans directory timeouts (1 s in "
          "bench/run-signin) and session refreshes (2 s).");
ABSL_FLAG(int, background_signins, 2, "Threads signing in while the token calls are measured.");

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = pumptrack::v1;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

double Ms(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

int SlapdPid(const std::string& ready_file) {
  std::ifstream in(ready_file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  const std::size_t at = json.find("\"slapd_pid\": ");
  return at == std::string::npos ? 0 : std::atoi(json.c_str() + at + 13);
}

class Bench {
 public:
  explicit Bench(const std::shared_ptr<grpc::Channel>& channel)
      : auth_(v1::AuthService::NewStub(channel)), inventory_(v1::InventoryService::NewStub(channel)) {}

  // One sign-in (and its sign-out, not timed). The status code and the time SignIn took.
  std::pair<grpc::StatusCode, double> SignIn(const std::string& user) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SignInRequest request;
    request.set_username(user);
    request.set_password(user + "-pw");
    v1::SignInResponse response;
    const Clock::time_point start = Clock::now();
    const grpc::Status status = auth_->SignIn(&context, request, &response);
    const double ms = Ms(start);
    if (status.ok()) {
      grpc::ClientContext out;
      out.AddMetadata("authorization", "Bearer " + response.token());
      v1::SignOutResponse signed_out;
      if (!auth_->SignOut(&out, v1::SignOutRequest(), &signed_out).ok()) ++sign_out_failures;  // not timed
    }
    return {status.error_code(), ms};
  }

  int sign_out_failures = 0;

  // A live session the server keeps refreshing against the directory; returns its token.
  std::string KeepSession(const std::string& user) {
    grpc::ClientContext context;
    v1::SignInRequest request;
    request.set_username(user);
    request.set_password(user + "-pw");
    v1::SignInResponse response;
    return auth_->SignIn(&context, request, &response).ok() ? response.token() : "";
  }

  std::pair<bool, double> GetDevice(const std::string& authorization, const std::string& tag) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", authorization);
    v1::GetDeviceRequest request;
    request.mutable_device()->set_asset_tag(tag);
    v1::Device device;
    const Clock::time_point start = Clock::now();
    const grpc::Status status = inventory_->GetDevice(&context, request, &device);
    return {status.ok(), Ms(start)};
  }

 private:
  std::unique_ptr<v1::AuthService::Stub> auth_;
  std::unique_ptr<v1::InventoryService::Stub> inventory_;
};

enum class DirectoryState { kHealthy, kSlow, kDown };
const char* Name(DirectoryState s) {
  return s == DirectoryState::kHealthy ? "healthy" : s == DirectoryState::kSlow ? "slow (SIGSTOP)" : "down (stopped)";
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("PUMPTRACK_TOKEN") != nullptr) token = std::getenv("PUMPTRACK_TOKEN");
  const int helper = absl::GetFlag(FLAGS_helper_pid);
  const std::string ready = absl::GetFlag(FLAGS_helper_ready_file);
  if (absl::GetFlag(FLAGS_grpc).empty() || token.empty() || helper <= 0 || ready.empty()) {
    std::fprintf(stderr, "pumptrack-signin-bench: needs --grpc, a token, --helper_pid and --helper_ready_file\n");
    return 2;
  }
  grpc::ChannelArguments arguments;
  arguments.SetInt("grpc.use_local_subchannel_pool", 1);
  // Separate channels: the background sign-ins never share a connection with the measured calls.
  Bench measured(grpc::CreateCustomChannel(absl::GetFlag(FLAGS_grpc), grpc::InsecureChannelCredentials(), arguments));
  const std::string authorization = "Bearer " + token;
  const std::string user_a = absl::GetFlag(FLAGS_user_a);
  const std::string user_b = absl::GetFlag(FLAGS_user_b);
  int failures = 0;

  // 1. Sign-in latency against the healthy local slapd.
  for (int i = 0; i < 20; ++i) measured.SignIn(i % 2 == 0 ? user_a : user_b);  // warm-up
  std::vector<double> a, b;
  for (int round = 0; round < absl::GetFlag(FLAGS_sign_in_rounds); ++round) {
    for (int half = 0; half < 2; ++half) {
      const bool run_a = (half == 0) == (round % 2 == 0);
      for (int i = 0; i < absl::GetFlag(FLAGS_sign_ins); ++i) {
        auto [code, ms] = measured.SignIn(run_a ? user_a : user_b);
        if (code != grpc::StatusCode::OK) ++failures;
        (run_a ? a : b).push_back(ms);
      }
    }
  }
  std::vector<double> both = a;
  both.insert(both.end(), b.begin(), b.end());
  std::printf("SignIn over gRPC against the local slapd (ldaps), one at a time, alternating batches of %d:\n",
              absl::GetFlag(FLAGS_sign_ins));
  std::printf("  %-8s (1 group)   %4zu sign-ins  p50 %7.2f ms  p99 %7.2f ms\n", user_a.c_str(), a.size(),
              Percentile(a, 0.50), Percentile(a, 0.99));
  std::printf("  %-8s (2 groups)  %4zu sign-ins  p50 %7.2f ms  p99 %7.2f ms\n", user_b.c_str(), b.size(),
              Percentile(b, 0.50), Percentile(b, 0.99));
  std::printf("  all                 %4zu sign-ins  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", both.size(),
              Percentile(both, 0.50), Percentile(both, 0.99), Percentile(both, 1.0));
  std::fflush(stdout);

  // 2. Token-authenticated calls while the directory is healthy, slow or down.
  const std::string kept = measured.KeepSession(user_b);  // refreshed by the server against the directory
  if (kept.empty()) ++failures;
  std::atomic<bool> stop{false};
  std::atomic<int> background_done{0};
  std::atomic<int> background_ok{0};
  std::vector<std::thread> background;
  for (int t = 0; t < absl::GetFlag(FLAGS_background_signins); ++t) {
    background.emplace_back([&, t] {
      Bench own(grpc::CreateCustomChannel(absl::GetFlag(FLAGS_grpc), grpc::InsecureChannelCredentials(), arguments));
      while (!stop.load()) {
        auto [code, ms] = own.SignIn(t % 2 == 0 ? user_a : user_b);
        background_done.fetch_add(1);
        if (code == grpc::StatusCode::OK) background_ok.fetch_add(1);
        if (code != grpc::StatusCode::OK) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  // Signals slapd itself; never a pid <= 0 (kill(0 or -1, ...) would reach whole process groups).
  auto signal_slapd = [&](int signal) {
    const int pid = SlapdPid(ready);
    if (pid > 0) kill(pid, signal);
    return pid > 0;
  };
  DirectoryState current = DirectoryState::kHealthy;
  auto set_state = [&](DirectoryState next) {
    if (next == current) return;
    if (current == DirectoryState::kSlow) signal_slapd(SIGCONT);
    if (current == DirectoryState::kDown) {
      kill(helper, SIGUSR2);
      // Up again when a sign-in succeeds.
      for (int i = 0; i < 600 && !measured.KeepSession(user_a).size(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (next == DirectoryState::kSlow && !signal_slapd(SIGSTOP)) ++failures;
    if (next == DirectoryState::kDown) {
      const int before = SlapdPid(ready);
      kill(helper, SIGUSR1);
      for (int i = 0; i < 600 && SlapdPid(ready) == before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    current = next;
  };
  std::mt19937 random(42);
  std::uniform_int_distribution<int> pick(0, absl::GetFlag(FLAGS_devices) - 1);
  for (int i = 0; i < 300; ++i) measured.GetDevice(authorization, absl::StrFormat("LD-%05d", pick(random) + 1));
  std::vector<double> by_state[3];
  int background_by_state[3] = {0, 0, 0};
  int background_ok_by_state[3] = {0, 0, 0};
  const DirectoryState order[3] = {DirectoryState::kHealthy, DirectoryState::kSlow, DirectoryState::kDown};
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (int k = 0; k < 3; ++k) {
      const DirectoryState state = order[(round + k) % 3];
      set_state(state);
      const int done_before = background_done.load();
      const int ok_before = background_ok.load();
      const Clock::time_point batch_start = Clock::now();
      for (int i = 0; i < absl::GetFlag(FLAGS_calls) || Ms(batch_start) < 1000 * absl::GetFlag(FLAGS_batch_seconds);
           ++i) {
        auto [ok, ms] = measured.GetDevice(authorization, absl::StrFormat("LD-%05d", pick(random) + 1));
        if (!ok) ++failures;
        by_state[static_cast<int>(state)].push_back(ms);
      }
      background_by_state[static_cast<int>(state)] += background_done.load() - done_before;
      background_ok_by_state[static_cast<int>(state)] += background_ok.load() - ok_before;
    }
  }
  set_state(DirectoryState::kHealthy);
  failures += measured.sign_out_failures;
  stop = true;
  for (std::thread& thread : background) thread.join();
  std::printf(
      "GetDevice with a hand-made token, one call at a time, %d rounds x >= %d calls and >= %.0f s per state"
      " (order rotating), %d threads signing in meanwhile:\n",
      absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_calls), absl::GetFlag(FLAGS_batch_seconds),
      absl::GetFlag(FLAGS_background_signins));
  for (int s = 0; s < 3; ++s) {
    std::printf(
        "  directory %-15s %6zu calls  p50 %6.3f ms  p99 %6.3f ms  p99.9 %6.3f ms  (background sign-ins: %d, "
        "%d ok)\n",
        Name(static_cast<DirectoryState>(s)), by_state[s].size(), Percentile(by_state[s], 0.50),
        Percentile(by_state[s], 0.99), Percentile(by_state[s], 0.999), background_by_state[s],
        background_ok_by_state[s]);
  }
  std::printf("failed calls: %d\n", failures);
  return failures == 0 ? 0 : 1;
}
