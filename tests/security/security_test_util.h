// Shared fixtures for the security tests: a real PKI made with openssl (scripts/make-pki plus extra certificates),
// a real in-process pumptrack Server with a first admin token created offline, TLS / plaintext channel makers, and
// small RPC helpers. Nothing here is a fake: every test talks to the real service through real gRPC channels.
#ifndef PUMPTRACK_TESTS_SECURITY_SECURITY_TEST_UTIL_H_
#define PUMPTRACK_TESTS_SECURITY_SECURITY_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pumptrack/v1/agent_registry.grpc.pb.h"
#include "pumptrack/v1/agent_service.grpc.pb.h"
#include "pumptrack/v1/audit.grpc.pb.h"
#include "pumptrack/v1/auth.grpc.pb.h"
#include "pumptrack/v1/inventory_service.grpc.pb.h"
#include "service/server.h"

namespace pumptrack::security_testing {

// ---------------------------------------------------------------------------------------------------------------------
// Files and processes.

// A fresh directory under testing::TempDir(), created on construction and removed recursively on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& label = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
// Writes `contents` to a sibling temporary file, then renames it over `path`, so a reader never sees a partial file.
void WriteFileAtomically(const std::string& path, const std::string& contents);
// Single-quotes `text` for /bin/sh.
std::string ShellQuote(const std::string& text);

struct CommandResult {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string out;
  std::string err;
};
// Runs `command` with /bin/sh, capturing stdout and stderr separately.
CommandResult RunCommand(const std::string& command);

// The hex serial number ("3A9F...") and subject CN of the first certificate in `pem`; empty if it does not parse.
std::string CertSerialHex(const std::string& pem);
std::string CertCommonName(const std::string& pem);

// ---------------------------------------------------------------------------------------------------------------------
// PKI.

struct CertFiles {
  std::string cert_path;
  std::string key_path;
  std::string cert_pem() const { return ReadFile(cert_path); }
  std::string key_pem() const { return ReadFile(key_path); }
};

// A private PKI in a temporary directory, made with the project's scripts/make-pki and openssl. Pieces are made on
// first use and kept for the life of the test process (one PKI per test binary run).
class Pki {
 public:
  // The process-wide PKI.
  static Pki& Shared();

  // The main CA (signs the server certificate and enrolled agents' client certificates).
  std::string ca_path();
  std::string ca_pem() { return ReadFile(ca_path()); }
  // The server's certificate (SAN localhost, 127.0.0.1) and key, issued by the main CA.
  CertFiles server();
  // An agent client certificate issued by the main CA; CN and DNS SAN are `agent_id`.
  CertFiles agent(const std::string& agent_id);
  // Another, unrelated CA (make-pki in another directory): its CA file, and an agent certificate it issued.
  std::string foreign_ca_path();
  CertFiles foreign_agent(const std::string& agent_id);
  // An agent certificate issued by the main CA whose validity ended long ago (2020-01-01 .. 2020-02-01).
  CertFiles expired_agent(const std::string& agent_id);
  // A fresh server certificate (SAN localhost, 127.0.0.1; new key, new serial) from the main CA, written to
  // `out_prefix`.pem / `out_prefix`.key.
  CertFiles IssueServerCert(const std::string& out_prefix);
  // A client certificate (clientAuth) from the main CA with this subject CN and subjectAltName (empty: no SAN
  // extension), written under the PKI directory as `stem`.pem / `stem`.key.
  CertFiles IssueClientCert(const std::string& stem, const std::string& cn, const std::string& san);
  // A second CA, in its own directory, for client-CA rotation; and an agent certificate it issued.
  std::string second_ca_path();
  CertFiles second_ca_agent(const std::string& agent_id);

 private:
  Pki();
  ~Pki();
  void MakePki(const std::string& dir, const std::string& agent_id);

  std::mutex mu_;
  std::unique_ptr<TempDir> root_;
  int issued_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------------
// Server fixture.

// A service clock that tests can move forward: real time plus an adjustable offset.
class TestClock {
 public:
  absl::Time Now() const { return absl::Now() + absl::Microseconds(offset_micros_->load()); }
  void Advance(absl::Duration by) { offset_micros_->fetch_add(absl::ToInt64Microseconds(by)); }
  std::function<absl::Time()> AsFunction() const {
    return [offset = offset_micros_] { return absl::Now() + absl::Microseconds(offset->load()); };
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> offset_micros_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

inline constexpr char kAdminName[] = "root.admin";

// A real pumptrack Server in a fresh data directory, with a first admin token created offline before it starts.
class SecurityServerTest : public ::testing::Test {
 public:
  void TearDown() override { StopServer(); }

  // Options for a TLS server using the shared PKI; port 0, metrics disabled, the test clock.
  service::ServerOptions TlsOptions();
  service::ServerOptions InsecureOptions();
  // Creates the admin token (first call only) with CreateTokenOffline, then starts the server. Fails the test if
  // either fails.
  void StartServer(service::ServerOptions options);
  void StartTlsServer() { StartServer(TlsOptions()); }
  void StartInsecureServer() { StartServer(InsecureOptions()); }
  // Shuts the server down (idempotent), releasing the data directory.
  void StopServer();

  int port() const { return server_->grpc_port(); }
  // "localhost:PORT" for TLS (so hostname verification passes), "127.0.0.1:PORT" for plaintext.
  std::string Target() const;

  // A people's channel: TLS trusting the main CA, no client certificate (plaintext when the server is insecure).
  std::shared_ptr<grpc::Channel> PeopleChannel();
  // An agent's channel presenting `cert` (mutual TLS), trusting the main CA.
  std::shared_ptr<grpc::Channel> AgentChannel(const CertFiles& cert);
  // Any channel to this server with the given credentials, on its own connection (never shared with another channel).
  std::shared_ptr<grpc::Channel> Channel(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                         const grpc::ChannelArguments& extra = grpc::ChannelArguments());
  static std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& root_pem,
                                                                  const CertFiles* client = nullptr);

  // Sets a deadline and, when `secret` is not empty, "authorization: Bearer <secret>".
  static void Prepare(grpc::ClientContext& context, const std::string& secret);

  // People's calls on PeopleChannel() with `secret`.
  grpc::Status ListTokens(const std::string& secret, v1::ListTokensResponse* response = nullptr);
  grpc::Status ListDevices(const std::string& secret, v1::ListDevicesResponse* response = nullptr);
  grpc::Status VerifyAudit(const std::string& secret, v1::VerifyAuditResponse* response);
  grpc::Status ListAudit(const std::string& secret, const v1::ListAuditRequest& request,
                         v1::ListAuditResponse* response);
  // Admin calls; fail the test on error.
  v1::CreateTokenResponse CreateToken(const std::string& name, v1::Role role,
                                      absl::Duration ttl = absl::ZeroDuration());
  v1::Token RevokeToken(const std::string& id);
  v1::Agent EnrollAgent(const std::string& agent_id);
  v1::Agent RevokeAgent(const std::string& agent_id);
  // The device by asset tag (admin token).
  grpc::Status GetDevice(const std::string& asset_tag, v1::Device* device);
  // The whole audit log through AuditService.ListAudit (admin token, every page).
  std::vector<v1::AuditEntry> AllAudit();
  // Polls AllAudit until an entry matches or `timeout` passes.
  bool WaitForAudit(const std::function<bool(const v1::AuditEntry&)>& match, absl::Duration timeout = absl::Seconds(5));

  // One Report on `channel` claiming `claimed_agent_id` (may be empty).
  grpc::Status Report(const std::shared_ptr<grpc::Channel>& channel, const std::string& claimed_agent_id,
                      const std::string& asset_tag, std::uint64_t sequence, v1::ReportResponse* response = nullptr);
  v1::Observation MakeObservation(const std::string& asset_tag, std::uint64_t sequence) const;

  TempDir temp_;
  std::string data_dir_ = temp_.Sub("data");
  TestClock clock_;
  std::string admin_secret_;
  bool insecure_ = false;
  std::unique_ptr<service::Server> server_;
};

// Mutable copies of the shared server certificate, key and client CA, for tests that rotate them.
struct RotatableTlsFiles {
  std::string cert;
  std::string key;
  std::string client_ca;
};
RotatableTlsFiles CopyTlsFiles(const std::string& dir);

}  // namespace pumptrack::security_testing

#endif  // PUMPTRACK_TESTS_SECURITY_SECURITY_TEST_UTIL_H_
